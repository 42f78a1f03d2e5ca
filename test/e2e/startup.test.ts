/**
 * Strict start-up, through the real entry (`node --import tsx src/main.ts`, and
 * `npm start` for the built bot) against the local fakes: every problem listed
 * at once, one plain line each, exit 1, no stack trace, and "started" never
 * logged when the bot cannot work; and `npm start` lets SIGTERM reach the bot.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staleReason } from '../../scripts/build-if-stale.js';
import { SlackTokenError, startBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config/app-config.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { createLogger } from '../../src/log.js';
import { seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import {
  APPROVER_A,
  APPROVER_B,
  APPROVER_GROUP,
  BOT_TOKEN,
  botEnvironment,
  OUTSIDER,
  waitFor,
} from '../support/bot-env.js';
import { SlackTestClient } from '../support/slack-client.js';

let aws: FakeAws;
let slack: FakeSlack;
/** a HOME with no ~/.aws, so the only AWS credentials are those a test sets */
let home: string;
const children: ChildProcess[] = [];
/** the bots' own pids (behind npm, a bot is not one of `children`) */
const bots: number[] = [];

beforeAll(async () => {
  aws = await FakeAws.start();
  seedMembers(aws, 2, 0);
  slack = await FakeSlack.start({ tokens: [BOT_TOKEN] });
  slack.groups.set(APPROVER_GROUP, [APPROVER_B]);
  home = mkdtempSync(join(tmpdir(), 'bg-startup-home-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const pid of bots) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  await slack.close();
  await aws.close();
});

const NO_CREDENTIALS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/** The bot's environment against the fakes, on a fresh database; `unset` names variables to leave out. */
function environment(
  overrides: Record<string, string> = {},
  options: { slack?: FakeSlack; unset?: string[] } = {},
): Record<string, string> {
  const dbFile = join(mkdtempSync(join(tmpdir(), 'bg-startup-')), 'breakglass.db');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    ...botEnvironment(aws, options.slack ?? slack, dbFile, overrides),
  };
  for (const name of options.unset ?? []) delete env[name];
  return env;
}

interface Launched {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** resolves with the exit code (or the signal's name) */
  exited: Promise<string>;
  /** resolves with the port from the "breakglass bot started" line; rejects if the process exits first */
  started: Promise<number>;
}

function launch(command: string, args: string[], env: Record<string, string>): Launched {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  const started = new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const started = /"pid":(\d+).*"port":(\d+).*"msg":"breakglass bot started"/.exec(stdout);
      if (started) {
        bots.push(Number(started[1]));
        resolve(Number(started[2]));
      }
    });
    void exited.then((how) => reject(new Error(`exited (${how}) before starting:\n${stderr}`)));
  });
  started.catch(() => {});
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited, started };
}

const startMain = (env: Record<string, string>) =>
  launch(process.execPath, ['--import', 'tsx', 'src/main.ts'], env);

/** Runs src/main.ts to its exit: its code, stderr lines and stdout. */
async function refusedStart(env: Record<string, string>) {
  const run = startMain(env);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 15_000);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, lines: run.stderr().trim().split('\n'), stderr: run.stderr(), stdout: run.stdout() };
}

/** No stack frame ("    at f (file:1:2)") and no "started" anywhere. */
function expectPlainRefusal(result: { code: string; stderr: string; stdout: string }): void {
  expect(result.code).toBe('1');
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/Error:|node:internal/);
  expect(result.stdout).not.toContain('started');
}

const LOG_LEVEL_LINE =
  'config: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "verbose")';
const PORT_LINE = 'config: PORT must be a whole number from 1 to 65535 (or 0: any free port) (got "abc")';
const DUPLICATE_LINE = `config: BREAKGLASS_APPROVERS names only one person (${APPROVER_A}, listed more than once): two different people must approve, so list two or more user ids or a user group (S…) (got "${APPROVER_A},${APPROVER_A}")`;
const NO_CREDENTIALS_LINE =
  'aws: no AWS credentials found: set AWS_PROFILE (a profile in ~/.aws/config, e.g. after `aws sso login`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role (ECS task role, EC2 instance profile); or set DRY_RUN=1 to try the bot without AWS';

