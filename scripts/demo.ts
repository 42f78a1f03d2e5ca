/**
 * `npm run demo`: the whole break-glass flow, end to end, with no Slack workspace
 * and no AWS account. The real bot runs against local fakes of the Slack Web API
 * and of AWS (STS, IAM, Organizations); this script plays the people, over signed
 * HTTP as Slack would, and prints what each of them sees.
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
import { FakeSlack, type SlackCall } from '../test/fakes/slack/server.js';
import { waitFor } from '../test/support/bot-env.js';
import { CHANNEL, SIGNING_SECRET, SlackTestClient } from '../test/support/slack-client.js';

const PEOPLE: Record<string, string> = { UALICE0001: 'alice', UBOB000001: 'bob', UCAROL0001: 'carol' };
const [ALICE, BOB, CAROL] = ['UALICE0001', 'UBOB000001', 'UCAROL0001'] as const;
const ACCOUNT = memberId(3);

const started = Date.now();
const stamp = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(4)}s`;

/** Slack mrkdwn to terminal text: names for mentions, local times for dates, entities decoded. */
function readable(text: string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)>/g, (_m, id: string) => `@${PEOPLE[id] ?? id}`)
    .replace(/<!subteam\^([A-Z0-9]+)>/g, '@approvers')
    .replace(/<!date\^\d+\^[^|]*\|([^>]+)>/g, (_m, iso: string) => new Date(iso).toLocaleTimeString('en-GB'))
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function show(call: SlackCall): void {
  const text = readable(String(call.args.text ?? ''));
  const channel = String(call.args.channel ?? '');
  const where = channel.startsWith('U')
    ? `DM to ${PEOPLE[channel] ?? channel}`
    : call.args.thread_ts
      ? '#breakglass (thread)'
      : '#breakglass';
  if (call.method === 'chat.postMessage') print(where, text);
  if (call.method === 'chat.update') print('#breakglass (message updated)', text);
  if (call.method === 'views.open')
    print('modal', `opens "${String((call.args.view as { title?: { text?: string } })?.title?.text)}"`);
}

function print(where: string, text: string): void {
  const [first, ...rest] = text.split('\n');
  console.log(`${stamp()}  ${where.padEnd(30)} ${first}`);
  for (const line of rest) console.log(`${' '.repeat(39)}${line}`);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const aws = await FakeAws.start({ latencyMs: 15 });
seedMembers(aws, 12, 0);
aws.account(ACCOUNT).name = 'payments-prod';
const slack = await FakeSlack.start();
slack.groups.set('SAPPROVERS', [CAROL]);
slack.onCall = show;

const env = {
  ...aws.env(),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  SLACK_BOT_TOKEN: 'xoxb-demo',
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: slack.apiUrl,
  PORT: '0',
  BREAKGLASS_CHANNEL_ID: CHANNEL,
  BREAKGLASS_APPROVERS: `${BOB},SAPPROVERS`,
  BREAKGLASS_DURATIONS: '8s,16s',
  BREAKGLASS_REMIND_BEFORE: '4s',
  BREAKGLASS_TICK: '250ms',
  BREAKGLASS_DB: join(mkdtempSync(join(tmpdir(), 'breakglass-demo-')), 'demo.db'),
};
Object.assign(process.env, env);
const bot = await startBot({
  config: loadConfig(env),
  aws: awsSettingsFromEnv(env),
  log: createLogger({ level: 'silent' }),
});
const client = new SlackTestClient(`http://127.0.0.1:${bot.port}`, (id) => slack.responseUrl(id));

/** A person clicks; only they see the bot's answer. */
async function click(user: string, actionId: string, value: string): Promise<void> {
  const before = slack.callsOf('response_url').length;
  await client.blockAction(user, { action_id: actionId, value });
  const reply = await waitFor('the answer', () => slack.callsOf('response_url')[before]);
  print(`only ${PEOPLE[user]} sees`, readable(String(reply.args.text)));
}

console.log('breakglass demo: alice needs root on payments-prod; bob and carol approve.\n');
print('alice', 'types /breakglass');
await client.command(ALICE, '');
await waitFor('the modal', () => slack.callsOf('views.open')[0]);
const options = (await client.blockSuggestion(ALICE, 'bg_account_select', 'pay')).json().options as {
  text: { text: string };
}[];
print('alice', `types "pay" in Account and sees: ${options.map((o) => o.text.text).join(', ')}`);
print('alice', 'picks "Allow root password recovery", 8s, and writes a justification');
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
const hash = request.contentHash;
const approve = JSON.stringify({ id: request.id, h: hash });

await click(ALICE, 'bg_approve', approve);
await click(BOB, 'bg_approve', approve);
await click(CAROL, 'bg_approve', approve);
await waitFor('the grant', async () =>
  (await bot.workflow.get(request.id))?.request.state === 'active' ? true : undefined,
);
await pause(300);
print('alice', 'signs in as root, resets the password, and (oops) creates an access key and an MFA device');
aws.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
await waitFor(
  'the cleanup',
  async () => ((await bot.workflow.get(request.id))?.request.state === 'closed' ? true : undefined),
  30_000,
);
await pause(300);
const left = aws.account(ACCOUNT).root;
print(
  'AWS (fake) after cleanup',
  `password: ${left.loginProfile ? 'yes' : 'no'}, access keys: ${left.accessKeys.length}, signing certificates: ${left.signingCertificates.length}, MFA devices: ${left.mfaDevices.length}`,
);
const trail = await bot.store.listAudit(request.id);
print('audit trail', trail.map((e) => `${e.action} (${PEOPLE[e.actor] ?? e.actor})`).join(' -> '));
await bot.stop();
await slack.close();
await aws.close();
