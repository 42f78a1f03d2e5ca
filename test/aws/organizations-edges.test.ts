import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { runDoctor } from '../../src/aws/doctor.js';
import { classifyAwsError } from '../../src/aws/errors.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

let env: FakeAwsEnv;
beforeEach(async () => {
  env = await startFakeAwsEnv({ maxAttempts: 4 });
  seedMembers(env.fake, 3, 0);
});
afterEach(() => env.close());

describe('Organizations throttling', () => {
  it('is answered with TooManyRequestsException, as real Organizations does, and classified as throttled', async () => {
    const once = new AwsClients(awsSettingsFromEnv({ ...env.fake.env(), BREAKGLASS_AWS_MAX_ATTEMPTS: '1' }));
    env.fake.throttlePerSecond = 1; // a burst of one request, then one a second
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => once.organizations.send(new DescribeOrganizationCommand({}))),
    );
    once.destroy();
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(classifyAwsError(refused[0], 'organizations:DescribeOrganization').kind).toBe('throttled');
  });

  it('is retried until the answer comes', async () => {
    env.fake.failNext('ListAccounts', 'TooManyRequestsException', { times: 2 });
    env.fake.failNext('DescribeOrganization', 'TooManyRequestsException', { times: 1 });
    const members = await env.organization.memberAccounts();
    expect(members.map((a) => a.id)).toEqual([memberId(1), memberId(2), memberId(3)]);
    expect(env.fake.requests.filter((r) => r.action === 'ListAccounts')).toHaveLength(3);
  });
});

describe('doctor', () => {
  function check(checks: Awaited<ReturnType<typeof runDoctor>>, name: string) {
    return checks.find((c) => c.name === name);
  }

  it('reads every page of trusted services: IAM on page 2 still passes', async () => {
    env.fake.org.trustedServices = new Set([
      'access-analyzer.amazonaws.com',
      'account.amazonaws.com',
      'iam.amazonaws.com',
      'sso.amazonaws.com',
      'tagpolicies.tag.amazonaws.com',
    ]);
    const checks = await runDoctor(env.clients, env.organization);
    expect(check(checks, 'IAM trusted access')).toMatchObject({ status: 'pass' });
    expect(env.fake.callsOf('ListAWSServiceAccessForOrganization')).toHaveLength(3);
  });

  it('fails trusted access only after the last page', async () => {
    env.fake.org.trustedServices = new Set(['a.amazonaws.com', 'b.amazonaws.com', 'c.amazonaws.com']);
    const checks = await runDoctor(env.clients, env.organization);
    expect(check(checks, 'IAM trusted access')).toMatchObject({
      status: 'fail',
      detail: 'iam.amazonaws.com is not trusted',
    });
    expect(env.fake.callsOf('ListAWSServiceAccessForOrganization')).toHaveLength(2);
  });

  it('tells an organization without all features to enable them', async () => {
    env.fake.failNext('ListOrganizationsFeatures', 'OrganizationNotInAllFeaturesModeException', {
      message: 'This operation can be performed only for an organization with all features enabled.',
    });
    const checks = await runDoctor(env.clients, env.organization);
    expect(check(checks, 'Feature RootSessions')).toMatchObject({
      status: 'fail',
      fix: 'aws organizations enable-all-features',
    });
    expect(check(checks, 'Feature RootSessions')?.detail).toContain(
      'OrganizationNotInAllFeaturesModeException',
    );
  });

  it('lists the protected accounts and why', async () => {
    env.fake.org.delegatedAdministrators.push(memberId(3));
    const clients = new AwsClients(
      awsSettingsFromEnv({ ...env.fake.env(), BREAKGLASS_PROTECTED_ACCOUNTS: memberId(2) }),
    );
    const checks = await runDoctor(clients, env.organization);
    clients.destroy();
    expect(check(checks, 'Protected accounts')).toEqual({
      name: 'Protected accounts',
      status: 'pass',
      detail: `never targeted: 111111111111 (management account), ${memberId(2)} (BREAKGLASS_PROTECTED_ACCOUNTS), ${memberId(3)} (IAM delegated administrator)`,
    });
  });
});
