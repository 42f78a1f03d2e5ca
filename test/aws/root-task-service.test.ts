import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RootTaskError } from '../../src/aws/errors.js';
import { policyHash } from '../../src/domain/content-hash.js';
import { emptyRootUser } from '../fakes/aws/model.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';
import { instantService } from './instant-service.js';

const MEMBER = memberId(1);

let env: FakeAwsEnv;
beforeEach(async () => {
  env = await startFakeAwsEnv();
  seedMembers(env.fake, 3, 0);
});
afterEach(() => env.close());

function assumedPolicies(): string[] {
  return [...env.fake.sessions.values()].map((s) => s.taskPolicy);
}

describe('auditRootCredentials', () => {
  it('answers a clean account with one GetAccountSummary and lists nothing', async () => {
    const audit = await env.service.auditRootCredentials(MEMBER);
    expect(audit.anyPresent).toBe(false);
    expect(audit.accessKeys).toEqual([]);
    expect(env.fake.calls.filter((c) => c.startsWith('iam:'))).toEqual([`iam:GetAccountSummary@${MEMBER}`]);
    expect(assumedPolicies()).toEqual(['IAMAuditRootUserCredentials']);
    expect(audit.evidence.rootSessions).toHaveLength(1);
    expect(audit.evidence.rootSessions[0]?.accessKeyId).toMatch(/^ASIA/);
    expect(audit.evidence.requestIds).toHaveLength(2);
  });

  it('lists password, keys with last use, certificates and MFA devices when present', async () => {
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    const audit = await env.service.auditRootCredentials(MEMBER);
    expect(audit.anyPresent).toBe(true);
    expect(audit.passwordPresent).toBe(true);
    expect(audit.accessKeys).toEqual([
      {
        accessKeyId: `AKIAROOT${MEMBER}A`,
        status: 'Active',
        createdAt: '2024-01-02T03:04:05.000Z',
        lastUsed: { at: '2025-06-01T00:00:00.000Z', service: 's3', region: 'eu-west-1' },
      },
      { accessKeyId: `AKIAROOT${MEMBER}B`, status: 'Inactive', createdAt: '2024-01-02T03:04:05.000Z' },
    ]);
    const created = '2024-01-02T03:04:05.000Z';
    // GetLoginProfile CreateDate and GetUser PasswordLastUsed, both allowed by the audit task policy.
    expect(audit.password).toEqual({ createdAt: created, lastUsedAt: '2025-07-01T00:00:00.000Z' });
    expect(audit.signingCertificates).toEqual([
      { certificateId: `CERT${MEMBER}`, status: 'Active', uploadedAt: created },
    ]);
    expect(audit.mfaDevices).toEqual([
      {
        serialNumber: `arn:aws:iam::${MEMBER}:mfa/root-account-mfa-device`,
        virtual: true,
        enabledAt: created,
      },
      { serialNumber: `GAHT${MEMBER}`, virtual: false, enabledAt: created },
    ]);
    expect(env.fake.calls).toContain(`iam:GetUser@${MEMBER}`);
  });

  it('leaves out a last use IAM does not report (a password never used)', async () => {
    const root = fullyCredentialed(MEMBER);
    env.fake.account(MEMBER).root = {
      ...root,
      loginProfile: { createDate: new Date('2024-01-02T03:04:05Z') },
    };
    const audit = await env.service.auditRootCredentials(MEMBER);
    expect(audit.password).toEqual({ createdAt: '2024-01-02T03:04:05.000Z' });
  });
});

describe('allowPasswordRecovery', () => {
  it('creates a login profile in an IAMCreateRootUserPassword session', async () => {
    const result = await env.service.allowPasswordRecovery(MEMBER);
    expect(result.created).toBe(true);
    expect(env.fake.account(MEMBER).root.loginProfile).not.toBeNull();
    expect(assumedPolicies()).toEqual(['IAMCreateRootUserPassword']);
  });

  it('counts an existing login profile as success', async () => {
    env.fake.account(MEMBER).root.loginProfile = { createDate: new Date() };
    const result = await env.service.allowPasswordRecovery(MEMBER);
    expect(result.created).toBe(false);
    expect(result.evidence.requestIds.length).toBeGreaterThanOrEqual(2);
  });
});

