import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { type Recorded, recordingIo } from './recording-io.js';

let fake: FakeAws;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  fake = await FakeAws.start();
  seedMembers(fake, 25, 0);
  env = { ...fake.env(), AWS_EC2_METADATA_DISABLED: 'true' };
  Object.assign(process.env, env);
});
afterEach(() => fake.close());

const run = (argv: string[], io: Recorded) => runCli(argv, io, (options) => createCliContext(env, options));

describe('breakglass audit', () => {
  it('audits every member account, following all ListAccounts pages', async () => {
    fake.account(memberId(21)).root = fullyCredentialed(memberId(21));
    const io = recordingIo();
    expect(await run(['audit', '--all', '--json'], io)).toBe(0);
    const rows = JSON.parse(io.stdout.join('')) as {
      account: { id: string };
      ok: boolean;
      audit: { anyPresent: boolean };
    }[];
    expect(rows).toHaveLength(25);
    expect(rows.filter((r) => r.audit.anyPresent).map((r) => r.account.id)).toEqual([memberId(21)]);
    expect(fake.callsOf('ListAccounts')).toHaveLength(2);
    expect(io.stderr.join('\n')).toMatch(/25 accounts audited in .* 1 with root credentials, 0 failed/);
  });

  it('reports a failing account in its row and exits 1 without aborting the run', async () => {
    fake.account(memberId(3)).scpDeniesRoot = true;
    const io = recordingIo();
    expect(await run(['audit', '--all', '--csv'], io)).toBe(1);
    const csv = io.stdout.join('\n').split('\n');
    expect(csv[0]).toBe(
      'accountId,name,status,password,accessKeys,signingCertificates,mfaDevices,errorKind,detail,openWindow',
    );
    expect(csv).toHaveLength(26);
    expect(csv.find((l) => l.startsWith(memberId(3)))).toMatch(/,error,.*blocked-by-scp/);
  });

  it.each([
    [['audit'], /exactly one of --account or --all/],
    [['audit', '--account', memberId(1), '--all'], /exactly one of --account or --all/],
    [['audit', '--all', '--concurrency', '0'], /from 1 to 100/],
    [['audit', '--all', '--json', '--csv'], /at most one of --json or --csv/],
    [['audit', '--frobnicate'], /unknown option '--frobnicate'/],
    [['audit', '--account', '1234'], /is not an AWS account id/],
    [['audit', '--account', '111111111111'], /management account/],
    [
      ['delete-credentials', '--all-present', '--account', memberId(1)],
      /exactly one of --account or --all-present/,
    ],
  ])('refuses %j with exit 2 and one line', async (argv, message) => {
    const io = recordingIo();
    expect(await run(argv, io)).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(message);
    expect(fake.callsOf('AssumeRoot')).toEqual([]);
  });
});

describe('identifiers typed by operators', () => {
  it('trims an account id before it reaches AWS', async () => {
    fake.account(memberId(4)).root = fullyCredentialed(memberId(4));
    const io = recordingIo();
    expect(await run(['audit', '--account', ` ${memberId(4)} `, '--json'], io)).toBe(0);
    expect(await run(['delete-credentials', '--account', `${memberId(4)}\t`, '--yes'], io)).toBe(0);
    const targets = [...fake.sessions.values()].map((s) => s.accountId);
    expect(targets.length).toBeGreaterThanOrEqual(3);
    expect(new Set(targets)).toEqual(new Set([memberId(4)]));
    expect(fake.refused.filter((r) => r.startsWith('sts:'))).toEqual([]);
    expect(fake.account(memberId(4)).root.accessKeys).toEqual([]);
  });

  it.each([
    [['audit', '--account', '2000000000O1']],
    [['audit', '--account', '']],
    [['audit', '--account', '20000000 0001']],
    [['delete-credentials', '--account', '20000000000', '--yes']],
    [['delete-credentials', '--account', 'arn:aws:iam::200000000001:root', '--yes']],
  ])('refuses %j with exit 2 before any HTTP call', async (argv) => {
    const io = recordingIo();
    expect(await run(argv, io)).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(/is not an AWS account id: use the 12 digits/);
    expect(fake.stats.requests).toBe(0);
  });
});

