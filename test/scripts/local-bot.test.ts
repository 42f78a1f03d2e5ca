/**
 * `npm run local` as a new user runs it: the bot started as a child process
 * against the local fakes, driven with `npm run local -- <command>` from another
 * process, asserting only on what the driver prints.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/bot-env.js';

const dir = mkdtempSync(join(tmpdir(), 'breakglass-local-'));
// No Slack token, no AWS credentials: a fresh machine. The fakes are all the bot needs.
const env: NodeJS.ProcessEnv = { ...process.env, BREAKGLASS_LOCAL_DIR: dir };
for (const name of [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_PROFILE',
])
  delete env[name];

let bot: ChildProcess | undefined;
let started = '';

beforeAll(async () => {
  // Its own process group, so that npm, tsx and the bot all stop together.
  bot = spawn('npm', ['run', '-s', 'local', '--', '--port', '0'], { env, detached: true });
  bot.stdout?.on('data', (chunk: Buffer) => {
    started += chunk.toString('utf8');
  });
  bot.stderr?.on('data', (chunk: Buffer) => {
    started += chunk.toString('utf8');
  });
  // The banner arrives in several chunks: wait for all of it, not its first line.
  const banner = ['is running locally', 'people: alice (asks)', 'npm run local -- approve BG-XXXX --as bob'];
  await waitFor('the local bot', () => banner.every((line) => started.includes(line)), 60_000);
}, 70_000);

afterAll(async () => {
  const child = bot;
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!stopped) process.kill(-child.pid, 'SIGKILL');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One driver command, as typed in the other terminal; its printed output. */
function local(...args: string[]): { status: number | null; out: string } {
  const result = spawnSync('npm', ['run', '-s', 'local', '--', ...args], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

it('starts with no Slack token and no AWS credentials, says how to drive it, and keeps its state in the directory', () => {
  expect(started).toContain(
    'people: alice (asks), bob (approver), carol (approver via the @approvers group)',
  );
  expect(started).toContain('npm run local -- approve BG-XXXX --as bob');
  expect(existsSync(join(dir, 'state.json'))).toBe(true);
  expect(existsSync(join(dir, 'breakglass.db'))).toBe(true);
});

it('request, two approvals, an active window, done, closed and cleaned: all as the driver prints it', () => {
  const request = local(
    'request',
    '--as',
    'alice',
    '--account',
    '200000000003',
    '--duration',
    '30m',
    '--why',
    'Billing locked <!channel>',
  );
  expect(request.status).toBe(0);
  expect(request.out).toMatch(/modal opens +┌─ modal: Break-glass request/);
  expect(request.out).toMatch(/#breakglass +== Break-glass request BG-\w+ ==/);
  // The justification as typed (plain_text): the broadcast is not interpreted.
  expect(request.out).toContain('Billing locked <!channel>');
  expect(request.out).toContain('+ [ Approve ] (primary)');
  const id = /Request (BG-\w+)\. Next: npm run local -- approve BG-\w+ --as bob/.exec(request.out)?.[1] ?? '';
  expect(id).toMatch(/^BG-/);

  const own = local('approve', id, '--as', 'alice');
  expect(own.out).toMatch(/only alice sees +Not approved: you cannot approve your own request\./);

  const first = local('approve', id, '--as', 'bob');
  expect(first.status).toBe(0);
  expect(first.out).toContain(
    `bob                            clicks Approve on ${id} and confirms "Approve ${id}?"`,
  );
  expect(first.out).toContain('+ :hourglass_flowing_sand: Waiting for approval: 1/2 approvals (@bob)');
  expect(first.out).toMatch(/only bob sees +Approval recorded \(1\/2\)\./);

  const second = local('approve', id, '--as', 'carol');
  expect(second.status).toBe(0);
  expect(second.out).toMatch(/\+ :unlock: Root access granted; the window \(30m\) ends/);
  expect(second.out).toMatch(/DM to alice +:unlock: Root password recovery is enabled for payments-prod/);
  expect(second.out).toContain('[ Done, clean up now ] (primary)');

  const active = local('status', id, '--as', 'alice');
  expect(active.out).toMatch(
    new RegExp(`only alice sees +${id}: Allow root password recovery on payments-prod`),
  );
  expect(active.out).toContain(':unlock: Root access granted');

  const late = local('approve', id, '--as', 'bob');
  expect(late.status).toBe(1);
  expect(late.out).toContain(`No "Approve" button for ${id} is shown now`);

  const done = local('done', id, '--as', 'alice');
  expect(done.status).toBe(0);
  expect(done.out).toContain(`alice                          clicks Done, clean up now on ${id}`);
  expect(done.out).toContain(':broom:');

  const closed = local('status', id, '--as', 'alice');
  expect(closed.out).toContain(':lock: Root access ended; the window is closed and cleanup was verified');
  expect(closed.out).toContain('Cleanup: removed password; verified clean.');
  expect(closed.out).toMatch(/Ended early by @alice/);

  const shown = local('show');
  expect(shown.status).toBe(0);
  expect(shown.out).toContain('=== #breakglass (what everyone in the channel sees)');
  expect(shown.out).toMatch(/=== alice \(only they see\)\nonly alice sees +Not approved/);
  expect(shown.out).toContain('=== bob (only they see)');
  expect(shown.out).toContain('=== carol (only they see)');
  // The channel message in its latest version only: closed, its buttons gone.
  const channel = shown.out.split('=== alice')[0] ?? '';
  expect(channel).toContain(':lock: Root access ended');
  expect(channel).not.toContain('[ Approve ]');
}, 120_000);

it('refuses a command without a person, and an unknown command, with the usage', () => {
  const noPerson = local('approve', 'BG-AAAAAA');
  expect(noPerson.status).toBe(2);
  expect(noPerson.out).toContain('approve needs --as <person>: one of alice, bob, carol, dave');
  const unknown = local('aprove', 'BG-AAAAAA', '--as', 'bob');
  expect(unknown.status).toBe(2);
  expect(unknown.out).toContain('unknown command "aprove"');
}, 30_000);
