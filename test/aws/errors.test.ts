import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  classifyAwsError,
  type ErrorKind,
  invalidInput,
  isRetryable,
  nothingGranted,
  RootTaskError,
} from '../../src/aws/errors.js';
import { policyHash } from '../../src/domain/content-hash.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

/** An error shaped as the SDK throws it: name = AWS code, HTTP status in $metadata. */
function sdkError(name: string, status: number, message = `${name} from AWS`): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
  });
}

/** A network-level failure, as node's HTTP handler reports it. */
function networkError(code: string): Error {
  return Object.assign(new Error(`socket: ${code}`), { code });
}

const SCP =
  'is not authorized to perform: iam:GetAccountSummary with an explicit deny in a service control policy';
const NOT_RESOURCE =
  'User: arn:aws:sts::200000000001:assumed-root/x is not authorized to perform: iam:DeleteVirtualMFADevice on resource: arn:aws:iam::200000000001:mfa/d because no identity-based policy allows the iam:DeleteVirtualMFADevice action';

describe('classifyAwsError', () => {
  const cases: [string, Error, ErrorKind][] = [
    ['RegionDisabledException', sdkError('RegionDisabledException', 403), 'region-disabled'],
    [
      'ExpiredToken (IAM, STS query protocol)',
      sdkError('ExpiredToken', 403, 'The security token included in the request is expired'),
      'session-expired',
    ],
    ['ExpiredTokenException (STS model)', sdkError('ExpiredTokenException', 400), 'session-expired'],
    [
      'EntityTemporarilyUnmodifiable',
      sdkError('EntityTemporarilyUnmodifiable', 409),
      'temporarily-unmodifiable',
    ],
    [
      'EntityTemporarilyUnmodifiableException',
      sdkError('EntityTemporarilyUnmodifiableException', 409),
      'temporarily-unmodifiable',
    ],
    ['ConcurrentModification', sdkError('ConcurrentModification', 409), 'concurrent-modification'],
    [
      'ConcurrentModificationException',
      sdkError('ConcurrentModificationException', 400),
      'concurrent-modification',
    ],
    [
      'OrganizationNotInAllFeaturesModeException',
      sdkError('OrganizationNotInAllFeaturesModeException', 400),
      'not-all-features',
    ],
    ['an SCP denial inside the session (IAM)', sdkError('AccessDenied', 403, SCP), 'blocked-by-scp'],
    ['an SCP denial inside the session (SQS)', sdkError('AccessDeniedException', 400, SCP), 'blocked-by-scp'],
    ['the task policy NotResource denial', sdkError('AccessDenied', 403, NOT_RESOURCE), 'not-authorized'],
  ];
  it.each(cases)('classifies %s', (_name, error, kind) => {
    const classified = classifyAwsError(error, 'iam:Something on 200000000001');
    expect(classified.kind).toBe(kind);
    expect(classified.remediation).not.toBe('');
    expect(classified.details).toMatchObject({ action: 'iam:Something on 200000000001', requestId: 'req-1' });
  });

  it('gives each new kind its own one-line remediation', () => {
    const kinds: [ErrorKind, RegExp][] = [
      ['region-disabled', /AWS_REGION/],
      ['session-expired', /reopened/],
      ['temporarily-unmodifiable', /deactivate the MFA/],
      ['concurrent-modification', /retry/i],
      ['not-all-features', /enable-all-features/],
    ];
    for (const [kind, text] of kinds) {
      const { remediation } = new RootTaskError(kind, 'x');
      expect(remediation).toMatch(text);
      expect(remediation).not.toContain('\n');
    }
  });
});

describe('isRetryable', () => {
  const cases: [ErrorKind, boolean][] = [
    ['concurrent-modification', true],
    ['temporarily-unmodifiable', true],
    ['throttled', true],
    ['transient', true],
    ['session-expired', false],
    ['not-authorized', false],
    ['blocked-by-scp', false],
    ['unexpected', false],
  ];
  it.each(cases)('%s -> %s', (kind, retryable) => {
    expect(isRetryable(new RootTaskError(kind, 'x'))).toBe(retryable);
  });
});