describe('program-wide flags', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const io = recordingIo();
      expect(await run([flag], io)).toBe(0);
      expect(io.stdout.join('').trim()).toBe(version);
    }
    expect(fake.stats.requests).toBe(0);
  });

  it('refuses an unknown LOG_LEVEL in one line, before any AWS call', async () => {
    const io = recordingIo();
    const code = await runCli(['audit', '--account', memberId(2)], io, (options) =>
      createCliContext({ ...env, LOG_LEVEL: 'verbose' }, options),
    );
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      'error: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "verbose")',
    ]);
    expect(fake.stats.requests).toBe(0);
  });

  it('sends every call to the --region given, before or after the command', async () => {
    for (const argv of [
      ['--region', 'eu-west-1', 'audit', '--account', memberId(2)],
      ['audit', '--account', memberId(2), '--region', ' eu-west-1 '],
    ]) {
      expect(await run(argv, recordingIo())).toBe(0);
    }
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(new Set(fake.requests.map((r) => r.region))).toEqual(new Set(['eu-west-1']));
    expect(fake.callsOf('AssumeRoot').length).toBeGreaterThan(0);
  });

  it('refuses a malformed --region or --profile before any AWS call', async () => {
    for (const [argv, message] of [
      [['--region', 'Europe', 'audit', '--all'], /"Europe" is not an AWS region/],
      [['audit', '--all', '--profile', 'two words'], /a profile name is one word/],
    ] as const) {
      const io = recordingIo();
      expect(await run([...argv], io)).toBe(2);
      expect(io.stderr).toHaveLength(1);
      expect(io.stderr[0]).toMatch(message);
    }
    expect(fake.stats.requests).toBe(0);
  });

  describe('--profile', () => {
    beforeEach(() => {
      const dir = mkdtempSync(join(tmpdir(), 'bg-profile-'));
      writeFileSync(
        join(dir, 'credentials'),
        '[ops]\naws_access_key_id = AKIAFAKEPROFILE00001\naws_secret_access_key = fake-profile-secret\n',
      );
      // Only the profile holds credentials: no keys in the environment, no default profile.
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
      vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
      vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
      vi.stubEnv('AWS_PROFILE', undefined);
    });
    afterEach(() => vi.unstubAllEnvs());

    it('signs with the named profile', async () => {
      const io = recordingIo();
      expect(await run(['--profile', 'ops', 'audit', '--account', memberId(2), '--json'], io)).toBe(0);
      expect(fake.callsOf('AssumeRoot')).toHaveLength(1);
    });

    it('fails without it, and with a profile that does not exist, calling nothing', async () => {
      for (const argv of [
        ['audit', '--account', memberId(2)],
        ['audit', '--account', memberId(2), '--profile', 'nope'],
      ]) {
        const io = recordingIo();
        expect(await run(argv, io)).toBe(1);
        expect(io.stderr.at(-1)).toMatch(/^hint: no AWS credentials found: give --profile NAME/);
      }
      expect(fake.stats.requests).toBe(0);
    });
  });
});

describe('close-match hints', () => {
  it.each([
    [['delete-credentials', '--all'], "error: unknown option '--all'; did you mean --all-present?"],
    [['audit', '--all-present'], "error: unknown option '--all-present'; did you mean --all?"],
    [['audit', '--acount', '1'], "error: unknown option '--acount'; did you mean --account?"],
    [['audit', '--all', '--regoin', 'x'], "error: unknown option '--regoin'; did you mean --region?"],
    [['delte-credentials'], "error: unknown command 'delte-credentials'; did you mean delete-credentials?"],
    [['histroy'], "error: unknown command 'histroy'; did you mean history?"],
    [['audit', '--frobnicate'], "error: unknown option '--frobnicate'"],
  ])('%j: one line, exit 2, nothing called', async (argv, line) => {
    const io = recordingIo();
    expect(await run(argv, io)).toBe(2);
    expect(io.stderr.map((l) => l.trimEnd())).toEqual([line]);
    expect(fake.stats.requests).toBe(0);
  });
});