describe('a bad setting', () => {
  it.each([
    [
      'BREAKGLASS_APPROVERS listing one person twice',
      { BREAKGLASS_APPROVERS: `${APPROVER_A},${APPROVER_A}` },
      DUPLICATE_LINE,
    ],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'verbose' }, LOG_LEVEL_LINE],
    ['a PORT that is not a number', { PORT: 'abc' }, PORT_LINE],
  ])('%s: its one line, exit 1, no stack trace', async (_what, overrides, line) => {
    const result = await refusedStart(environment(overrides));
    expectPlainRefusal(result);
    expect(result.lines).toEqual([line]);
  });

  it('lists several problems at once, AWS credentials among them', async () => {
    const result = await refusedStart(
      environment(
        { BREAKGLASS_APPROVERS: `${APPROVER_A},${APPROVER_A}`, LOG_LEVEL: 'verbose', PORT: 'abc' },
        { unset: NO_CREDENTIALS },
      ),
    );
    expectPlainRefusal(result);
    expect(result.lines).toEqual([PORT_LINE, DUPLICATE_LINE, LOG_LEVEL_LINE, NO_CREDENTIALS_LINE]);
  });
});

describe('the Slack bot token, checked with auth.test before anything starts', () => {
  it.each([
    [
      'revoked (token_revoked)',
      (fake: FakeSlack) => fake.revoke(BOT_TOKEN),
      'slack: SLACK_BOT_TOKEN has been revoked (token_revoked): reinstall the app to the workspace (api.slack.com/apps → your app → Install App) and set SLACK_BOT_TOKEN to the new Bot User OAuth Token (xoxb-…)',
    ],
    [
      'unknown to Slack (invalid_auth)',
      (fake: FakeSlack) => fake.install('xoxb-another-app'),
      expect.stringMatching(
        /^slack: Slack does not know SLACK_BOT_TOKEN \(invalid_auth\): .*copy the Bot User OAuth Token .*reinstall the app/,
      ),
    ],
    [
      'of a deactivated workspace (account_inactive)',
      (fake: FakeSlack) => fake.failNext('auth.test', 'account_inactive'),
      expect.stringMatching(
        /^slack: SLACK_BOT_TOKEN belongs to a deactivated .*\(account_inactive\): reinstall/,
      ),
    ],
    [
      'missing in the call (not_authed)',
      (fake: FakeSlack) => fake.failNext('auth.test', 'not_authed'),
      "slack: Slack received no bot token (not_authed): set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)",
    ],
  ])('%s: exits 1 with the remedy, never logs "started", posts nothing', async (_what, arrange, line) => {
    const own = await FakeSlack.start();
    try {
      arrange(own);
      const result = await refusedStart(environment({}, { slack: own }));
      expectPlainRefusal(result);
      expect(result.lines).toEqual([line]);
      expect(own.calls.map((c) => c.method)).toEqual(['auth.test']);
    } finally {
      await own.close();
    }
  });

  it('lists a refused token with the other problems', async () => {
    const own = await FakeSlack.start();
    try {
      own.revoke(BOT_TOKEN);
      const result = await refusedStart(environment({}, { slack: own, unset: NO_CREDENTIALS }));
      expectPlainRefusal(result);
      expect(result.lines).toEqual([expect.stringMatching(/^slack: .*token_revoked/), NO_CREDENTIALS_LINE]);
    } finally {
      await own.close();
    }
  });

  it('refuses in-process starts too (the demo, the tests), before the store or any Slack call but auth.test', async () => {
    const own = await FakeSlack.start();
    try {
      own.revoke(BOT_TOKEN);
      const env = environment({}, { slack: own });
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const starting = startBot({
        config: loadConfig(env),
        aws: awsSettingsFromEnv(env),
        log: createLogger({ level: 'debug' }, sink),
      });
      await expect(starting).rejects.toBeInstanceOf(SlackTokenError);
      await expect(starting).rejects.toMatchObject({ problem: expect.stringMatching(/token_revoked/) });
      expect(lines.join('')).not.toContain('started');
      expect(own.calls.map((c) => c.method)).toEqual(['auth.test']);
      expect(() => statSync(env.BREAKGLASS_DB ?? '')).toThrow();
    } finally {
      await own.close();
    }
  });

  it('starts anyway when Slack does not answer (cleanups never wait on Slack), says so, and answers once Slack is back', async () => {
    const own = await FakeSlack.start({ tokens: [BOT_TOKEN] });
    try {
      own.down();
      const run = startMain(environment({}, { slack: own }));
      const port = await run.started;
      expect(run.stdout()).toMatch(/"level":40.*could not check the Slack bot token/);
      // Slack stays down a while after the start (Bolt's own auth.test, if it made one, fails), then
      // comes back: Bolt must not have kept that failure, requests are served.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      own.up();
      const client = new SlackTestClient(`http://127.0.0.1:${port}`, (id) => own.responseUrl(id));
      expect((await client.command(APPROVER_A, 'help', { responseId: 'after-outage' })).status).toBe(200);
      const reply = await waitFor('the help reply', () =>
        own.callsOf('response_url').find((c) => c.path.endsWith('/after-outage')),
      );
      expect(String(reply.args.text)).toContain('/breakglass');
      expect(run.stdout()).not.toContain('Authorization of incoming event did not succeed');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe('0');
    } finally {
      await own.close();
    }
  });
});

