/**
 * The fake AWS is only worth its tests if it refuses what real AWS refuses. These
 * drive it with the real SDK clients over HTTP, as the service does.
 */
import {
  DeactivateMFADeviceCommand,
  DeleteLoginProfileCommand,
  DeleteVirtualMFADeviceCommand,
  GetAccountSummaryCommand,
  GetLoginProfileCommand,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EvidenceLog } from '../../src/aws/evidence.js';
import { openRootSession, type RootSession } from '../../src/aws/root-session.js';
import type { RootTask } from '../../src/aws/task-policies.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';
import { fullyCredentialed, memberId, seedMembers } from './aws/sample-org.js';

const MEMBER = memberId(1);
const VIRTUAL_MFA = `arn:aws:iam::${MEMBER}:mfa/root-account-mfa-device`;

let env: FakeAwsEnv;
beforeEach(async () => {
  env = await startFakeAwsEnv({ maxAttempts: 1 });
  seedMembers(env.fake, 1, 0);
  env.fake.account(MEMBER).root = fullyCredentialed(MEMBER);
});
afterEach(() => env.close());

function session(task: RootTask): Promise<RootSession> {
  return openRootSession(env.clients, MEMBER, task, new EvidenceLog());
}

/** The SDK error a call ends with (name, message, HTTP status). */
async function refusal(run: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const e = error as Error & { $metadata?: { httpStatusCode?: number } };
  return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
}

describe('task policies: NotAction and NotResource', () => {
  it('denies DeleteVirtualMFADevice: its resource is the device, not the root user', async () => {
    const iam = (await session('deleteCredentials')).iam();
    await iam.send(new DeactivateMFADeviceCommand({ SerialNumber: VIRTUAL_MFA }));
    const denied = await refusal(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: VIRTUAL_MFA })));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.status).toBe(403);
    expect(denied.message).toMatch(
      new RegExp(
        `^User: arn:aws:sts::${MEMBER}:assumed-root/\\S+ is not authorized to perform: iam:DeleteVirtualMFADevice on resource: ${VIRTUAL_MFA} because no identity-based policy allows`,
      ),
    );
    expect(denied.message).not.toMatch(/service control policy/);
  });

  it('allows GetAccountSummary (resource "*") in an audit session, and no unlisted action', async () => {
    const audit = (await session('audit')).iam();
    await expect(audit.send(new GetAccountSummaryCommand({}))).resolves.toBeDefined();
    const unlisted = await refusal(audit.send(new DeleteLoginProfileCommand({})));
    expect(unlisted.name).toBe('AccessDenied');
    const deleter = (await session('deleteCredentials')).iam();
    expect((await refusal(deleter.send(new GetAccountSummaryCommand({})))).name).toBe('AccessDenied');
  });
});

describe('the MFA rule on DeleteLoginProfile is an option', () => {
  it('deletes the login profile while MFA is active by default', async () => {
    const iam = (await session('deleteCredentials')).iam();
    await iam.send(new DeleteLoginProfileCommand({}));
    expect(env.fake.account(MEMBER).root.loginProfile).toBeNull();
  });

  it('refuses it with EntityTemporarilyUnmodifiable when switched on, until MFA is deactivated', async () => {
    env.fake.options.mfaBlocksLoginProfileDeletion = true;
    const iam = (await session('deleteCredentials')).iam();
    const refused = await refusal(iam.send(new DeleteLoginProfileCommand({})));
    expect(refused).toMatchObject({ name: 'EntityTemporarilyUnmodifiableException', status: 409 });
    for (const device of env.fake.account(MEMBER).root.mfaDevices) {
      await iam.send(new DeactivateMFADeviceCommand({ SerialNumber: device.serialNumber }));
    }
    await iam.send(new DeleteLoginProfileCommand({}));
    expect(env.fake.account(MEMBER).root.loginProfile).toBeNull();
  });
});

describe('GetAccountSummary without AccountPasswordPresent', () => {
  it('leaves the key out while a password exists', async () => {
    env.fake.options.omitAccountPasswordPresent = true;
    const out = await (await session('audit')).iam().send(new GetAccountSummaryCommand({}));
    expect(out.SummaryMap).not.toHaveProperty('AccountPasswordPresent');
    expect(out.SummaryMap?.AccountMFAEnabled).toBe(1);
  });
});

describe('IAM eventual consistency', () => {
  it('lets the next N audit reads see the state before a delete, then the truth', async () => {
    env.fake.options.staleAuditReads = 2;
    await (await session('deleteCredentials')).iam().send(new DeleteLoginProfileCommand({}));
    const audit = (await session('audit')).iam();
    const reads = [];
    for (let i = 0; i < 3; i++) {
      reads.push(
        await audit.send(new GetLoginProfileCommand({})).then(
          () => 'present',
          (e: Error) => e.name,
        ),
      );
    }
    expect(reads).toEqual(['present', 'present', 'NoSuchEntityException']);
  });
});

describe('root sessions that expire', () => {
  it('answers ExpiredToken (403) once the session has used its calls', async () => {
    env.fake.options.expiringRootSessions = { afterCalls: 1, sessions: 1 };
    const iam = (await session('deleteCredentials')).iam();
    await iam.send(new ListAccessKeysCommand({}));
    const expired = await refusal(iam.send(new ListAccessKeysCommand({})));
    expect(expired).toEqual({
      name: 'ExpiredToken',
      message: 'The security token included in the request is expired',
      status: 403,
    });
    // only the first session was set to expire
    await expect(
      (await session('deleteCredentials')).iam().send(new ListAccessKeysCommand({})),
    ).resolves.toBeDefined();
  });
});

describe('an SCP that denies root inside the session', () => {
  it('lets AssumeRoot succeed and denies every IAM and S3 call in the session', async () => {
    const account = env.fake.account(MEMBER);
    account.scpDeniesInSession = true;
    account.buckets.set('locked-bucket', '{}');
    const iam = (await session('audit')).iam();
    const denied = await refusal(iam.send(new GetAccountSummaryCommand({})));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toMatch(/with an explicit deny in a service control policy$/);
    const s3 = (await session('unlockS3')).s3('us-east-1');
    const s3Denied = await refusal(s3.send(new GetBucketPolicyCommand({ Bucket: 'locked-bucket' })));
    expect(s3Denied.message).toMatch(/service control policy/);
    expect(env.fake.callsOf('AssumeRoot')).toHaveLength(2);
  });
});
