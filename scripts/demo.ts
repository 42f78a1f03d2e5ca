/**
 * `npm run demo`: the whole break-glass flow, end to end, with no Slack workspace
 * and no AWS account. The real bot runs against local fakes of the Slack Web API
 * and of AWS (STS, IAM, Organizations); this script plays the people, over signed
 * HTTP as Slack would, and prints what each of them sees, blocks and buttons included.
 *
 *   npm run demo              two approvals, the window, the reminder, verified cleanup
 *   npm run demo -- --deny    carol denies with a reason
 *   npm run demo -- --fail    an SCP in the account refuses the grant
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot } from '../src/bot.js';
import { loadConfig } from '../src/config/app-config.js';
import { awsSettingsFromEnv } from '../src/config/aws-settings.js';
import { createLogger } from '../src/log.js';
import { fullyCredentialed, memberId, seedMembers } from '../test/fakes/aws/sample-org.js';
import { FakeAws } from '../test/fakes/aws/server.js';
import { FakeSlack } from '../test/fakes/slack/server.js';
import { waitFor } from '../test/support/bot-env.js';
import { CHANNEL, SIGNING_SECRET, SlackTestClient } from '../test/support/slack-client.js';
import { APPROVER_GROUP, NAMES, PEOPLE } from './lib/people.js';
import { printLines } from './lib/print.js';
import { responseIdFor } from './lib/slack-surfaces.js';
import { LiveTranscript } from './lib/transcript.js';

const USAGE = 'usage: npm run demo [-- --deny | --fail]';
const flags = process.argv.slice(2);
const unknown = flags.filter((f) => f !== '--deny' && f !== '--fail');
if (unknown.length || flags.length > 1) {
  console.error(unknown.length ? `unknown option ${unknown.join(' ')}\n${USAGE}` : USAGE);
  process.exit(2);
}
const path = flags[0] === '--deny' ? 'deny' : flags[0] === '--fail' ? 'fail' : 'grant';

const { alice: ALICE, bob: BOB, carol: CAROL } = PEOPLE;
const ACCOUNT = memberId(3);
/** The demo's windows, far shorter than production's so the whole flow fits in seconds. */
const SHORT = { durations: '8s,16s', remindBefore: '4s', tick: '250ms' };

const started = Date.now();
const stamp = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(4)}s  `;
const print = (where: string, lines: readonly string[]) => printLines(where, lines, stamp());
const say = (who: string, text: string) => print(who, [text]);
const options = { names: NAMES, channels: { [CHANNEL]: 'breakglass' }, width: 90 };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const aws = await FakeAws.start({ latencyMs: 15 });
seedMembers(aws, 12, 0);
aws.account(ACCOUNT).name = 'payments-prod';
const slack = await FakeSlack.start();
slack.groups.set(APPROVER_GROUP, [CAROL]);
const transcript = new LiveTranscript(options);
slack.onCall = (call) => {
  // A post is stored before it is recorded: the channel's last message is this call's.
  const ts =
    call.method === 'chat.postMessage' && call.outcome?.ok
      ? slack.messages.get(String(call.args.channel))?.at(-1)?.ts
      : undefined;
  const surface = transcript.next({ ...call, ...(ts ? { ts } : {}) });
  if (surface) print(surface.where, surface.lines);
};

const env = {
  ...aws.env(),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  SLACK_BOT_TOKEN: 'xoxb-demo',
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: slack.apiUrl,
  PORT: '0',
  BREAKGLASS_CHANNEL_ID: CHANNEL,
  BREAKGLASS_APPROVERS: `${BOB},${APPROVER_GROUP}`,
  BREAKGLASS_DURATIONS: SHORT.durations,
  BREAKGLASS_REMIND_BEFORE: SHORT.remindBefore,
  BREAKGLASS_TICK: SHORT.tick,
  // No scheduled org-wide audit unless a test or run asks for one (drift detection).
  BREAKGLASS_AUDIT_EVERY: 'off',
  BREAKGLASS_DB: join(mkdtempSync(join(tmpdir(), 'breakglass-demo-')), 'demo.db'),
};
Object.assign(process.env, env);
const bot = await startBot({
  config: loadConfig(env),
  aws: awsSettingsFromEnv(env),
  log: createLogger({ level: 'silent' }),
});
/** Whoever acts now: their private replies come back on a response URL that names them. */
let actor: string = ALICE;
const client = new SlackTestClient(`http://127.0.0.1:${bot.port}`, (id) =>
  slack.responseUrl(responseIdFor(actor, id)),
);

