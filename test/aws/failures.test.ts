import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RootTaskError } from '../../src/aws/errors.js';
import { policyHash } from '../../src/domain/content-hash.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

const MEMBER = memberId(1);

let env: FakeAwsEnv;
beforeEach(async () => {
  env = await startFakeAwsEnv({ maxAttempts: 4 });
  seedMembers(env.fake, 2, 0);
});
afterEach(() => env.close());

async function failure(run: Promise<unknown>): Promise<RootTaskError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RootTaskError);
  return error as RootTaskError;
}

describe('AssumeRoot refused', () => {
  it('explains a caller without sts:AssumeRoot, naming the permission and the delegated-admin check', async () => {
    env.fake.org.caller.mayAssumeRoot = false;
    const error = await failure(env.service.auditRootCredentials(MEMBER));
    expect(error.kind).toBe('not-authorized');
    expect(error.details.code).toBe('AccessDenied');
    expect(error.details.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).toContain('sts:AssumeRoot');
    expect(error.remediation).toContain('sts:AssumeRoot');
    expect(error.remediation).toContain(
      'list-delegated-administrators --service-principal iam.amazonaws.com',
    );
    expect(error.remediation).toContain('list-organizations-features');
  });

  it('explains an SCP that denies root (Control Tower guardrail)', async () => {
    env.fake.account(MEMBER).scpDeniesRoot = true;
    const error = await failure(env.service.allowPasswordRecovery(MEMBER));
    expect(error.kind).toBe('blocked-by-scp');
    expect(error.remediation).toContain('AWS-GR_RESTRICT_ROOT_USER');
    expect(error.remediation).toContain('ExemptAssumeRoot');
  });

  it('explains root sessions that are not enabled', async () => {
    env.fake.org.features.delete('RootSessions');
    const error = await failure(env.service.auditRootCredentials(MEMBER));
    expect(error.kind).toBe('feature-not-enabled');
    expect(error.remediation).toContain('enable-organizations-root-sessions');
  });

  it('explains credentials of an account that is neither management nor delegated admin', async () => {
    env.fake.failNext('DescribeOrganization', 'AWSOrganizationsNotInUseException');
    const error = await failure(env.service.auditRootCredentials(MEMBER));
    expect(error.kind).toBe('wrong-account');
    expect(error.remediation).toContain('get-caller-identity');
  });
});

describe('retries', () => {
  it('retries throttling and then succeeds', async () => {
    env.fake.failNext('AssumeRoot', 'Throttling', { message: 'Rate exceeded', times: 2 });
    env.fake.failNext('GetAccountSummary', 'Throttling', { message: 'Rate exceeded', times: 1 });
    const audit = await env.service.auditRootCredentials(MEMBER);
    expect(audit.anyPresent).toBe(false);
    expect(env.fake.callsOf('AssumeRoot')).toHaveLength(1);
    expect(env.fake.stats.requests).toBeGreaterThanOrEqual(2 + 3 + 2);
  });

  it('retries a 5xx answer', async () => {
    env.fake.failNext('ListAccounts', 'ServiceUnavailable', { status: 503 });
    const accounts = await env.organization.memberAccounts();
    expect(accounts.map((a) => a.id)).toEqual([memberId(1), memberId(2)]);
  });

  it('gives up after the configured attempts and classifies the result as throttled', async () => {
    env.fake.failNext('AssumeRoot', 'Throttling', { message: 'Rate exceeded', times: 10 });
    const error = await failure(env.service.auditRootCredentials(MEMBER));
    expect(error.kind).toBe('throttled');
    expect(error.remediation).toMatch(/concurrency/);
    // ListAccounts + DescribeOrganization + ListDelegatedAdministrators and GetCallerIdentity (protected
    // accounts), then 4 attempts
    expect(env.fake.stats.requests).toBe(4 + 4);
  });

  it('does not retry AccessDenied', async () => {
    env.fake.failNext('GetAccountSummary', 'AccessDenied', { status: 403 });
    await failure(env.service.auditRootCredentials(MEMBER));
    expect(env.fake.stats.requests).toBe(4 + 1 + 1);
  });
});

describe('secrets', () => {
  it('never lets a session secret or token reach a log line or a returned value', async () => {
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    env.fake.account(memberId(2)).queues.set('q', '{"Statement":[]}');
    env.fake.account(memberId(2)).buckets.set('b-bucket', '{"Statement":[]}');
    const results: unknown[] = [
      await env.service.auditRootCredentials(MEMBER),
      await env.service.allowPasswordRecovery(memberId(2)),
      await env.service.deleteRootCredentials(MEMBER),
      await env.service.unlockS3BucketPolicy(memberId(2), 'b-bucket', policyHash('{"Statement":[]}')),
      await env.service.unlockSqsQueuePolicy(
        memberId(2),
        `https://sqs.us-east-1.amazonaws.com/${memberId(2)}/q`,
        policyHash('{"Statement":[]}'),
      ),
    ];
    // a deletion with a failed item: it goes on, and its verification re-reads
    env.fake.failNext('DeleteAccessKey', 'AccessDenied', { status: 403 });
    env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
    results.push(await env.service.deleteRootCredentials(MEMBER));

    const sessions = [...env.fake.sessions.values()];
    expect(sessions.length).toBe(8);
    const output = JSON.stringify(results) + env.logLines.join('\n');
    expect(env.logLines.length).toBeGreaterThan(5);
    for (const session of sessions) {
      expect(output).not.toContain(session.secretAccessKey);
      expect(output).not.toContain(session.sessionToken);
      // The access key id is what CloudTrail correlation needs, and it is recorded.
      expect(output).toContain(session.accessKeyId);
    }
    expect(output).not.toContain(env.fake.env().AWS_SECRET_ACCESS_KEY);
  });
});
