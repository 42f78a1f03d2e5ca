/**
 * What operators read and answer: tables that fit the terminal, `--present`,
 * colour only where wanted, the typed delete confirmation and the summary after it.
 * Through the CLI's entry function against the fake AWS.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { colorWanted } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { type Recorded, recordingIo } from './recording-io.js';

let fake: FakeAws;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  fake = await FakeAws.start();
  seedMembers(fake, 25, 0);
  fake.account(memberId(4)).root = fullyCredentialed(memberId(4));
  fake.account(memberId(9)).root.loginProfile = { createDate: new Date() };
  env = { ...fake.env(), AWS_EC2_METADATA_DISABLED: 'true' };
  Object.assign(process.env, env);
});
afterEach(() => fake.close());

const run = (argv: string[], io: Recorded) => runCli(argv, io, (options) => createCliContext(env, options));
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const ANSI = /\u001b\[[0-9;]*m/g;
const lines = (chunks: string[]) => chunks.join('\n').replace(ANSI, '').split('\n');
const widest = (chunks: string[]) => Math.max(...lines(chunks).map((l) => [...l].length));
const deleteSessions = () =>
  [...fake.sessions.values()].filter((s) => s.taskPolicy === 'IAMDeleteRootUserCredentials');

describe('tables fit the terminal', () => {
  it.each([60, 80, 100])('keeps every line of audit --all within %i columns', async (columns) => {
    const io = recordingIo({ columns, color: true });
    expect(await run(['audit', '--all'], io)).toBe(0);
    expect(widest(io.stdout)).toBeLessThanOrEqual(columns);
    expect(widest(io.stderr)).toBeLessThanOrEqual(columns);
    const out = lines(io.stdout).join('\n');
    // Every account is there by id and whole name, the credentials counted.
    for (let n = 1; n <= 25; n++) expect(out).toContain(memberId(n));
    expect(out).toMatch(new RegExp(`${memberId(4)}  workload-0004  present  password, 2 access`));
    expect(io.stderr.join(' ')).toMatch(/--wide or\s+--json lists every key/);
  });

  it('fits 100 columns when stdout is not a terminal', async () => {
    const io = recordingIo();
    expect(await run(['audit', '--all', '--present'], io)).toBe(0);
    expect(widest(io.stdout)).toBeLessThanOrEqual(100);
  });

  it('shows every column and every identifier whole with --wide', async () => {
    const io = recordingIo({ columns: 60 });
    expect(await run(['audit', '--all', '--wide'], io)).toBe(0);
    const [header = '', ...rest] = lines(io.stdout);
    expect(header.split(/\s{2,}/)).toEqual([
      'Account',
      'Name',
      'Status',
      'Password',
      'Access keys',
      'Signing certs',
      'MFA devices',
    ]);
    const row = rest.find((l) => l.startsWith(memberId(4))) ?? '';
    const root = fake.account(memberId(4)).root;
    expect(row).toContain(`${root.accessKeys[0]?.id} (Active`);
    expect(row).toContain(root.mfaDevices[0]?.serialNumber);
    expect(widest(io.stdout)).toBeGreaterThan(100);
    expect(io.stderr.join('\n')).not.toMatch(/--wide/);
  });

  it('keeps the delete plan within 60 columns, naming every account', async () => {
    const io = recordingIo({ columns: 60 });
    expect(await run(['delete-credentials', '--all-present', '--dry-run'], io)).toBe(0);
    expect(widest(io.stderr)).toBeLessThanOrEqual(60);
    expect(io.stderr.join('\n')).toMatch(new RegExp(`${memberId(9)}  workload-0009  password`));
  });

  it('removes control characters from what it prints', async () => {
    fake.account(memberId(4)).name = 'evil\u001b[2Jname';
    const io = recordingIo({ columns: 80 });
    expect(await run(['audit', '--account', memberId(4)], io)).toBe(0);
    expect(io.stdout.join('')).not.toContain('\u001b');
    expect(io.stdout.join('')).toContain('evil[2Jname');
  });
});

describe('audit --present', () => {
  it('lists only the accounts with a root credential, and those whose audit failed', async () => {
    fake.account(memberId(13)).scpDeniesRoot = true;
    const io = recordingIo();
    expect(await run(['audit', '--all', '--present', '--json'], io)).toBe(1);
    const rows = JSON.parse(io.stdout.join('')) as { account: { id: string }; ok: boolean }[];
    expect(rows.map((r) => [r.account.id, r.ok])).toEqual([
      [memberId(4), true],
      [memberId(9), true],
      [memberId(13), false],
    ]);
    // The summary still counts every account.
    expect(io.stderr.join(' ')).toMatch(/25 accounts audited in .* 2 with root\s+credentials, 1 failed/);
  });

  it('says so when one account is clean', async () => {
    const io = recordingIo();
    expect(await run(['audit', '--account', memberId(2), '--present'], io)).toBe(0);
    expect(io.stdout).toEqual([]);
    expect(io.stderr).toEqual(['no account with root credentials']);
  });
});

describe('colour', () => {
  it('colours statuses on a terminal, and never breaks the width', async () => {
    const io = recordingIo({ columns: 80, color: true });
    expect(await run(['audit', '--all'], io)).toBe(0);
    expect(io.stdout.join('')).toContain('\u001b[33mpresent\u001b[39m');
    expect(io.stdout.join('')).toContain('\u001b[32mclean\u001b[39m');
  });

  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ TERM: 'dumb' }, true, false],
  ])('env %j on a terminal=%s: colour %s', (vars, terminal, expected) => {
    expect(colorWanted(vars, terminal)).toBe(expected);
  });

  it('the executable: no colour in a pipe or with NO_COLOR, colour with FORCE_COLOR', async () => {
    const exec = promisify(execFile);
    const doctor = async (extra: NodeJS.ProcessEnv) => {
      const vars: NodeJS.ProcessEnv = { ...process.env, ...env, NODE_NO_WARNINGS: '1', ...extra };
      if (!('NO_COLOR' in extra)) delete vars.NO_COLOR;
      if (!('FORCE_COLOR' in extra)) delete vars.FORCE_COLOR;
      return (await exec(process.execPath, ['bin/breakglass.js', 'doctor'], { env: vars })).stdout;
    };
    const [piped, forced, refused] = await Promise.all([
      doctor({}),
      doctor({ FORCE_COLOR: '1' }),
      doctor({ FORCE_COLOR: '1', NO_COLOR: '1' }),
    ]);
    expect(piped).toContain('PASS  Feature RootSessions');
    expect(piped).not.toContain('\u001b[');
    expect(forced).toContain('\u001b[32mPASS\u001b[39m');
    expect(refused).not.toContain('\u001b[');
  });
});

describe('the delete confirmation', () => {
  it('names each account and what will be removed, and asks for the number of accounts', async () => {
    const io = recordingIo({ answer: '2' });
    expect(await run(['delete-credentials', '--all-present'], io)).toBe(0);
    expect(io.questions).toEqual([
      'Type 2 (the number of accounts above) to delete their root credentials, anything else to stop: ',
    ]);
    const plan = lines(io.stderr).join('\n');
    const root4 = fullyCredentialed(memberId(4));
    expect(plan).toContain('Root credentials to delete in 2 account(s):');
    expect(plan).toContain(`${memberId(4)}  workload-0004  password`);
    for (const key of root4.accessKeys) expect(plan).toContain(`access key ${key.id}`);
    for (const cert of root4.signingCertificates) expect(plan).toContain(`signing certificate ${cert.id}`);
    for (const device of root4.mfaDevices) expect(plan).toContain(`MFA device ${device.serialNumber}`);
    expect(plan).toContain(`${memberId(9)}  workload-0009  password`);
    expect(fake.account(memberId(4)).root.accessKeys).toEqual([]);
    expect(fake.account(memberId(9)).root.loginProfile).toBeNull();
  });

  it.each([['y'], ['yes'], ['3'], ['']])('aborts on %j with exit 1 and deletes nothing', async (answer) => {
    const io = recordingIo({ answer });
    expect(await run(['delete-credentials', '--all-present'], io)).toBe(1);
    expect(io.stderr.at(-1)).toBe(
      `error: cancelled: "${answer}" is not 2, the number of accounts; nothing was deleted`,
    );
    expect(deleteSessions()).toEqual([]);
    expect(fake.account(memberId(4)).root.accessKeys).toHaveLength(2);
    expect(fake.account(memberId(9)).root.loginProfile).not.toBeNull();
  });

  it('asks for 1 for a single account, named', async () => {
    const io = recordingIo({ answer: ' 1 ' });
    expect(await run(['delete-credentials', '--account', memberId(9)], io)).toBe(0);
    expect(io.questions[0]).toMatch(/^Type 1 /);
    expect(io.stdout.join('\n')).toContain(
      `workload-0009 (${memberId(9)}): removed password; verified clean`,
    );
  });

  it('does not ask with --yes', async () => {
    const io = recordingIo({ answer: 'y' });
    expect(await run(['delete-credentials', '--all-present', '--yes'], io)).toBe(0);
    expect(io.questions).toEqual([]);
  });
});

describe('the summary after deleting', () => {
  it('counts what was removed and verified', async () => {
    const io = recordingIo({ answer: '2' });
    expect(await run(['delete-credentials', '--all-present'], io)).toBe(0);
    expect(io.stderr.at(-1)).toBe(
      'Summary: 2 accounts: 2 verified clean, 0 failed.\n' +
        'Removed 2 passwords, 2 access keys, 1 signing certificate, 2 MFA devices.',
    );
  });

  it('names the accounts that failed, and exits 1', async () => {
    fake.account(memberId(13)).root.loginProfile = { createDate: new Date() };
    // The password of workload-0013 cannot be deleted, every time: it is still there when verified.
    fake.failNext('DeleteLoginProfile', 'AccessDenied', { status: 403, accountId: memberId(13), times: 10 });
    const io = recordingIo({ columns: 200 });
    expect(await run(['delete-credentials', '--all-present', '--yes'], io)).toBe(1);
    expect(io.stderr.at(-1)).toBe(
      'Summary: 3 accounts: 2 verified clean, 1 failed.\n' +
        'Removed 2 passwords, 2 access keys, 1 signing certificate, 2 MFA devices.\n' +
        `Failed (credentials may remain): workload-0013 (${memberId(13)})`,
    );
    expect(fake.account(memberId(13)).root.loginProfile).not.toBeNull();
  });
});