describe('breakglass delete-credentials', () => {
  beforeEach(() => {
    fake.account(memberId(4)).root = fullyCredentialed(memberId(4));
    fake.account(memberId(9)).root.loginProfile = { createDate: new Date() };
  });

  it('shows the plan and deletes nothing on --dry-run', async () => {
    const io = recordingIo();
    expect(await run(['delete-credentials', '--all-present', '--dry-run'], io)).toBe(0);
    expect(io.stderr.join('\n')).toMatch(new RegExp(`${memberId(4)}  workload-0004  password\n`));
    expect(io.stdout.join('\n')).toContain('Dry run');
    expect(fake.sessions.size).toBe(25);
    expect([...fake.sessions.values()].every((s) => s.taskPolicy === 'IAMAuditRootUserCredentials')).toBe(
      true,
    );
  });

  it('refuses without --yes when nobody can confirm', async () => {
    const io = recordingIo();
    expect(await run(['delete-credentials', '--account', memberId(4)], io)).toBe(2);
    expect(io.stderr.at(-1)).toMatch(/refusing to delete without --yes/);
    expect(fake.account(memberId(4)).root.loginProfile).not.toBeNull();
  });

  it('stops when the operator answers no', async () => {
    const io = recordingIo({ answer: 'n' });
    expect(await run(['delete-credentials', '--account', memberId(4)], io)).toBe(1);
    expect(fake.account(memberId(4)).root.accessKeys).toHaveLength(2);
  });

  it('deletes and verifies every account with credentials', async () => {
    const io = recordingIo();
    expect(await run(['delete-credentials', '--all-present', '--yes'], io)).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toContain(`workload-0004 (${memberId(4)}): removed password; access keys`);
    expect(out).toContain(`workload-0009 (${memberId(9)}): removed password; verified clean`);
    expect(fake.account(memberId(4)).root.mfaDevices).toEqual([]);
    expect(fake.account(memberId(9)).root.loginProfile).toBeNull();
  });

  it('exits 1 and names the account when a deletion fails', async () => {
    fake.failNext('DeleteAccessKey', 'AccessDenied', { status: 403, accountId: memberId(4) });
    const io = recordingIo();
    expect(await run(['delete-credentials', '--all-present', '--yes'], io)).toBe(1);
    expect(io.stdout.join('\n')).toMatch(
      new RegExp(
        `workload-0004 \\(${memberId(4)}\\): FAILED after removed password; access keys .*: .*DeleteAccessKey`,
        's',
      ),
    );
    expect(io.stderr.at(-1)).toContain(`Failed (credentials may remain): workload-0004 (${memberId(4)})`);
  });
});

describe('breakglass doctor', () => {
  it('passes on a ready organization', async () => {
    const io = recordingIo();
    expect(await run(['doctor'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('PASS  Feature RootSessions: enabled');
  });

  it('fails with the exact fix commands when features and trusted access are off', async () => {
    fake.org.features.clear();
    fake.org.trustedServices.clear();
    const io = recordingIo();
    expect(await run(['doctor', '--json'], io)).toBe(1);
    const checks = JSON.parse(io.stdout.join('')) as { name: string; status: string; fix?: string }[];
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName['IAM trusted access']).toMatchObject({
      status: 'fail',
      fix: 'aws organizations enable-aws-service-access --service-principal iam.amazonaws.com',
    });
    expect(byName['Feature RootSessions']?.status).toBe('fail');
  });

  it('fails the caller check for an account that is neither management nor delegated admin', async () => {
    fake.org.caller = {
      accountId: memberId(7),
      arn: `arn:aws:iam::${memberId(7)}:role/x`,
      mayAssumeRoot: true,
    };
    const io = recordingIo();
    expect(await run(['doctor'], io)).toBe(1);
    const out = io.stdout.join('\n');
    expect(out).toContain(`FAIL  Caller account: ${memberId(7)} is neither the management account`);
    expect(out).toContain(
      `register-delegated-administrator --service-principal iam.amazonaws.com --account-id ${memberId(7)}`,
    );
  });

  it('passes the caller check for the registered delegated administrator', async () => {
    fake.org.delegatedAdministrators.push(memberId(7));
    fake.org.caller = {
      accountId: memberId(7),
      arn: `arn:aws:iam::${memberId(7)}:role/x`,
      mayAssumeRoot: true,
    };
    const io = recordingIo();
    await run(['doctor'], io);
    expect(io.stdout.join('\n')).toContain('is the IAM delegated administrator');
  });

  it('lists the accounts root tasks never target, configured ones included', async () => {
    fake.org.delegatedAdministrators.push(memberId(7));
    env.BREAKGLASS_PROTECTED_ACCOUNTS = memberId(5);
    const io = recordingIo();
    expect(await run(['doctor'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain(
      `PASS  Protected accounts: never targeted: 111111111111 (management account), ${memberId(5)} (BREAKGLASS_PROTECTED_ACCOUNTS), ${memberId(7)} (IAM delegated administrator)`,
    );
  });

  it('names every bad protected account id and exits 1', async () => {
    env.BREAKGLASS_PROTECTED_ACCOUNTS = `${memberId(5)},12345,x`;
    const io = recordingIo();
    expect(await run(['doctor'], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain(
      'BREAKGLASS_PROTECTED_ACCOUNTS takes 12-digit AWS account ids separated by commas; not: 12345, x',
    );
    expect(fake.stats.requests).toBe(0);
  });
});

describe('the breakglass executable', () => {
  it('prints one line and exits 2 on a bad flag', () => {
    const result = spawnSync(process.execPath, ['bin/breakglass.js', 'audit', '--nope'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(["error: unknown option '--nope'"]);
  });

  it('hints at --all-present for delete-credentials --all', () => {
    const result = spawnSync(process.execPath, ['bin/breakglass.js', 'delete-credentials', '--all'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      "error: unknown option '--all'; did you mean --all-present?",
    ]);
  });
});
