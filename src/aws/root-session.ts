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
 * runs again. A second expiry is reported, so a broken clock cannot loop.
 */
export class RenewableRootSession {
  private renewed = false;

  constructor(
    private current: RootSession,
    private readonly reopen: () => Promise<RootSession>,
  ) {}

  get accessKeyId(): string {
    return this.current.accessKeyId;
  }

  async run<T>(step: (session: RootSession) => Promise<T>): Promise<T> {
    try {
      return await step(this.current);
    } catch (error) {
      if (this.renewed || !(error instanceof RootTaskError) || error.kind !== 'session-expired') throw error;
      this.renewed = true;
      this.current = await this.reopen();
      return step(this.current);
    }
  }
}
