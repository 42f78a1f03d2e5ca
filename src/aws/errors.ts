/**
 * Errors are values with a kind and a remediation. AWS SDK errors are mapped to a
 * small set of kinds once, here; the CLI and Slack only render them.
 * Remediation texts follow the troubleshooting map in aws-root-access-facts.md.
 */

export type ErrorKind =
  | 'invalid-input'
  | 'not-authorized'
  | 'feature-not-enabled'
  | 'trusted-access-off'
  | 'wrong-account'
  | 'blocked-by-scp'
  | 'throttled'
  | 'not-found'
  | 'transient'
  | 'region-disabled'
  | 'session-expired'
  | 'temporarily-unmodifiable'
  | 'concurrent-modification'
  | 'not-all-features'
  | 'changed-since-approval'
  | 'unexpected';

const REMEDIATION: Record<ErrorKind, string> = {
  'invalid-input': 'Correct the input and try again.',
  'not-authorized':
    "The bot's IAM principal needs sts:AssumeRoot (conditioned on sts:TaskPolicyArn) and must run in the management account or the IAM delegated administrator; check with `aws organizations list-delegated-administrators --service-principal iam.amazonaws.com`. If that is fine, `aws iam list-organizations-features` must show RootCredentialsManagement and RootSessions.",
  'feature-not-enabled':
    'Enable centralized root access from the management account: `aws iam enable-organizations-root-credentials-management` and `aws iam enable-organizations-root-sessions`; check with `aws iam list-organizations-features`.',
  'trusted-access-off':
    'Enable IAM trusted access from the management account: `aws organizations enable-aws-service-access --service-principal iam.amazonaws.com`.',
  'wrong-account':
    "The bot's credentials belong to an account that is neither the management account nor the IAM delegated administrator: check `aws sts get-caller-identity` and register the delegated administrator with `aws organizations register-delegated-administrator --service-principal iam.amazonaws.com --account-id <id>`.",
  'blocked-by-scp':
    'A service control policy denies root sessions in this account. With Control Tower, set the ExemptAssumeRoot parameter of AWS-GR_RESTRICT_ROOT_USER, or exempt this account from the SCP.',
  throttled: 'AWS is throttling requests (Rate exceeded). Wait a minute and retry, or lower --concurrency.',
  'not-found': 'Check the account, bucket or queue name: AWS says it does not exist.',
  transient: 'AWS or the network failed temporarily. Retry; if it persists, check the AWS Health Dashboard.',
  'region-disabled':
    'The STS region is not enabled for this account: enable it (Account settings, AWS Regions) or set AWS_REGION to an enabled region.',
  'session-expired':
    "The security token expired: a root session that expires mid-task is reopened once; if this persists, refresh the bot's own AWS credentials and check the host clock.",
  'temporarily-unmodifiable':
    'IAM refuses to change this entity right now (EntityTemporarilyUnmodifiable): retry in a minute; for a login profile, deactivate the MFA devices first.',
  'concurrent-modification':
    'Another change to the same resource was in progress (ConcurrentModification): retry in a few seconds.',
  'not-all-features':
    'The organization uses consolidated billing only: enable all features (`aws organizations enable-all-features`, approved by every member account), then enable centralized root access.',
  'changed-since-approval':
    'The policy changed after approval; request again so approvers see the current policy.',
  unexpected: 'Unexpected AWS error: see the error code and request id in the audit trail.',
};

export interface ErrorDetails {
  /** AWS error code, e.g. AccessDenied. */
  code?: string;
  requestId?: string;
  httpStatus?: number;
  /** what was being done, e.g. "sts:AssumeRoot (audit) on 123456789012" */
  action?: string;
}

export class RootTaskError extends Error {
  override readonly name = 'RootTaskError';
  readonly kind: ErrorKind;
  readonly remediation: string;
  readonly details: ErrorDetails;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}, remediation?: string) {
    super(message);
    this.kind = kind;
    this.details = details;
    this.remediation = remediation ?? REMEDIATION[kind];
  }

  /** A plain object safe for logs, JSON output and the audit trail. */
  toJSON(): { kind: ErrorKind; message: string; remediation: string } & ErrorDetails {
    return { kind: this.kind, message: this.message, remediation: this.remediation, ...this.details };
  }
}

/** Any error as a RootTaskError: one the service classified as it is, anything else "unexpected". */
export function asTaskError(error: unknown): RootTaskError {
  return error instanceof RootTaskError
    ? error
    : new RootTaskError('unexpected', error instanceof Error ? error.message : String(error));
}

export function invalidInput(reason: string): RootTaskError {
  return new RootTaskError('invalid-input', reason);
}

/** The calls that grant something: a root password, or access through a removed resource policy. */
const GRANT_ACTIONS = ['iam:CreateLoginProfile', 's3:DeleteBucketPolicy', 'sqs:SetQueueAttributes'];

/**
 * Calls made before the grant call, which change nothing in the member account
 * (opening a session is not a grant: its credentials stay in the bot). Once one of
 * them fails, the service never reaches the grant call.
 */