/** A person clicks; only they see the bot's answer (printed as it arrives). */
async function click(user: string, actionId: string, value: string): Promise<void> {
  const before = slack.callsOf('response_url').length;
  actor = user;
  await client.blockAction(user, { action_id: actionId, value });
  await waitFor('the answer', () => slack.callsOf('response_url')[before]);
}

const stateOf = async (id: string) => (await bot.workflow.get(id))?.request.state;

const story = {
  grant: 'alice needs root on payments-prod; bob and carol approve.',
  deny: 'alice needs root on payments-prod; bob approves, carol denies.',
  fail: 'alice needs root on payments-prod; bob and carol approve, but an SCP in the account refuses the grant.',
}[path];
console.log(`breakglass demo: ${story}`);
console.log(
  `Windows are shortened for the demo: durations ${SHORT.durations} (production default 30m,1h,2h,4h), reminder ${SHORT.remindBefore} before the end (default 10m), scheduler tick ${SHORT.tick} (default 5s).`,
);
console.log('Other paths: npm run demo -- --deny | --fail\n');

say('alice', 'types /breakglass');
await client.command(ALICE, '');
await waitFor('the modal', () => slack.callsOf('views.open')[0]);
const found = (await client.blockSuggestion(ALICE, 'bg_account_select', 'pay')).json().options as {
  text: { text: string };
}[];
say('alice', `types "pay" in Account and sees: ${found.map((o) => o.text.text).join(', ')}`);
say('alice', 'picks "Allow root password recovery", 8s, and writes a justification');
await client.viewSubmission(ALICE, {
  callback_id: 'bg_request',
  values: {
    account: { bg_account_select: { type: 'external_select', selected_option: { value: ACCOUNT } } },
    task: { bg_task_select: { type: 'static_select', selected_option: { value: 'password-recovery' } } },
    duration: { bg_duration: { type: 'static_select', selected_option: { value: '8' } } },
    justification: {
      bg_justification: {
        type: 'plain_text_input',
        value: 'Billing console locked for the root user only. <!channel> please',
      },
    },
    link: { bg_link: { type: 'url_text_input', value: 'https://tickets.example.com/INC-4242' } },
  },
});
const request = await waitFor('the request', async () =>
  (await bot.workflow.list(1)).find((r) => r.preview?.status === 'ready'),
);
await pause(200);
const approve = JSON.stringify({ id: request.id, h: request.contentHash });

say('alice', 'clicks Approve on her own request');
await click(ALICE, 'bg_approve', approve);
say('bob', 'clicks Approve, and confirms');
await click(BOB, 'bg_approve', approve);

if (path === 'deny') {
  say('carol', 'clicks Deny');
  actor = CAROL;
  await client.blockAction(CAROL, { action_id: 'bg_deny', value: request.id });
  await waitFor('the deny modal', () => slack.callsOf('views.open')[1]);
  say('carol', 'writes a reason and submits');
  await client.viewSubmission(CAROL, {
    callback_id: 'bg_deny',
    private_metadata: request.id,
    values: {
      reason: {
        bg_deny_reason: { type: 'plain_text_input', value: 'No incident ticket yet: open one first.' },
      },
    },
  });
  await waitFor('the denial', async () => ((await stateOf(request.id)) === 'denied' ? true : undefined));
  await pause(1500);
} else {
  if (path === 'fail') {
    say('AWS (fake)', 'an SCP now denies every call inside root sessions of payments-prod');
    aws.account(ACCOUNT).scpDeniesInSession = true;
  }
  say('carol', 'clicks Approve, and confirms');
  await click(CAROL, 'bg_approve', approve);
  const end = await waitFor('the outcome', async () => {
    const state = await stateOf(request.id);
    return state === 'active' || state === 'failed' || state === 'closed' ? state : undefined;
  });
  await pause(300);
  if (end === 'active') {
    say('alice', 'signs in as root, resets the password, and (oops) creates an access key and an MFA device');
    aws.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
  }
  await waitFor(
    'the end',
    async () => {
      const state = await stateOf(request.id);
      return state === 'closed' || state === 'failed' ? true : undefined;
    },
    30_000,
  );
  await pause(1500);
  const left = aws.account(ACCOUNT).root;
  say(
    'AWS (fake) at the end',
    `password: ${left.loginProfile ? 'yes' : 'no'}, access keys: ${left.accessKeys.length}, signing certificates: ${left.signingCertificates.length}, MFA devices: ${left.mfaDevices.length}`,
  );
}
const trail = await bot.store.listAudit(request.id);
say('audit trail', trail.map((e) => `${e.action} (${NAMES[e.actor] ?? e.actor})`).join(' -> '));
await bot.stop();
await slack.close();
await aws.close();