describe('AWS credentials', () => {
  it('are required: exit 1 with the remedy when the default chain finds none', async () => {
    const result = await refusedStart(environment({}, { unset: NO_CREDENTIALS }));
    expectPlainRefusal(result);
    expect(result.lines).toEqual([NO_CREDENTIALS_LINE]);
  });

  it('names a profile that does not exist', async () => {
    const result = await refusedStart(environment({ AWS_PROFILE: 'nosuch' }, { unset: NO_CREDENTIALS }));
    expectPlainRefusal(result);
    expect(result.lines).toEqual([
      expect.stringMatching(
        /^aws: no AWS credentials found for AWS_PROFILE "nosuch": check that ~\/\.aws\/config .*`aws sso login --profile nosuch`; or set DRY_RUN=1/,
      ),
    ]);
  });

  it('are not needed with DRY_RUN: the bot starts, and stops on SIGTERM', async () => {
    const run = startMain(environment({ DRY_RUN: 'true' }, { unset: NO_CREDENTIALS }));
    await run.started;
    expect(run.stderr()).toBe('');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe('0');
    expect(run.stdout()).toContain('shutting down: finishing running jobs');
  });
});

describe('approver routing, checked against Slack and AWS before anything starts', () => {
  const PROD_GROUP = 'SPRODAPPR01';
  const GUEST = 'UGUEST00001';

  function policy(text: string): string {
    const file = join(mkdtempSync(join(tmpdir(), 'bg-startup-policy-')), 'policy.yaml');
    writeFileSync(file, text);
    return file;
  }

  it('refuses BREAKGLASS_APPROVERS that is a user group of one person', async () => {
    const own = await FakeSlack.start({ tokens: [BOT_TOKEN] });
    try {
      own.groups.set(APPROVER_GROUP, [APPROVER_B]);
      const result = await refusedStart(
        environment({ BREAKGLASS_APPROVERS: APPROVER_GROUP }, { slack: own }),
      );
      expectPlainRefusal(result);
      expect(result.lines).toEqual([
        `slack: the rule "default" (BREAKGLASS_APPROVERS) reaches only one person who may approve (${APPROVER_B}): user group ${APPROVER_GROUP} has 1 member (guests, deactivated users and bots do not count); two different people must approve, so add members to the group or list more approvers`,
      ]);
    } finally {
      await own.close();
    }
  });

  it('lists every problem of the policy file at once: a group without two full members, an OU and an account that do not exist', async () => {
    const own = await FakeSlack.start({ tokens: [BOT_TOKEN] });
    aws.placeIn('200000000001', 'ou-ab12-prod1234');
    try {
      own.groups.set(APPROVER_GROUP, [APPROVER_B]);
      // A guest does not count: the group reaches one person.
      own.groups.set(PROD_GROUP, [OUTSIDER, GUEST]);
      own.guests.set(GUEST, 'multi-channel');
      const file = policy(
        [
          'rules:',
          '  - name: production',
          '    match: { ous: [ou-ab12-prod1234, ou-ab12-prod1243] }',
          `    approvers: { groups: [${PROD_GROUP}] }`,
          '  - name: payments',
          '    match: { accounts: ["200000000001", "299999999999"] }',
          `    approvers: { users: [${APPROVER_A}, ${APPROVER_B}] }`,
          '',
        ].join('\n'),
      );
      const result = await refusedStart(environment({ BREAKGLASS_POLICY: file }, { slack: own }));
      expectPlainRefusal(result);
      const fallsTo = 'a mistyped id never matches, so these accounts would be decided by the default rule';
      expect(result.lines).toEqual([
        `config: BREAKGLASS_POLICY rules[1] (payments).match.accounts: 299999999999 is not an account of the organization; ${fallsTo}`,
        `config: BREAKGLASS_POLICY rules[0] (production).match.ous: ou-ab12-prod1243 is not an OU of the organization; ${fallsTo}`,
        `slack: the rule "production" (BREAKGLASS_POLICY rules[0].approvers) reaches only one person who may approve (${OUTSIDER}): user group ${PROD_GROUP} has 2 members (guests, deactivated users and bots do not count); two different people must approve, so add members to the group or list more approvers`,
      ]);
    } finally {
      aws.org.parents.delete('200000000001');
      await own.close();
    }
  });

  it('starts anyway, and warns, when Slack does not answer the group lookup', async () => {
    const own = await FakeSlack.start({ tokens: [BOT_TOKEN] });
    try {
      own.failNext('usergroups.users.list', 'service_unavailable');
      const run = startMain(environment({}, { slack: own }));
      await run.started;
      expect(run.stdout()).toMatch(
        /"level":40.*could not check that the rule \\"default\\" \(BREAKGLASS_APPROVERS\) reaches two different approvers \(Slack did not answer: usergroups.users.list SAPPROVERS1: service_unavailable\)/,
      );
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe('0');
    } finally {
      await own.close();
    }
  });
});

