/**
 * deleteRootCredentials against a fake AWS that behaves as the real task policies
 * do: each mix of credentials, the claimed MFA rule on DeleteLoginProfile on and
 * off, and the faults real AWS produces (denied items, eventual consistency, a
 * SummaryMap without AccountPasswordPresent, expiring sessions, SCPs in session).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RootTaskError } from '../../src/aws/errors.js';
import { emptyRootUser, type FakeRootUser } from '../fakes/aws/model.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';
import { type InstantService, instantService } from './instant-service.js';

const MEMBER = memberId(1);
const VIRTUAL = `arn:aws:iam::${MEMBER}:mfa/root-account-mfa-device`;
const HARDWARE = `GAHT${MEMBER}`;

let env: FakeAwsEnv;
let instant: InstantService;
beforeEach(async () => {
  env = await startFakeAwsEnv();
  seedMembers(env.fake, 2, 0);
  instant = instantService(env);
});
afterEach(() => env.close());

type Part = 'password' | 'keys' | 'certificates' | 'virtual MFA' | 'hardware MFA';

/** A root user holding exactly `parts`, taken from the full sample set. */
function rootWith(parts: readonly Part[]): FakeRootUser {
  const full = fullyCredentialed(MEMBER);
  const has = (part: Part) => parts.includes(part);
  return {
    loginProfile: has('password') ? full.loginProfile : null,
    accessKeys: has('keys') ? full.accessKeys : [],
    signingCertificates: has('certificates') ? full.signingCertificates : [],
    mfaDevices: full.mfaDevices.filter((d) => has(d.virtual ? 'virtual MFA' : 'hardware MFA')),
  };
}

const MIXES: Part[][] = [
  ['password'],
  ['keys'],
  ['certificates'],
  ['virtual MFA'],
  ['hardware MFA'],
  ['password', 'virtual MFA'],
  ['password', 'hardware MFA'],
  ['password', 'keys', 'certificates'],
  ['keys', 'certificates', 'virtual MFA', 'hardware MFA'],
  ['password', 'keys', 'certificates', 'virtual MFA', 'hardware MFA'],
];

describe('each mix of credentials, with the MFA rule on DeleteLoginProfile on and off', () => {
  const cases = MIXES.flatMap((mix) =>
    [false, true].map((rule) => [mix.join(' + '), rule ? 'on' : 'off', mix, rule] as const),
  );
  it.each(cases)('%s, MFA rule %s: ends verified and the account clean', async (_name, _on, mix, rule) => {
    env.fake.options.mfaBlocksLoginProfileDeletion = rule;
    env.fake.account(MEMBER).root = rootWith(mix);
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    expect(env.fake.account(MEMBER).root).toEqual(emptyRootUser());
    expect(result.removed).toEqual({
      loginProfile: mix.includes('password'),
      accessKeys: mix.includes('keys') ? [`AKIAROOT${MEMBER}A`, `AKIAROOT${MEMBER}B`] : [],
      signingCertificates: mix.includes('certificates') ? [`CERT${MEMBER}`] : [],
      mfaDevices: [
        ...(mix.includes('virtual MFA') ? [VIRTUAL] : []),
        ...(mix.includes('hardware MFA') ? [HARDWARE] : []),
      ],
    });
    // The task policy denies DeleteVirtualMFADevice: it is never even tried.
    expect(env.fake.refused.filter((r) => r.includes('DeleteVirtualMFADevice'))).toEqual([]);
    expect(env.fake.callsOf('DeleteVirtualMFADevice')).toEqual([]);
    expect(instant.pauses).toEqual([]);
  });

  it('with the rule on, tries the login profile early and again once MFA is deactivated', async () => {
    env.fake.options.mfaBlocksLoginProfileDeletion = true;
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(true);
    expect(env.fake.refused).toContain(`iam:DeleteLoginProfile@${MEMBER} EntityTemporarilyUnmodifiable`);
    const deletions = env.fake.calls.filter((c) => /Delete|Deactivate/.test(c)).map((c) => c.split('@')[0]);
    expect(deletions.at(-1)).toBe('iam:DeleteLoginProfile');
    expect(instant.pauses).toEqual([]); // the early refusal is not waited on
  });

  it('reports the login profile once when it is refused for another reason and no MFA is in the way', async () => {
    env.fake.account(MEMBER).root = rootWith(['password', 'keys']);
    env.fake.failNext('DeleteLoginProfile', 'AccessDenied', { status: 403, times: 2 });
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.errors.map((e) => e.action)).toEqual([`iam:DeleteLoginProfile on ${MEMBER}`]);
    expect(result.removed.accessKeys).toHaveLength(2);
    expect(result.verified).toBe(false);
    expect(result.remaining?.password).toBe(true);
  });
});

