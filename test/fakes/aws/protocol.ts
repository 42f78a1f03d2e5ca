import {
  type FakeAccount,
  ROOT_USER_RESOURCE,
  type RootSessionRecord,
  TASK_POLICY_ACTIONS,
} from './model.js';

/** An error the fake answers with, in the wire format of the service it came from. */
export class AwsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** extra response headers, e.g. S3's x-amz-bucket-region on a redirect */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type Principal =
  | { kind: 'caller' }
  | { kind: 'root'; session: RootSessionRecord; account: FakeAccount };

export interface FakeRequest {
  service: string;
  action: string;
  region: string;
  principal: Principal;
  /** query-protocol parameters (STS, IAM) */
  query: URLSearchParams;
  /** JSON-protocol body (Organizations, SQS) */
  json: Record<string, unknown>;
  /** REST-XML path segments (S3) */
  path: string[];
  /** request headers, lower-case names (S3's x-amz-expected-bucket-owner) */
  headers: Record<string, string | string[] | undefined>;
}

export function accessDenied(req: FakeRequest, detail = ''): AwsFault {
  const who =
    req.principal.kind === 'root'
      ? `arn:aws:sts::${req.principal.account.id}:assumed-root/${req.principal.session.taskPolicy}`
      : 'arn:aws:iam::000000000000:role/breakglass';
  return new AwsFault(
    'AccessDenied',
    `User: ${who} is not authorized to perform: ${req.service}:${req.action}${detail}`,
    403,
  );
}

/**
 * What a root session may do, evaluated as AWS does: an SCP that denies the
 * account's root sessions denies every call inside them (AssumeRoot itself
 * succeeded); the task policy denies any action it does not list (NotAction) and
 * any listed IAM action whose resource is not the root user (NotResource), which
 * is why iam:DeleteVirtualMFADevice (resource `…:mfa/<name>`) is denied.
 */
export function authorizeRootCall(req: FakeRequest): void {
  if (req.principal.kind !== 'root') return;
  const { session, account } = req.principal;
  if (account.scpDeniesInSession) {
    throw accessDenied(
      req,
      ` on resource: ${resourceOf(req, account)} with an explicit deny in a service control policy`,
    );
  }
  if (!TASK_POLICY_ACTIONS[session.taskPolicy].has(`${req.service}:${req.action}`)) throw accessDenied(req);
  if (req.service !== 'iam') return;
  const resource = resourceOf(req, account);
  if (resource !== '*' && !ROOT_USER_RESOURCE.test(resource)) {
    throw accessDenied(
      req,
      ` on resource: ${resource} because no identity-based policy allows the iam:${req.action} action`,
    );
  }
}

/** The resource a call acts on, as IAM's authorization sees it. */
export function resourceOf(req: FakeRequest, account: FakeAccount): string {
  switch (req.service) {
    case 'iam':
      return iamResource(req, account.id);
    case 's3':
      return `arn:aws:s3:::${req.path[0] ?? ''}`;
    case 'sqs': {
      const url = typeof req.json.QueueUrl === 'string' ? req.json.QueueUrl : '';
      const name = url.split('/').filter(Boolean).pop() ?? '';
      return `arn:aws:sqs:${req.region}:${account.id}:${name}`;
    }
    default:
      return '*';
  }
}

/** IAM resource per action: most root-session actions act on the root user itself. */
function iamResource(req: FakeRequest, accountId: string): string {
  switch (req.action) {
    case 'GetAccountSummary':
      // no resource-level permissions: the resource is "*", which the NotResource statement leaves alone
      return '*';
    case 'DeleteVirtualMFADevice':
    case 'CreateVirtualMFADevice': {
      // a virtual device is its own resource; its serial number is its ARN
      const serial = req.query.get('SerialNumber') ?? req.query.get('VirtualMFADeviceName') ?? '';
      return serial.startsWith('arn:') ? serial : `arn:aws:iam::${accountId}:mfa/${serial}`;
    }
    default:
      return `arn:aws:iam::${accountId}:root`;
  }
}

export function expiredToken(): AwsFault {
  return new AwsFault('ExpiredToken', 'The security token included in the request is expired', 403);
}

export function requireRoot(req: FakeRequest): { session: RootSessionRecord; account: FakeAccount } {
  if (req.principal.kind !== 'root')
    throw accessDenied(req, ' (the fake only serves this action to root sessions)');
  return req.principal;
}

export function stringParam(req: FakeRequest, name: string): string {
  const value = req.query.get(name) ?? req.json[name];
  if (typeof value !== 'string' || value === '') {
    throw new AwsFault(
      'ValidationError',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint`,
    );
  }
  return value;
}
