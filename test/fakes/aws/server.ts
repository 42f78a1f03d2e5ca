/**
 * A local HTTP fake of the AWS APIs the bot uses (STS AssumeRoot, IAM root-user
 * state, Organizations, S3 and SQS policies), speaking the wire protocols the real
 * SDK clients send. One URL serves every service: the service is read from the
 * SigV4 credential scope, so `AWS_ENDPOINT_URL` alone points the SDK here.
 * Latency and a global request-rate throttle can be injected, as can one-off faults.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleIam } from './iam.js';
import {
  defaultBehaviour,
  type FakeAccount,
  type FakeAwsBehaviour,
  type FakeOrganization,
  newAccount,
} from './model.js';
import { handleOrganizations } from './organizations.js';
import { AwsFault, authorizeRootCall, expiredToken, type FakeRequest, type Principal } from './protocol.js';
import { handleS3, handleSqs } from './s3-sqs.js';
import type { FakeAwsState } from './state.js';
import { handleSts } from './sts.js';
import { queryError, queryResponse, s3Error } from './xml.js';

export interface FakeAwsOptions {
  /** added before every answer, throttled ones included */
  latencyMs?: number;
  /** requests per second over all services; the excess is answered with a throttling error */
  throttlePerSecond?: number;
  managementAccountId?: string;
  /** real-AWS behaviours to switch on (see FakeAwsBehaviour); also settable later through `fake.options` */
  behaviour?: Partial<FakeAwsBehaviour>;
}

interface InjectedFault {
  action: string;
  accountId: string | undefined;
  code: string;
  message: string;
  status: number;
  remaining: number;
}

const NAMESPACES: Record<string, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
};

export class FakeAws implements FakeAwsState {
  readonly accounts = new Map<string, FakeAccount>();
  readonly sessions: FakeAwsState['sessions'] = new Map();
  readonly deletedVirtualMfa = new Set<string>();
  readonly options: FakeAwsBehaviour;
  readonly staleRoots: FakeAwsState['staleRoots'] = new Map();
  readonly org: FakeOrganization;
  latencyMs: number;
  throttlePerSecond: number | undefined;
  /** accepted calls, in order: "service:Action@account" (account only for root sessions) */
  readonly calls: string[] = [];
  /** every signed request, answered or not: where it was sent (Host header) and its SigV4 region */
  readonly requests: { service: string; action: string; region: string; host: string }[] = [];
  /** refused calls, in order: "service:Action@account Code" (account only for root sessions) */
  readonly refused: string[] = [];
  readonly stats = { requests: 0, throttled: 0 };
  url = '';

  private readonly server: Server;
  private faults: InjectedFault[] = [];
  /** action -> extra latency before answering it (`delay`) */
  private readonly actionDelays = new Map<string, number>();
  private tokens = Number.POSITIVE_INFINITY;
  private lastRefill = Date.now();

  private constructor(options: FakeAwsOptions) {
    this.latencyMs = options.latencyMs ?? 0;
    this.throttlePerSecond = options.throttlePerSecond;
    this.options = { ...defaultBehaviour(), ...options.behaviour };
    const managementAccountId = options.managementAccountId ?? '111111111111';
    this.accounts.set(managementAccountId, newAccount(managementAccountId, { name: 'management' }));
    this.org = {
      id: 'o-fake0example',
      managementAccountId,
      featureSet: 'ALL',
      trustedServices: new Set(['iam.amazonaws.com']),
      features: new Set(['RootCredentialsManagement', 'RootSessions']),
      delegatedAdministrators: [],
      rootId: 'r-fake',
      parents: new Map(),
      caller: {
        accountId: managementAccountId,
        arn: `arn:aws:iam::${managementAccountId}:role/breakglass`,
        mayAssumeRoot: true,
      },
    };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  static async start(options: FakeAwsOptions = {}): Promise<FakeAws> {
    const fake = new FakeAws(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Environment that points the real SDK at this fake, with throwaway operator credentials. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAFAKEOPERATOR0001',
      AWS_SECRET_ACCESS_KEY: 'fake-operator-secret-key-0000000000000000',
    };
  }

  addAccount(id: string, overrides: Partial<Omit<FakeAccount, 'id'>> = {}): FakeAccount {
    const account = newAccount(id, overrides);
    this.accounts.set(id, account);
    return account;
  }

  /** Puts an account or OU under an OU (ou-…); OUs not placed sit under the root. */
  placeIn(childId: string, ouId: string): void {
    this.org.parents.set(childId, ouId);
  }

  account(id: string): FakeAccount {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`fake has no account ${id}`);
    return account;
  }

