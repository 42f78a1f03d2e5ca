import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClients, type SessionCredentials } from '../../src/aws/clients.js';
import { RootTaskError } from '../../src/aws/errors.js';
import { EvidenceLog } from '../../src/aws/evidence.js';
import { openRootSession } from '../../src/aws/root-session.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { policyHash } from '../../src/domain/content-hash.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

const MEMBER = memberId(1);
const OTHER = memberId(2);
const POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*"}]}';
/** the hash of what approvers saw: POLICY */
const APPROVED = policyHash(POLICY);

let env: FakeAwsEnv;
beforeEach(async () => {
  env = await startFakeAwsEnv();
  seedMembers(env.fake, 3, 0);
});
afterEach(() => env.close());

function requestsOf(service: string) {
  return env.fake.requests.filter((r) => r.service === service);
}

async function refusal(run: Promise<unknown>): Promise<RootTaskError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RootTaskError);
  return error as RootTaskError;
}

describe('S3 unlock: ownership and region first', () => {
  it('unlocks a bucket in another region than AWS_REGION, sending the policy calls to its region', async () => {
    const account = env.fake.account(MEMBER);
    account.buckets.set('frankfurt-logs', POLICY);
    account.bucketRegions.set('frankfurt-logs', 'eu-central-1');
    const result = await env.service.unlockS3BucketPolicy(MEMBER, 'frankfurt-logs', APPROVED);
    expect(result).toMatchObject({ previousPolicy: POLICY, removed: true });
    expect(account.buckets.get('frankfurt-logs')).toBeNull();
    expect(requestsOf('s3').map((r) => `${r.action}@${r.region}`)).toEqual([
      'ListAllMyBuckets@us-east-1',
      'GetBucketPolicy@eu-central-1',
      'DeleteBucketPolicy@eu-central-1',
    ]);
  });

  it('finds the exact bucket among others sharing its name as a prefix', async () => {
    const account = env.fake.account(MEMBER);
    for (const name of ['data-archive', 'data', 'data-2']) account.buckets.set(name, POLICY);
    account.bucketRegions.set('data', 'ap-southeast-2');
    account.bucketRegions.set('data-2', 'eu-west-1');
    await env.service.unlockS3BucketPolicy(MEMBER, 'data', APPROVED);
    expect(account.buckets.get('data')).toBeNull();
    expect(account.buckets.get('data-2')).toBe(POLICY);
    expect(requestsOf('s3').map((r) => `${r.action}@${r.region}`)).toEqual([
      'ListAllMyBuckets@us-east-1',
      'GetBucketPolicy@ap-southeast-2',
      'DeleteBucketPolicy@ap-southeast-2',
    ]);
  });

  it("refuses another account's bucket before any policy call", async () => {
    env.fake.account(OTHER).buckets.set('their-bucket', POLICY);
    const error = await refusal(env.service.unlockS3BucketPolicy(MEMBER, 'their-bucket', APPROVED));
    expect(error.kind).toBe('not-found');
    expect(error.message).toBe(`bucket their-bucket is not in account ${MEMBER}`);
    expect(requestsOf('s3').map((r) => r.action)).toEqual(['ListAllMyBuckets']);
    expect(env.fake.account(OTHER).buckets.get('their-bucket')).toBe(POLICY);
  });

  it('reads the policy for approval the same way (readPolicy)', async () => {
    env.fake.account(MEMBER).buckets.set('tokyo', POLICY);
    env.fake.account(MEMBER).bucketRegions.set('tokyo', 'ap-northeast-1');
    const read = await env.service.readPolicy(MEMBER, 'unlock-s3', 'tokyo');
    expect(read.policy).toBe(POLICY);
    expect(requestsOf('s3').map((r) => r.action)).toEqual(['ListAllMyBuckets', 'GetBucketPolicy']);
    await expect(env.service.readPolicy(MEMBER, 'unlock-s3', 'not-mine')).rejects.toThrow(
      /is not in account/,
    );
  });

  it('sends ExpectedBucketOwner with every policy call', async () => {
    const inputs: { region: string; input: object }[] = [];
    const s3For = env.clients.s3For.bind(env.clients);
    vi.spyOn(env.clients, 's3For').mockImplementation((credentials, region) => {
      const client = s3For(credentials, region);
      client.middlewareStack.add(
        (next) => async (args) => {
          inputs.push({ region, input: args.input });
          return next(args);
        },
        { step: 'initialize' },
      );
      return client;
    });
    env.fake.account(MEMBER).buckets.set('owned', POLICY);
    await env.service.unlockS3BucketPolicy(MEMBER, 'owned', APPROVED);
    expect(inputs.map((i) => i.input)).toEqual([
      { Prefix: 'owned' },
      { Bucket: 'owned', ExpectedBucketOwner: MEMBER },
      { Bucket: 'owned', ExpectedBucketOwner: MEMBER },
    ]);
  });
});

