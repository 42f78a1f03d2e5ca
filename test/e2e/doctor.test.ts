/**
 * `/breakglass doctor` through signed Slack requests, against the fake Slack and
 * the fake AWS: each AWS check and each Slack check failing in turn gives its
 * fix; the reply stays within Block Kit limits; the start-up run is logged; the
 * App Home shows the last result to approvers only, without calling AWS.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import type { SlackCall } from '../fakes/slack/server.js';
import {
  APPROVER_A,
  APPROVER_B,
  APPROVER_GROUP,
  type BotEnv,
  OUTSIDER,
  REQUESTER,
  startBotEnv,
  waitFor,
} from '../support/bot-env.js';
import { CHANNEL } from '../support/slack-client.js';

let env: BotEnv | undefined;
let aws: FakeAws | undefined;
afterEach(async () => {
  await env?.close();
  await aws?.close();
  env = undefined;
  aws = undefined;
});

/** Sends `/breakglass doctor` and returns the doctor's answer (the reply after "Checking…"). */
async function doctor(e: BotEnv, user: string): Promise<SlackCall> {
  const responseId = `cmd-${randomUUID()}`;
  const res = await e.client.command(user, 'doctor', { responseId });
  expect(res.status).toBe(200);
  return waitFor(
    'the doctor reply',
    () =>
      e.slack
        .callsOf('response_url')
        .find((c) => c.path.endsWith(`/${responseId}`) && /^(Doctor:|Only )/.test(String(c.args.text))),
    15_000,
  );
}

/** Everything the reply shows, as a person reads it (entities unescaped). */
function shown(call: SlackCall): string {
  const blocks = (call.args.blocks ?? []) as { text?: { text?: string } }[];
  return [String(call.args.text), ...blocks.map((b) => b.text?.text ?? '')]
    .join('\n')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The line of one check and its fix line, from the rendering (`FAIL  name: detail\n      fix: …`). */
function lineOf(text: string, name: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => / {2}/.test(l) && l.includes(`  ${name}:`));
  if (i < 0) throw new Error(`no line for ${name} in:\n${text}`);
  const next = lines[i + 1] ?? '';
  return next.trimStart().startsWith('fix:') ? `${lines[i]}\n${next}` : (lines[i] ?? '');
}

const PROD_GROUP = 'SPRODGROUP1';
const POLICY = `
rules:
  - name: production
    match: { accounts: ["${memberId(1)}"] }
    approvers: { groups: [${PROD_GROUP}] }
`;

interface Case {
  what: string;
  break: (e: { aws: FakeAws; env: BotEnv }) => void;
  env?: () => Record<string, string>;
  check: string;
  status: 'FAIL' | 'WARN';
  fix: string;
}