describe('nothingGranted', () => {
  const at = (action: string, error: unknown) => classifyAwsError(error, action);
  const cases: [string, unknown, boolean][] = [
    // our own input checks, before any call
    ['invalid input', invalidInput('not 12 digits'), true],
    ['a policy that changed since approval', new RootTaskError('changed-since-approval', 'changed'), true],
    // calls before the grant call: once one fails, the grant call is never sent
    [
      'AssumeRoot AccessDenied',
      at('sts:AssumeRoot (createPassword) on 1', sdkError('AccessDenied', 403)),
      true,
    ],
    [
      'AssumeRoot ValidationError',
      at('sts:AssumeRoot (unlockS3) on 1', sdkError('ValidationError', 400)),
      true,
    ],
    ['AssumeRoot SCP', at('sts:AssumeRoot (unlockSqs) on 1', sdkError('AccessDenied', 403, SCP)), true],
    [
      'AssumeRoot timeout (opening a session grants nothing)',
      at('sts:AssumeRoot (a) on 1', networkError('ETIMEDOUT')),
      true,
    ],
    ['organizations lookup', at('organizations:ListAccounts', sdkError('ServiceException', 500)), true],
    [
      'GetBucketPolicy SCP in session',
      at('s3:GetBucketPolicy on b', sdkError('AccessDenied', 403, SCP)),
      true,
    ],
    ['GetQueueAttributes 5xx', at('sqs:GetQueueAttributes on q', sdkError('InternalError', 500)), true],
    // the grant call refused: AWS says "not done"
    [
      'CreateLoginProfile AccessDenied',
      at('iam:CreateLoginProfile on 1', sdkError('AccessDenied', 403)),
      true,
    ],
    ['CreateLoginProfile SCP', at('iam:CreateLoginProfile on 1', sdkError('AccessDenied', 403, SCP)), true],
    [
      'CreateLoginProfile ValidationError',
      at('iam:CreateLoginProfile on 1', sdkError('ValidationError', 400)),
      true,
    ],
    [
      'CreateLoginProfile NoSuchEntity',
      at('iam:CreateLoginProfile on 1', sdkError('NoSuchEntityException', 404)),
      true,
    ],
    [
      'DeleteBucketPolicy AccessDenied',
      at('s3:DeleteBucketPolicy on b', sdkError('AccessDenied', 403)),
      true,
    ],
    [
      'DeleteBucketPolicy NoSuchBucket',
      at('s3:DeleteBucketPolicy on b', sdkError('NoSuchBucket', 404)),
      true,
    ],
    [
      'SetQueueAttributes SCP',
      at('sqs:SetQueueAttributes on q', sdkError('AccessDeniedException', 400, SCP)),
      true,
    ],
    // the grant call with no proof either way
    ['CreateLoginProfile timeout', at('iam:CreateLoginProfile on 1', networkError('ETIMEDOUT')), false],
    ['CreateLoginProfile reset', at('iam:CreateLoginProfile on 1', networkError('ECONNRESET')), false],
    ['CreateLoginProfile 503', at('iam:CreateLoginProfile on 1', sdkError('ServiceUnavailable', 503)), false],
    ['CreateLoginProfile throttled', at('iam:CreateLoginProfile on 1', sdkError('Throttling', 400)), false],
    ['DeleteBucketPolicy 500', at('s3:DeleteBucketPolicy on b', sdkError('InternalError', 500)), false],
    ['DeleteBucketPolicy unknown code', at('s3:DeleteBucketPolicy on b', sdkError('Weird', 400)), false],
    [
      'SetQueueAttributes busy',
      at('sqs:SetQueueAttributes on q', sdkError('ConcurrentModification', 409)),
      false,
    ],
    // nothing to go on
    ['an unrelated call', at('iam:DeleteAccessKey K on 1', sdkError('AccessDenied', 403)), false],
    ['a RootTaskError naming no call', new RootTaskError('unexpected', 'odd'), false],
    ['a plain Error', new Error('boom'), false],
    ['undefined', undefined, false],
  ];
  it.each(cases)('%s -> %s', (_name, error, expected) => {
    expect(nothingGranted(error)).toBe(expected);
  });
});

describe('the new kinds over the wire, from the real SDK', () => {
  const MEMBER = memberId(1);
  let env: FakeAwsEnv;
  beforeEach(async () => {
    env = await startFakeAwsEnv({ maxAttempts: 1 });
    seedMembers(env.fake, 1, 0);
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

  it('RegionDisabledException from AssumeRoot', async () => {
    env.fake.failNext('AssumeRoot', 'RegionDisabledException', {
      status: 403,
      message: 'STS is not activated in this region for account:111111111111.',
    });
    const error = await failure(env.service.auditRootCredentials(MEMBER));
    expect(error.kind).toBe('region-disabled');
    expect(nothingGranted(error)).toBe(true);
  });

  it('ExpiredTokenException from AssumeRoot (the bot’s own credentials)', async () => {
    env.fake.failNext('AssumeRoot', 'ExpiredTokenException', { status: 400 });
    expect((await failure(env.service.allowPasswordRecovery(MEMBER))).kind).toBe('session-expired');
  });

  it('OrganizationNotInAllFeaturesModeException from Organizations', async () => {
    env.fake.failNext('DescribeOrganization', 'OrganizationNotInAllFeaturesModeException');
    const error = await failure(env.service.auditRootCredentials(MEMBER));
    expect(error.kind).toBe('not-all-features');
    expect(error.remediation).toContain('enable-all-features');
  });

  it('an SCP denial of CreateLoginProfile inside the session: blocked-by-scp, and nothing granted', async () => {
    env.fake.account(MEMBER).scpDeniesInSession = true;
    const error = await failure(env.service.allowPasswordRecovery(MEMBER));
    expect(error.kind).toBe('blocked-by-scp');
    expect(error.details.action).toBe(`iam:CreateLoginProfile on ${MEMBER}`);
    expect(nothingGranted(error)).toBe(true);
    expect(env.fake.account(MEMBER).root.loginProfile).toBeNull();
  });

  it('an SCP denial inside S3 and SQS sessions: blocked-by-scp, and nothing granted', async () => {
    const account = env.fake.account(MEMBER);
    account.scpDeniesInSession = true;
    account.buckets.set('locked-bucket', '{}');
    account.queues.set('q', '{}');
    const s3 = await failure(env.service.unlockS3BucketPolicy(MEMBER, 'locked-bucket', policyHash('{}')));
    const sqs = await failure(
      env.service.unlockSqsQueuePolicy(
        MEMBER,
        `https://sqs.us-east-1.amazonaws.com/${MEMBER}/q`,
        policyHash('{}'),
      ),
    );
    for (const error of [s3, sqs]) {
      expect(error.kind).toBe('blocked-by-scp');
      expect(nothingGranted(error)).toBe(true);
    }
    expect(account.buckets.get('locked-bucket')).toBe('{}');
    expect(account.queues.get('q')).toBe('{}');
  });

  it('a 5xx on the grant call is no proof that nothing was granted', async () => {
    env.fake.failNext('CreateLoginProfile', 'ServiceFailure', { status: 500 });
    const error = await failure(env.service.allowPasswordRecovery(MEMBER));
    expect(error.kind).toBe('transient');
    expect(nothingGranted(error)).toBe(false);
  });
});