const BEFORE_GRANT_ACTIONS = [
  'sts:AssumeRoot',
  'organizations:',
  'iam:GetLoginProfile',
  's3:GetBucketPolicy',
  's3:ListBuckets',
  's3:ListAllMyBuckets',
  's3:GetBucketLocation',
  's3:HeadBucket',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
];

/** Kinds of AWS answer that mean "refused, not done": the request changed nothing. */
const REFUSED_KINDS: ReadonlySet<ErrorKind> = new Set([
  'invalid-input',
  'changed-since-approval',
  'not-authorized',
  'blocked-by-scp',
  'feature-not-enabled',
  'trusted-access-off',
  'wrong-account',
  'not-found',
  'region-disabled',
  'session-expired',
  'not-all-features',
]);

/**
 * True only when the failure proves that no grant happened: our own input check
 * refused before any call; a call before the grant call failed (so the grant call
 * was never sent: SCP denials inside the session included); or the grant call
 * itself was refused by AWS with an answer that means "not done" (AccessDenied,
 * an SCP, ValidationError, NoSuchEntity, ...). A timeout, a network error, a 5xx,
 * throttling after retries or anything unknown on the grant call is no proof (an
 * earlier attempt may have landed): false. Anything that is not a RootTaskError,
 * or that names no call, is unknown: false.
 */
export function nothingGranted(error: unknown): boolean {
  if (!(error instanceof RootTaskError)) return false;
  const { action, code } = error.details;
  // Our own refusals, before any grant call: bad input, or a target that changed since approval.
  if (action === undefined)
    return (error.kind === 'invalid-input' || error.kind === 'changed-since-approval') && code === undefined;
  const call = action.split(' ')[0] ?? '';
  if (GRANT_ACTIONS.includes(call)) return REFUSED_KINDS.has(error.kind) || VALIDATION.has(code ?? '');
  return BEFORE_GRANT_ACTIONS.some(
    (prefix) => call === prefix || (prefix.endsWith(':') && call.startsWith(prefix)),
  );
}

/**
 * Kinds worth retrying after a pause. The SDK already retries throttling, 5xx and
 * network errors; ConcurrentModification and EntityTemporarilyUnmodifiable (4xx)
 * it does not, so the service retries those itself.
 */
export function isRetryable(error: unknown): boolean {
  return (
    error instanceof RootTaskError &&
    (error.kind === 'throttled' ||
      error.kind === 'transient' ||
      error.kind === 'concurrent-modification' ||
      error.kind === 'temporarily-unmodifiable')
  );
}

interface SdkLikeError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $fault?: 'client' | 'server';
  $retryable?: unknown;
}

const NOT_FOUND = new Set([
  'NoSuchEntity',
  'NoSuchEntityException',
  'NoSuchBucket',
  'AccountNotFoundException',
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDoesNotExist',
  'TargetNotFoundException',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
]);
const WRONG_ACCOUNT = new Set([
  'AccountNotManagementOrDelegatedAdministratorException',
  'CallerIsNotManagementAccountException',
  'AWSOrganizationsNotInUseException',
  'OrganizationNotFoundException',
]);
const VALIDATION = new Set([
  'ValidationError',
  'ValidationException',
  'InvalidInput',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidAttributeValue',
  'MalformedPolicyDocument',
  'MalformedPolicyDocumentException',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

/** Map anything thrown by an AWS SDK call to a RootTaskError; `action` says what we were doing. */
export function classifyAwsError(error: unknown, action: string): RootTaskError {
  if (error instanceof RootTaskError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkLikeError & { code?: string };
  const code = e.name && e.name !== 'Error' ? e.name : (e.Code ?? e.code ?? 'UnknownError');
  const status = e.$metadata?.httpStatusCode;
  const details: ErrorDetails = { code, action };
  if (e.$metadata?.requestId) details.requestId = e.$metadata.requestId;
  if (status) details.httpStatus = status;
  const awsMessage = oneLine(e.message ?? String(error));
  const message = `${action} failed: ${code}: ${awsMessage}`;
  return new RootTaskError(kindOf(code, awsMessage, status), message, details);
}

function kindOf(code: string, message: string, status: number | undefined): ErrorKind {
  if (THROTTLED.has(code) || /rate exceeded/i.test(message)) return 'throttled';
  if (code === 'ServiceAccessNotEnabledException') return 'trusted-access-off';
  if (code === 'OrganizationNotInAllFeaturesModeException') return 'not-all-features';
  if (code === 'RegionDisabledException') return 'region-disabled';
  if (code === 'ExpiredToken' || code === 'ExpiredTokenException') return 'session-expired';
  if (/^EntityTemporarilyUnmodifiable(Exception)?$/.test(code)) return 'temporarily-unmodifiable';
  if (/^ConcurrentModification(Exception)?$/.test(code)) return 'concurrent-modification';
  if (WRONG_ACCOUNT.has(code)) return 'wrong-account';
  if (NOT_FOUND.has(code)) return 'not-found';
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(code) || status === 403) {
    if (/service control polic/i.test(message)) return 'blocked-by-scp';
    if (/not enabled|root (sessions|credentials management)/i.test(message)) return 'feature-not-enabled';
    return 'not-authorized';
  }
  if (NETWORK.has(code) || (status !== undefined && status >= 500)) return 'transient';
  return 'unexpected';
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