describe('a bulk hardening meeting a break-glass window', () => {
  it('keeps the password, certificates and MFA when asked not to right before the password, and says why', async () => {
    env.fake.account(MEMBER).root = rootWith(['password', 'keys', 'certificates', 'virtual MFA']);
    let asked = 0;
    const result = await instant.service.deleteRootCredentials(MEMBER, {
      mayDeletePassword: async () => {
        asked++;
        // A grant created the password meanwhile, as a break-glass window opened.
        return false;
      },
    });
    expect(asked).toBe(1);
    expect(
      env.fake.calls.some((c) => /DeleteLoginProfile|DeleteSigningCertificate|DeactivateMFADevice/.test(c)),
    ).toBe(false);
    const root = env.fake.account(MEMBER).root;
    expect(root.loginProfile).not.toBeNull();
    expect(root.signingCertificates).toHaveLength(1);
    expect(root.mfaDevices).toHaveLength(1);
    expect(result.removed.accessKeys).toHaveLength(2);
    expect(result.errors).toEqual([
      {
        kind: 'changed-since-approval',
        message: `A break-glass window opened on ${MEMBER} while its root credentials were being deleted: the password was kept.`,
        remediation: 'The account is held while the window is open, and tried again once it has closed.',
        action: `iam:DeleteLoginProfile on ${MEMBER}`,
      },
    ]);
    expect(result.verified).toBe(false);
  });

  it('asks before each attempt: the retry after MFA is deactivated asks again', async () => {
    env.fake.options.mfaBlocksLoginProfileDeletion = true;
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    const answers = [true, false];
    const result = await instant.service.deleteRootCredentials(MEMBER, {
      mayDeletePassword: async () => answers.shift() ?? true,
    });
    expect(answers).toEqual([]);
    expect(env.fake.account(MEMBER).root.loginProfile).not.toBeNull();
    expect(result.errors.map((e) => e.kind)).toEqual(['changed-since-approval']);
  });

  it('deletes the password when the answer stays yes', async () => {
    env.fake.account(MEMBER).root = rootWith(['password']);
    const result = await instant.service.deleteRootCredentials(MEMBER, {
      mayDeletePassword: async () => true,
    });
    expect(result).toMatchObject({ verified: true, removed: { loginProfile: true }, errors: [] });
  });
});