const CASES: Case[] = [
  {
    what: 'the caller is neither the management account nor the delegated administrator',
    break: ({ aws }) => {
      aws.org.caller = {
        accountId: memberId(7),
        arn: `arn:aws:iam::${memberId(7)}:role/bg`,
        mayAssumeRoot: true,
      };
    },
    check: 'Caller account',
    status: 'FAIL',
    fix: `from the management account, after enabling IAM trusted access (aws organizations enable-aws-service-access --service-principal iam.amazonaws.com): aws organizations register-delegated-administrator --service-principal iam.amazonaws.com --account-id ${memberId(7)}`,
  },
  {
    what: 'IAM trusted access is off, seen from the delegated administrator',
    break: ({ aws }) => {
      aws.org.caller = {
        accountId: memberId(2),
        arn: `arn:aws:iam::${memberId(2)}:role/bg`,
        mayAssumeRoot: true,
      };
      aws.org.trustedServices.delete('iam.amazonaws.com');
    },
    check: 'IAM trusted access',
    status: 'FAIL',
    fix: 'from the management account: aws organizations enable-aws-service-access --service-principal iam.amazonaws.com',
  },
  {
    what: 'the organization runs consolidated billing only',
    break: ({ aws }) => {
      aws.org.featureSet = 'CONSOLIDATED_BILLING';
    },
    check: 'All features enabled',
    status: 'FAIL',
    fix: 'aws organizations enable-all-features',
  },
  {
    what: 'IAM trusted access is off',
    break: ({ aws }) => {
      aws.org.trustedServices.delete('iam.amazonaws.com');
    },
    check: 'IAM trusted access',
    status: 'FAIL',
    fix: 'aws organizations enable-aws-service-access --service-principal iam.amazonaws.com',
  },
  {
    what: 'root credentials management is off',
    break: ({ aws }) => {
      aws.org.features.delete('RootCredentialsManagement');
    },
    check: 'Feature RootCredentialsManagement',
    status: 'FAIL',
    fix: 'aws iam enable-organizations-root-credentials-management',
  },
  {
    what: 'root sessions are off',
    break: ({ aws }) => {
      aws.org.features.delete('RootSessions');
    },
    check: 'Feature RootSessions',
    status: 'FAIL',
    fix: 'aws iam enable-organizations-root-sessions',
  },
  {
    what: 'no delegated administrator is registered',
    break: ({ aws }) => {
      aws.org.delegatedAdministrators.length = 0;
    },
    check: 'Delegated administrator for IAM',
    status: 'WARN',
    fix: 'aws organizations register-delegated-administrator --service-principal iam.amazonaws.com --account-id <security-account-id>',
  },
  {
    what: 'the bot is not in the approvals channel',
    break: ({ env }) => env.slack.notMemberOf.add(CHANNEL),
    check: 'Bot in the approvals channel',
    status: 'FAIL',
    fix: `invite the bot: /invite @breakglass in #${CHANNEL.toLowerCase()}`,
  },
  {
    what: 'the approvals channel does not exist',
    break: ({ env }) => env.slack.failChannel(CHANNEL, 'channel_not_found'),
    check: 'Bot in the approvals channel',
    status: 'FAIL',
    fix: "set BREAKGLASS_CHANNEL_ID to the approvals channel's id",
  },
  {
    what: 'a scope of the manifest was not granted',
    break: ({ env }) => {
      env.slack.grantedScopes.delete('channels:history');
    },
    check: 'Granted scopes',
    status: 'FAIL',
    fix: "add to the app's bot scopes (manifest.yml) and reinstall the app to grant: channels:history",
  },
  {
    what: 'channels:read is missing (conversations.info refuses)',
    break: ({ env }) => env.slack.missingScopes.add('channels:read'),
    check: 'Bot in the approvals channel',
    status: 'FAIL',
    fix: "add to the app's bot scopes (manifest.yml) and reinstall the app to grant: channels:read",
  },
  {
    what: 'the approver user group has no members',
    break: ({ env }) => env.slack.groups.set(APPROVER_GROUP, []),
    check: `Approver group ${APPROVER_GROUP}`,
    status: 'FAIL',
    fix: `user group ${APPROVER_GROUP} has no members: add approvers to it in Slack`,
  },
  {
    what: 'one of the two approvers is deactivated',
    break: ({ env }) => env.slack.deactivated.add(APPROVER_B),
    check: 'Two approvers (rule default)',
    status: 'FAIL',
    fix: 'add approvers to BREAKGLASS_APPROVERS: at least two people',
  },
  {
    what: "a policy rule's only group has a guest and nobody else",
    env: () => {
      const file = join(mkdtempSync(join(tmpdir(), 'bg-doctor-')), 'policy.yaml');
      writeFileSync(file, POLICY);
      return { BREAKGLASS_POLICY: file };
    },
    break: ({ env }) => {
      env.slack.groups.set(PROD_GROUP, ['UPRODGUEST1']);
      env.slack.guests.set('UPRODGUEST1', 'multi-channel');
    },
    check: 'Two approvers (rule production)',
    status: 'FAIL',
    fix: 'add approvers to policy rule production',
  },
  {
    what: 'the Home tab is off',
    break: ({ env }) => {
      env.slack.homeTabEnabled = false;
    },
    check: 'App Home',
    status: 'FAIL',
    fix: 'enable the Home tab: https://api.slack.com/apps → App Home → Show Tabs → Home Tab on',
  },
];