describe('deleteRootCredentials', () => {
  it('removes everything in the order the task policy allows, then verifies in a separate audit session', async () => {
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    const result = await env.service.deleteRootCredentials(MEMBER);
    expect(result.errors).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(result.removed).toEqual({
      loginProfile: true,
      accessKeys: [`AKIAROOT${MEMBER}A`, `AKIAROOT${MEMBER}B`],
      signingCertificates: [`CERT${MEMBER}`],
      mfaDevices: [`arn:aws:iam::${MEMBER}:mfa/root-account-mfa-device`, `GAHT${MEMBER}`],
    });
    expect(result.verified).toBe(true);
    expect(env.fake.account(MEMBER).root).toEqual(emptyRootUser());
    expect(assumedPolicies()).toEqual(['IAMDeleteRootUserCredentials', 'IAMAuditRootUserCredentials']);
    const order = env.fake.calls.map((c) => c.split('@')[0]).filter((c) => /Delete|Deactivate/.test(c ?? ''));
    expect(order).toEqual([
      'iam:DeleteAccessKey',
      'iam:DeleteAccessKey',
      'iam:DeleteLoginProfile',
      'iam:DeleteSigningCertificate',
      'iam:DeactivateMFADevice',
      'iam:DeactivateMFADevice',
    ]);
    // the only refusal is the verification's GetLoginProfile: NoSuchEntity, no password
    expect(env.fake.refused).toEqual([`iam:GetLoginProfile@${MEMBER} NoSuchEntity`]);
    expect(result.evidence.rootSessions.map((s) => s.task)).toEqual(['deleteCredentials', 'audit']);
  });

  it('treats an already clean account as success and removes nothing', async () => {
    const result = await env.service.deleteRootCredentials(MEMBER);
    expect(result.removed).toEqual({
      loginProfile: false,
      accessKeys: [],
      signingCertificates: [],
      mfaDevices: [],
    });
    expect(result.verified).toBe(true);
    expect(result.errors).toEqual([]);
  });

  it('goes on past a failed item, returns its error, and claims nothing verified', async () => {
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    env.fake.failNext('DeleteSigningCertificate', 'AccessDenied', { status: 403, message: 'explicit deny' });
    const { service } = instantService(env);
    const result = await service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(false);
    expect(result.remaining).toEqual({
      password: false,
      accessKeys: false,
      signingCertificates: true,
      mfa: false,
    });
    expect(result.removed.accessKeys).toHaveLength(2);
    expect(result.removed.signingCertificates).toEqual([]);
    expect(result.removed.mfaDevices).toHaveLength(2);
    expect(result.removed.loginProfile).toBe(true);
    expect(result.errors).toHaveLength(1);
    expect(result.error).toEqual(result.errors[0]);
    expect(result.error?.kind).toBe('not-authorized');
    expect(result.error?.message).toContain('DeleteSigningCertificate');
    expect(result.error?.action).toBe(`iam:DeleteSigningCertificate CERT${MEMBER} on ${MEMBER}`);
    expect(env.fake.account(MEMBER).root).toEqual({
      ...emptyRootUser(),
      signingCertificates: [expect.anything()],
    });
  });

  it('is not verified when the audit still sees a credential after re-reading', async () => {
    env.fake.account(MEMBER).root.loginProfile = { createDate: new Date() };
    // The delete "succeeds" but a password reappears before verification (e.g. someone re-enabled recovery).
    env.fake.failNext('DeleteLoginProfile', 'NoSuchEntity', { status: 404 });
    const { service, pauses } = instantService(env);
    const result = await service.deleteRootCredentials(MEMBER);
    expect(result.verified).toBe(false);
    expect(result.remaining?.password).toBe(true);
    expect(result.error).toBeUndefined();
    expect(pauses).toEqual([500, 1000]);
    expect(env.fake.callsOf('GetLoginProfile')).toHaveLength(3);
  });
});