describe('npm start', () => {
  it('runs the built bot so that SIGTERM sent to npm reaches it: graceful shutdown, exit 0', async () => {
    const run = launch('npm', ['start'], environment());
    const port = await run.started;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).resolves.toMatchObject({ status: 200 });
    // To npm alone, as `docker stop` or a process manager does: npm must pass it on.
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe('0');
    expect(run.stdout()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down: finishing running jobs"/);
    // The bot itself is gone, not orphaned behind npm.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 60_000);

  it('does not rebuild a current build (prestart)', async () => {
    const first = launch('npm', ['run', '-s', 'prestart'], environment());
    expect(await first.exited).toBe('0');
    const built = statSync('dist/main.js').mtimeMs;
    const second = launch('npm', ['run', '-s', 'prestart'], environment());
    expect(await second.exited).toBe('0');
    expect(second.stderr()).not.toContain('building');
    expect(statSync('dist/main.js').mtimeMs).toBe(built);
  }, 60_000);

  it('rebuilds when the output is missing, or a source or a directory is newer', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bg-build-'));
    await mkdir(join(root, 'src', 'slack'), { recursive: true });
    await mkdir(join(root, 'dist'));
    const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
    writeFileSync(join(root, 'src', 'slack', 'a.ts'), '');
    writeFileSync(join(root, 'package.json'), '{}');
    expect(staleReason(root)).toBe('dist/main.js does not exist');
    writeFileSync(join(root, 'dist', 'main.js'), '');
    for (const path of ['src/slack/a.ts', 'src/slack', 'src', 'package.json']) at(path, 1_000);
    at('dist/main.js', 2_000);
    expect(staleReason(root)).toBeUndefined();
    at('src/slack/a.ts', 3_000);
    expect(staleReason(root)).toBe('src changed since dist/main.js was built');
    at('src/slack/a.ts', 1_000);
    // A file deleted or renamed: only its directory's time changes.
    at('src/slack', 3_000);
    expect(staleReason(root)).toBe('src changed since dist/main.js was built');
    at('src/slack', 1_000);
    at('package.json', 3_000);
    expect(staleReason(root)).toBe('package.json changed since dist/main.js was built');
  });
});