  /** Answer the next `times` calls of `action` (optionally for one account) with an error. */
  failNext(
    action: string,
    code: string,
    options: { message?: string; status?: number; times?: number; accountId?: string } = {},
  ): void {
    this.faults.push({
      action,
      accountId: options.accountId,
      code,
      message: options.message ?? `${code} injected by the fake`,
      status: options.status ?? 400,
      remaining: options.times ?? 1,
    });
  }

  /** Answer every later call of `action` only after `ms` more (0: no longer delayed). */
  delay(action: string, ms: number): void {
    if (ms > 0) this.actionDelays.set(action, ms);
    else this.actionDelays.delete(action);
  }

  /** Calls whose action is `action`, as recorded in `calls`. */
  callsOf(action: string): string[] {
    return this.calls.filter((c) => c.split('@')[0]?.endsWith(`:${action}`));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === '/__fake/stats') {
      // Control route for out-of-process use (the benchmark): not an AWS API.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.stats));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.stats.requests += 1;
    if (this.latencyMs > 0) await sleep(this.latencyMs);

    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
      req.headers.authorization ?? '',
    );
    const [, accessKeyId = '', region = '', service = ''] = scope ?? [];
    const requestId = randomUUID();
    const target = String(req.headers['x-amz-target'] ?? '');
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = service === 'sts' || service === 'iam' ? new URLSearchParams(body) : url.searchParams;
    const json = target && body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const action = query.get('Action') ?? (target.split('.')[1] || s3Action(req.method ?? 'GET', url));
    const fakeReq: FakeRequest = {
      service,
      action,
      region,
      principal: { kind: 'caller' },
      query,
      json,
      path: url.pathname.split('/').filter(Boolean).map(decodeURIComponent),
      headers: req.headers,
    };
    if (scope) this.requests.push({ service, action, region, host: req.headers.host ?? '' });
    const delayMs = this.actionDelays.get(action);
    if (delayMs) await sleep(delayMs);

