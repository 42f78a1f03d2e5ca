import type { FakeAccount, RootSessionRecord } from './model.js';

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