/** The fake AWS's request count once the bot's start-up work (the account list warm-up) is over. */
async function quietAws(): Promise<number> {
  let last = -1;
  for (;;) {
    const now = aws?.stats.requests ?? 0;
    if (now === last) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function start(overrides: Record<string, string> = {}, startupDoctor = false): Promise<BotEnv> {
  aws = await FakeAws.start();
  seedMembers(aws, 3, 0);
  aws.org.delegatedAdministrators.push(memberId(2));
  env = await startBotEnv(overrides, { aws, startupDoctor });
  return env;
}

describe('/breakglass doctor', () => {
  it('passes everything on a ready organization and workspace, within Block Kit limits', async () => {
    const e = await start();
    const reply = await doctor(e, APPROVER_A);
    const text = shown(reply);
    expect(reply.outcome).toEqual({ status: 200, ok: true });
    expect(reply.args.response_type).toBe('ephemeral');
    expect(text).toMatch(/^Doctor: all \d+ passed/);
    expect(text).not.toMatch(/FAIL|WARN/);
    for (const name of [
      'Caller account',
      'Feature RootSessions',
      'Granted scopes',
      'Bot in the approvals channel',
      `Approver group ${APPROVER_GROUP}`,
      'Two approvers (rule default)',
      'App Home',
    ])
      expect(lineOf(text, name)).toMatch(/^PASS/);
    // The Home check published the asker's real Home tab.
    expect(e.slack.callsOf('views.publish').at(-1)?.args.user_id).toBe(APPROVER_A);
  });

  for (const c of CASES) {
    it(`${c.what}: ${c.status} ${c.check}, with the fix`, async () => {
      const e = await start(c.env?.() ?? {});
      if (!aws) throw new Error('no aws');
      c.break({ aws, env: e });
      const reply = await doctor(e, REQUESTER);
      expect(reply.outcome).toEqual({ status: 200, ok: true });
      const line = lineOf(shown(reply), c.check);
      expect(line.startsWith(c.status)).toBe(true);
      expect(line).toContain(`fix: ${c.fix}`);
    });
  }

  it('refuses people who may neither request nor approve, and runs nothing', async () => {
    const e = await start({ BREAKGLASS_REQUESTERS: REQUESTER });
    const awsBefore = await quietAws();
    const reply = await doctor(e, OUTSIDER);
    expect(String(reply.args.text)).toBe('Only break-glass requesters and approvers can run the doctor.');
    expect(e.slack.callsOf('conversations.info')).toEqual([]);
    expect(aws?.stats.requests).toBe(awsBefore);
  });
});

describe('the doctor at start-up and on the App Home', () => {
  it('runs once at start-up, logs each failure at warn with its fix, and the bot keeps serving', async () => {
    aws = await FakeAws.start();
    seedMembers(aws, 3, 0);
    aws.org.features.delete('RootSessions');
    env = await startBotEnv({}, { aws, startupDoctor: true });
    await env.bot.startupDoctor;
    const warns = env.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.level === 40);
    expect(warns).toContainEqual(
      expect.objectContaining({
        check: 'Feature RootSessions',
        status: 'fail',
        fix: 'aws iam enable-organizations-root-sessions',
      }),
    );
    expect(env.logLines.some((l) => l.includes('doctor ran at start-up'))).toBe(true);
    expect(env.slack.callsOf('conversations.info')).toHaveLength(1);
    expect(env.bot.doctor.last?.checks.some((c) => c.name === 'Bot in the approvals channel')).toBe(true);
    const help = await env.client.command(REQUESTER, 'help');
    expect(help.status).toBe(200);
  });

  it('shows the last result and its time to approvers on the App Home, never to others, without calling AWS', async () => {
    const e = await start();
    e.slack.groups.set(APPROVER_GROUP, []);
    await doctor(e, APPROVER_A);
    const home = async (user: string) => {
      const before = e.slack.callsOf('views.publish').length;
      await e.client.event({ type: 'app_home_opened', user, channel: 'D1', tab: 'home', event_ts: '1' });
      const publish = await waitFor('views.publish', () => e.slack.callsOf('views.publish')[before]);
      expect(publish.outcome?.ok).toBe(true);
      return JSON.stringify(publish.args.view);
    };
    const awsBefore = await quietAws();
    const approverHome = await home(APPROVER_A);
    expect(approverHome).toContain('Setup check');
    expect(approverHome).toMatch(/Doctor: \d+ failed/);
    expect(approverHome).toContain(`user group ${APPROVER_GROUP} has no members`);
    expect(approverHome).toMatch(/last run <!date\^\d+\^/);
    const requesterHome = await home(REQUESTER);
    expect(requesterHome).not.toContain('Setup check');
    expect(requesterHome).not.toContain('Doctor');
    expect(aws?.stats.requests).toBe(awsBefore);
  });
});