describe('the fake S3 is as strict as S3', () => {
  async function rootS3(region: string, followRegionRedirects: boolean) {
    const session = await openRootSession(env.clients, MEMBER, 'unlockS3', new EvidenceLog());
    const client = session.s3(region);
    if (!followRegionRedirects) client.config.followRegionRedirects = false;
    return client;
  }

  beforeEach(() => {
    env.fake.account(MEMBER).buckets.set('dublin', POLICY);
    env.fake.account(MEMBER).bucketRegions.set('dublin', 'eu-west-1');
    env.fake.account(OTHER).buckets.set('theirs', POLICY);
  });

  it('answers a call to the wrong region with 301 PermanentRedirect and the bucket region', async () => {
    const s3 = await rootS3('us-east-1', false);
    const error = await s3.send(new GetBucketPolicyCommand({ Bucket: 'dublin' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PermanentRedirect', $metadata: { httpStatusCode: 301 } });
    expect((error as { $response?: { headers: Record<string, string> } }).$response?.headers).toMatchObject({
      'x-amz-bucket-region': 'eu-west-1',
    });
  });

  it('is followed by the client when S3 does not say the region up front', async () => {
    const s3 = await rootS3('us-east-1', true);
    const out = await s3.send(new GetBucketPolicyCommand({ Bucket: 'dublin' }));
    expect(out.Policy).toBe(POLICY);
  });

  it('answers 403 AccessDenied to a wrong ExpectedBucketOwner and to another account', async () => {
    const s3 = await rootS3('eu-west-1', false);
    const wrongOwner = await s3
      .send(new GetBucketPolicyCommand({ Bucket: 'dublin', ExpectedBucketOwner: OTHER }))
      .catch((e: unknown) => e);
    expect(wrongOwner).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const home = await rootS3('us-east-1', false);
    const theirs = await home.send(new GetBucketPolicyCommand({ Bucket: 'theirs' })).catch((e: unknown) => e);
    expect(theirs).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
});

describe('SQS unlock: the queue URL names the queue, never the endpoint', () => {
  it('sends to the configured endpoint, signed for the region in the URL', async () => {
    const account = env.fake.account(MEMBER);
    account.queues.set('orders', POLICY);
    account.queueRegions.set('orders', 'eu-west-1');
    const queueUrl = `https://sqs.eu-west-1.amazonaws.com/${MEMBER}/orders`;
    const result = await env.service.unlockSqsQueuePolicy(MEMBER, queueUrl, APPROVED);
    expect(result).toMatchObject({ resource: queueUrl, previousPolicy: POLICY, removed: true });
    const sqs = requestsOf('sqs');
    expect(sqs.map((r) => r.action)).toEqual(['GetQueueAttributes', 'SetQueueAttributes']);
    // The URL's host is real AWS: the requests reached the fake, the configured endpoint.
    for (const r of sqs) expect(r).toMatchObject({ host: new URL(env.fake.url).host, region: 'eu-west-1' });
  });

  it('accepts a legacy queue URL and sends to the region it names', async () => {
    env.fake.account(MEMBER).queues.set('legacy', POLICY);
    env.fake.account(MEMBER).queueRegions.set('legacy', 'eu-west-1');
    const result = await env.service.unlockSqsQueuePolicy(
      MEMBER,
      `https://eu-west-1.queue.amazonaws.com/${MEMBER}/legacy`,
      APPROVED,
    );
    expect(result.removed).toBe(true);
    expect(requestsOf('sqs').every((r) => r.region === 'eu-west-1')).toBe(true);
  });

  it('does not find a queue through a URL naming another region (as SQS)', async () => {
    env.fake.account(MEMBER).queues.set('orders', POLICY);
    env.fake.account(MEMBER).queueRegions.set('orders', 'eu-west-1');
    const error = await refusal(
      env.service.unlockSqsQueuePolicy(
        MEMBER,
        `https://sqs.us-east-1.amazonaws.com/${MEMBER}/orders`,
        APPROVED,
      ),
    );
    expect(error.kind).toBe('not-found');
    expect(env.fake.account(MEMBER).queues.get('orders')).toBe(POLICY);
  });

  const hostile = [
    `http://127.0.0.1:4566/${MEMBER}/q`,
    `https://127.0.0.1/${MEMBER}/q`,
    `https://localhost/${MEMBER}/q`,
    `https://evil.com/${MEMBER}/q`,
    `https://sqs.us-east-1.amazonaws.com.evil.com/${MEMBER}/q`,
    `http://sqs.us-east-1.amazonaws.com/${MEMBER}/q`,
    `https://me@sqs.us-east-1.amazonaws.com/${MEMBER}/q`,
    `https://sqs.us-east-1.amazonaws.com@evil.com/${MEMBER}/q`,
    `https://sqs.us-east-1.amazonaws.com:8443/${MEMBER}/q`,
  ];
  it.each(hostile)('refuses %s before any AWS call', async (queueUrl) => {
    const error = await refusal(env.service.unlockSqsQueuePolicy(MEMBER, queueUrl, APPROVED));
    expect(error.kind).toBe('invalid-input');
    expect(error.message).toMatch(/is not an SQS queue URL: /);
    expect(env.fake.requests).toEqual([]);
  });
});

describe('the SQS client without a configured endpoint', () => {
  const credentials: SessionCredentials = {
    accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
    secretAccessKey: 'example-secret-example-secret-example-000',
    sessionToken: 'example-token',
  };

  it.each([
    'https://eu-west-1.queue.amazonaws.com/123456789012/q',
    'https://sqs.ap-south-1.amazonaws.com/123456789012/q',
    'https://evil.example:4566/123456789012/q',
  ])('sends a request for %s to the regional SQS endpoint, not to the URL host', async (QueueUrl) => {
    for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SQS']) vi.stubEnv(name, undefined);
    vi.stubEnv('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', 'true');
    const clients = new AwsClients(awsSettingsFromEnv({ AWS_REGION: 'us-east-1' }));
    const sqs = clients.sqsFor(credentials, 'eu-west-1');
    const hosts: string[] = [];
    sqs.middlewareStack.add(
      () => async (args) => {
        hosts.push((args.request as { hostname: string }).hostname);
        throw new Error('stopped before sending');
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    await expect(
      sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] })),
    ).rejects.toThrow('stopped before sending');
    expect(hosts).toEqual(['sqs.eu-west-1.amazonaws.com']);
    clients.destroy();
  });
});
