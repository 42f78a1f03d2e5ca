import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRootCommand } from '@aws-sdk/client-sts';
import type { AwsClients, SessionCredentials } from './clients.js';
import { RootTaskError } from './errors.js';
import type { EvidenceLog } from './evidence.js';
import { type RootTask, taskPolicyArn } from './task-policies.js';

/** Short sessions: each operation finishes in seconds, and a leaked session should not outlive it. */
export const ROOT_SESSION_SECONDS = 300;

/**
 * A root session scoped to one task policy. The credentials stay in this closure:
 * callers get clients, never keys, so nothing can log or return them by accident.
 */
export interface RootSession {
  readonly accountId: string;
  readonly task: RootTask;
  readonly accessKeyId: string;
  iam(): IAMClient;
  s3(region: string): S3Client;
  sqs(region: string): SQSClient;
}

export async function openRootSession(
  clients: AwsClients,
  accountId: string,
  task: RootTask,
  evidence: EvidenceLog,
): Promise<RootSession> {
  const output = await evidence.call(`sts:AssumeRoot (${task}) on ${accountId}`, () =>
    clients.sts.send(
      new AssumeRootCommand({
        TargetPrincipal: accountId,
        TaskPolicyArn: { arn: taskPolicyArn(task) },
        DurationSeconds: ROOT_SESSION_SECONDS,
      }),
    ),
  );
  const c = output.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw new RootTaskError('unexpected', `sts:AssumeRoot on ${accountId} returned no credentials`, {
      action: `sts:AssumeRoot (${task}) on ${accountId}`,
    });
  }
  const credentials: SessionCredentials = {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
  };
  evidence.rootSessions.push({ task, accessKeyId: c.AccessKeyId });
  let iam: IAMClient | undefined;
  return {
    accountId,
    task,
    accessKeyId: c.AccessKeyId,
    iam: () => {
      iam ??= clients.iamFor(credentials);
      return iam;
    },
    s3: (region) => clients.s3For(credentials, region),
    sqs: (region) => clients.sqsFor(credentials, region),
  };
}

/**
 * A root session that survives its own expiry once: when a step fails with an
 * expired token (the session outlived ROOT_SESSION_SECONDS, e.g. under heavy
 * throttling), a new session with the same task policy is opened and the step
 * runs again in it. Steps running in parallel share that one new session. An
 * expiry of the new session is reported, so a broken clock cannot loop.
 */
export class RenewableRootSession {
  private renewal: Promise<RootSession> | undefined;

  constructor(
    private current: RootSession,
    private readonly reopen: () => Promise<RootSession>,
  ) {}

  get accessKeyId(): string {
    return this.current.accessKeyId;
  }

  async run<T>(step: (session: RootSession) => Promise<T>): Promise<T> {
    const used = this.current;
    try {
      return await step(used);
    } catch (error) {
      if (!(error instanceof RootTaskError) || error.kind !== 'session-expired') throw error;
      this.renewal ??= this.reopen().then((session) => {
        this.current = session;
        return session;
      });
      const renewed = await this.renewal;
      if (renewed === used) throw error;
      return step(renewed);
    }
  }
}