describe('policy unlocks', () => {
  it('reads and then deletes an S3 bucket policy, returning it for restore', async () => {
    const policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*"}]}';
    env.fake.account(MEMBER).buckets.set('locked-bucket', policy);
    const result = await env.service.unlockS3BucketPolicy(MEMBER, 'locked-bucket', policyHash(policy));
    expect(result).toMatchObject({ resource: 'locked-bucket', previousPolicy: policy, removed: true });
    expect(env.fake.account(MEMBER).buckets.get('locked-bucket')).toBeNull();
    expect(assumedPolicies()).toEqual(['S3UnlockBucketPolicy']);
  });

  it('does nothing to a bucket without a policy', async () => {
    env.fake.account(MEMBER).buckets.set('open-bucket', null);
    const result = await env.service.unlockS3BucketPolicy(MEMBER, 'open-bucket', null);
    expect(result).toMatchObject({ previousPolicy: null, removed: false });
    expect(env.fake.callsOf('DeleteBucketPolicy')).toEqual([]);
  });

  it('classifies a missing bucket as not-found', async () => {
    const error = await env.service
      .unlockS3BucketPolicy(MEMBER, 'no-such-bucket', null)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RootTaskError);
    expect((error as RootTaskError).kind).toBe('not-found');
  });

  it('reads and then clears an SQS queue policy', async () => {
    const policy = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*"}]}';
    env.fake.account(MEMBER).queues.set('orders', policy);
    const queueUrl = `https://sqs.us-east-1.amazonaws.com/${MEMBER}/orders`;
    const result = await env.service.unlockSqsQueuePolicy(MEMBER, queueUrl, policyHash(policy));
    expect(result).toMatchObject({ resource: queueUrl, previousPolicy: policy, removed: true });
    expect(env.fake.account(MEMBER).queues.get('orders')).toBeNull();
    expect(assumedPolicies()).toEqual(['SQSUnlockQueuePolicy']);
  });
});

describe('refusals before any AWS root call', () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['a short account id', () => env.service.auditRootCredentials('12345'), /12 digits/],
    ['the management account', () => env.service.deleteRootCredentials('111111111111'), /management account/],
    ['an unknown account', () => env.service.allowPasswordRecovery('999999999999'), /not an account of/],
    [
      'a bad bucket name',
      () => env.service.unlockS3BucketPolicy(MEMBER, 'Bad_Bucket', null),
      /not a valid S3 bucket/,
    ],
    [
      'a bad queue URL',
      () => env.service.unlockSqsQueuePolicy(MEMBER, 'ftp://x', null),
      /not an SQS queue URL/,
    ],
    [
      "another account's queue",
      () =>
        env.service.unlockSqsQueuePolicy(
          MEMBER,
          `https://sqs.us-east-1.amazonaws.com/${memberId(2)}/q`,
          null,
        ),
      /belongs to account/,
    ],
  ];
  it.each(cases)('refuses %s', async (_name, run, reason) => {
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RootTaskError);
    expect((error as RootTaskError).kind).toBe('invalid-input');
    expect((error as RootTaskError).message).toMatch(reason);
    expect(env.fake.callsOf('AssumeRoot')).toEqual([]);
  });

  it('refuses a suspended account', async () => {
    env.fake.account(memberId(3)).status = 'SUSPENDED';
    await expect(env.service.auditRootCredentials(memberId(3))).rejects.toThrow(/SUSPENDED/);
    expect(env.fake.callsOf('AssumeRoot')).toEqual([]);
  });
});