    try {
      if (!scope)
        throw new AwsFault('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      if (this.throttled()) {
        this.stats.throttled += 1;
        throw service === 's3'
          ? new AwsFault('SlowDown', 'Please reduce your request rate.', 503)
          : throttlingFault(service);
      }
      fakeReq.principal = this.principal(accessKeyId, req.headers['x-amz-security-token'], fakeReq);
      this.injectedFault(fakeReq);
      const result = this.dispatch(fakeReq);
      const rootAccount = fakeReq.principal.kind === 'root' ? `@${fakeReq.principal.account.id}` : '';
      this.calls.push(`${service}:${action}${rootAccount}`);
      this.send(res, service, action, result, requestId);
    } catch (error) {
      const fault = error instanceof AwsFault ? error : new AwsFault('InternalFailure', String(error), 500);
      const rootAccount = fakeReq.principal.kind === 'root' ? `@${fakeReq.principal.account.id}` : '';
      this.refused.push(`${service}:${action}${rootAccount} ${fault.code}`);
      this.sendError(res, service, fault, requestId);
    }
  }

  private principal(accessKeyId: string, token: string | string[] | undefined, req: FakeRequest): Principal {
    const session = this.sessions.get(accessKeyId);
    if (!session) return { kind: 'caller' };
    if (token !== session.sessionToken) {
      throw new AwsFault(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    }
    if (session.callsLeft !== undefined) {
      if (session.callsLeft <= 0) session.expiration = new Date(0);
      session.callsLeft -= 1;
    }
    if (session.expiration.getTime() < Date.now()) throw expiredToken();
    const principal: Principal = { kind: 'root', session, account: this.account(session.accountId) };
    req.principal = principal;
    authorizeRootCall(req);
    return principal;
  }

  private injectedFault(req: FakeRequest): void {
    const accountId = req.principal.kind === 'root' ? req.principal.account.id : undefined;
    const fault = this.faults.find(
      (f) =>
        f.action === req.action &&
        f.remaining > 0 &&
        (f.accountId === undefined || f.accountId === accountId),
    );
    if (!fault) return;
    fault.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    throw new AwsFault(fault.code, fault.message, fault.status);
  }

  private dispatch(req: FakeRequest): unknown {
    switch (req.service) {
      case 'sts':
        return handleSts(this, req);
      case 'iam':
        return handleIam(this, req);
      case 'organizations':
        return handleOrganizations(this, req);
      case 's3':
        return handleS3(this, req);
      case 'sqs':
        return handleSqs(req);
      default:
        throw new AwsFault('UnknownService', `The fake does not serve ${req.service}`);
    }
  }

  private send(
    res: ServerResponse,
    service: string,
    action: string,
    result: unknown,
    requestId: string,
  ): void {
    if (service === 'sts' || service === 'iam') {
      const xml = queryResponse(action, NAMESPACES[service] ?? '', result as never, requestId);
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(xml);
    } else if (service === 's3') {
      const { status, body } = result as { status: number; body: string };
      res.writeHead(status, { 'x-amz-request-id': requestId, 'content-type': 'application/json' }).end(body);
    } else {
      const contentType = service === 'sqs' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
      res
        .writeHead(200, { 'content-type': contentType, 'x-amzn-requestid': requestId })
        .end(JSON.stringify(result));
    }
  }

  private sendError(res: ServerResponse, service: string, fault: AwsFault, requestId: string): void {
    if (service === 's3') {
      res
        .writeHead(fault.status, {
          'content-type': 'application/xml',
          'x-amz-request-id': requestId,
          ...fault.headers,
        })
        .end(s3Error(fault.code, fault.message, requestId));
    } else if (service === 'organizations' || service === 'sqs') {
      const code = fault.code === 'AccessDenied' ? 'AccessDeniedException' : fault.code;
      res
        .writeHead(fault.status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': requestId,
        })
        .end(JSON.stringify({ __type: code, message: fault.message }));
    } else {
      res
        .writeHead(fault.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId })
        .end(queryError(NAMESPACES[service] ?? NAMESPACES.iam ?? '', fault.code, fault.message, requestId));
    }
  }

  /** Token bucket over all services: refills at throttlePerSecond, bursts of a tenth of a second. */
  private throttled(): boolean {
    if (!this.throttlePerSecond) return false;
    const now = Date.now();
    const burst = Math.max(1, this.throttlePerSecond / 10);
    this.tokens = Math.min(burst, this.tokens + ((now - this.lastRefill) / 1000) * this.throttlePerSecond);
    this.lastRefill = now;
    if (this.tokens < 1) return true;
    this.tokens -= 1;
    return false;
  }
}

/** Each service's throttling answer: Organizations sends TooManyRequestsException, as the real one does. */
function throttlingFault(service: string): AwsFault {
  if (service === 'organizations') {
    return new AwsFault(
      'TooManyRequestsException',
      'You have sent too many requests in too short a period of time. Try again later.',
    );
  }
  return new AwsFault(
    service === 'sts' || service === 'iam' ? 'Throttling' : 'ThrottlingException',
    'Rate exceeded',
  );
}

function s3Action(method: string, url: URL): string {
  // ListBuckets is authorized by the IAM action s3:ListAllMyBuckets, the name the task policy lists.
  if (method === 'GET' && url.pathname === '/') return 'ListAllMyBuckets';
  if (!url.searchParams.has('policy')) return `${method}Object`;
  return (
    { GET: 'GetBucketPolicy', DELETE: 'DeleteBucketPolicy', PUT: 'PutBucketPolicy' }[method] ?? 'Unknown'
  );
}