describe('a failed item', () => {
  it('does not stop the others, and every error is returned', async () => {
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    env.fake.failNext('DeleteAccessKey', 'AccessDenied', { status: 403, message: 'denied once' });
    env.fake.failNext('DeactivateMFADevice', 'ServiceFailure', { status: 500, times: 4 });
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.errors.map((e) => [e.kind, e.action])).toEqual([
      ['not-authorized', `iam:DeleteAccessKey AKIAROOT${MEMBER}A on ${MEMBER}`],
      ['transient', `iam:DeactivateMFADevice ${VIRTUAL} on ${MEMBER}`],
    ]);
    expect(result.error).toEqual(result.errors[0]);
    expect(result.removed).toEqual({
      loginProfile: true,
      accessKeys: [`AKIAROOT${MEMBER}B`],
      signingCertificates: [`CERT${MEMBER}`],
      mfaDevices: [HARDWARE],
    });
    expect(result.verified).toBe(false);
    expect(result.remaining).toEqual({
      password: false,
      accessKeys: true,
      signingCertificates: false,
      mfa: true,
    });
    const left = env.fake.account(MEMBER).root;
    expect(left.accessKeys.map((k) => k.id)).toEqual([`AKIAROOT${MEMBER}A`]);
    expect(left.mfaDevices.map((d) => d.serialNumber)).toEqual([VIRTUAL]);
  });

  it('retries an item IAM says is busy (ConcurrentModification) and removes it', async () => {
    env.fake.account(MEMBER).root = rootWith(['keys']);
    env.fake.failNext('DeleteAccessKey', 'ConcurrentModification', { status: 409 });
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.errors).toEqual([]);
    expect(result.removed.accessKeys).toHaveLength(2);
    expect(result.verified).toBe(true);
    expect(instant.pauses).toEqual([500]);
  });

  it('gives up on an item that stays busy, after bounded retries, and says so', async () => {
    env.fake.account(MEMBER).root = rootWith(['certificates']);
    env.fake.failNext('DeleteSigningCertificate', 'EntityTemporarilyUnmodifiable', { status: 409, times: 9 });
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.errors.map((e) => e.kind)).toEqual(['temporarily-unmodifiable']);
    expect(result.verified).toBe(false);
    // two busy retries, then the verification's two re-reads
    expect(instant.pauses).toEqual([500, 1000, 500, 1000]);
  });
});

describe('verification fails closed', () => {
  it('never says verified while a password exists and AccountPasswordPresent is missing', async () => {
    env.fake.options.omitAccountPasswordPresent = true;
    env.fake.account(MEMBER).root = rootWith(['password', 'keys']);
    env.fake.failNext('DeleteLoginProfile', 'AccessDenied', { status: 403 });
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(false);
    expect(result.remaining?.password).toBe(true);
    expect(env.fake.account(MEMBER).root.loginProfile).not.toBeNull();
  });

  it('says verified without AccountPasswordPresent once GetLoginProfile answers NoSuchEntity', async () => {
    env.fake.options.omitAccountPasswordPresent = true;
    env.fake.options.mfaBlocksLoginProfileDeletion = true;
    env.fake.account(MEMBER).root = rootWith(['password', 'virtual MFA']);
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(true);
    expect(env.fake.refused).toEqual([
      `iam:DeleteLoginProfile@${MEMBER} EntityTemporarilyUnmodifiable`,
      `iam:GetLoginProfile@${MEMBER} NoSuchEntity`,
    ]);
  });

  it('absorbs IAM eventual consistency with a short re-poll', async () => {
    // The first verification read (GetAccountSummary and GetLoginProfile) still sees the password.
    env.fake.options.staleAuditReads = 2;
    env.fake.account(MEMBER).root = rootWith(['password', 'keys']);
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(true);
    expect(result.errors).toEqual([]);
    expect(instant.pauses).toEqual([500]);
    expect(env.fake.callsOf('GetAccountSummary')).toHaveLength(2);
  });

  it('bounds the re-poll: credentials still seen after three reads are reported as remaining', async () => {
    env.fake.options.staleAuditReads = 100;
    env.fake.account(MEMBER).root = rootWith(['password']);
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(false);
    expect(result.remaining?.password).toBe(true);
    expect(instant.pauses).toEqual([500, 1000]);
    expect(env.fake.callsOf('GetAccountSummary')).toHaveLength(3);
    expect(env.fake.account(MEMBER).root).toEqual(emptyRootUser()); // in truth it was removed
  });
});

describe('a root session that expires mid-work', () => {
  it('is reopened and the step retried, not reported as a failure', async () => {
    env.fake.options.expiringRootSessions = { afterCalls: 3, sessions: 1 };
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    expect(env.fake.account(MEMBER).root).toEqual(emptyRootUser());
    expect(result.evidence.rootSessions.map((s) => s.task)).toEqual([
      'deleteCredentials',
      'deleteCredentials',
      'audit',
    ]);
    expect(env.fake.refused.filter((r) => r.endsWith('ExpiredToken'))).toHaveLength(1);
  });

  it('is reopened in the audit too', async () => {
    env.fake.options.expiringRootSessions = { afterCalls: 1, sessions: 1 };
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    const audit = await instant.service.auditRootCredentials(MEMBER);
    expect(audit.accessKeys).toHaveLength(2);
    expect(audit.mfaDevices).toHaveLength(2);
    expect(audit.evidence.rootSessions).toHaveLength(2);
  });

  it('is reopened only once: a second expiry is reported as session-expired', async () => {
    env.fake.options.expiringRootSessions = { afterCalls: 1, sessions: 2 };
    env.fake.account(MEMBER).root = rootWith(['keys']);
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(false);
    expect(result.errors.length).toBeGreaterThan(0);
    expect(new Set(result.errors.map((e) => e.kind))).toEqual(new Set(['session-expired']));
    expect(result.evidence.rootSessions.map((s) => s.task)).toEqual([
      'deleteCredentials',
      'deleteCredentials',
      'audit',
    ]);
  });
});

describe('an SCP that denies root inside the session', () => {
  beforeEach(() => {
    const account = env.fake.account(MEMBER);
    account.scpDeniesInSession = true;
    account.root = fullyCredentialed(MEMBER);
  });

  it('makes every deletion step fail as blocked-by-scp, and nothing is verified', async () => {
    const result = await instant.service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(false);
    expect(result.remaining).toBeUndefined();
    expect(result.errors.length).toBeGreaterThanOrEqual(4);
    expect(new Set(result.errors.map((e) => e.kind))).toEqual(new Set(['blocked-by-scp']));
    expect(result.error?.remediation).toContain('ExemptAssumeRoot');
    expect(env.fake.account(MEMBER).root).toEqual(fullyCredentialed(MEMBER));
  });

  it('fails the audit as blocked-by-scp, although AssumeRoot succeeded', async () => {
    const error = await instant.service.auditRootCredentials(MEMBER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RootTaskError);
    expect((error as RootTaskError).kind).toBe('blocked-by-scp');
    expect((error as RootTaskError).details.action).toBe(`iam:GetAccountSummary on ${MEMBER}`);
    expect(env.fake.callsOf('AssumeRoot')).toHaveLength(1);
  });
});

describe('auditRootCredentials without AccountPasswordPresent', () => {
  beforeEach(() => {
    env.fake.options.omitAccountPasswordPresent = true;
  });

  it('reports a password that exists, from GetLoginProfile', async () => {
    env.fake.account(MEMBER).root = rootWith(['password']);
    const audit = await instant.service.auditRootCredentials(MEMBER);
    expect(audit.anyPresent).toBe(true);
    expect(audit.passwordPresent).toBe(true);
    expect(audit.summary.password).toBe(true);
  });

  it('says clean only after GetLoginProfile answered NoSuchEntity', async () => {
    const audit = await instant.service.auditRootCredentials(MEMBER);
    expect(audit.anyPresent).toBe(false);
    expect(audit.passwordPresent).toBe(false);
    expect(env.fake.refused).toContain(`iam:GetLoginProfile@${MEMBER} NoSuchEntity`);
  });

  it('fails rather than calling the password absent when GetLoginProfile cannot answer', async () => {
    env.fake.failNext('GetLoginProfile', 'AccessDenied', { status: 403 });
    await expect(instant.service.auditRootCredentials(MEMBER)).rejects.toThrow(/GetLoginProfile/);
  });
});
