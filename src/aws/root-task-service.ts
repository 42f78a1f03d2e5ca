/**
 * The root-task service: one operation per AWS root task, each in its own
 * sts:AssumeRoot session scoped to exactly the matching task policy. This is the
 * only module that runs root sessions; the CLI and the Slack workflow call it and
 * get plain results (no SDK types, no credentials).
 */
import {
  CreateLoginProfileCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteSigningCertificateCommand,
  DeleteVirtualMFADeviceCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountSummaryCommand,
  GetLoginProfileCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  ListSigningCertificatesCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  ListBucketsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { checkBucketName, checkQueueUrl, isRegionName } from '../domain/aws-identifiers.js';
import { type Logger, silentLogger } from '../log.js';
import type { AwsClients } from './clients.js';
import { invalidInput, RootTaskError } from './errors.js';
import { ABSENT, ALREADY_EXISTS, type Evidence, EvidenceLog } from './evidence.js';
import type { OrganizationDirectory } from './organization.js';
import { openRootSession, type RootSession } from './root-session.js';
import {
  type CredentialSummary,
  type DeletionResult,
  nothingPresent,
  type PasswordRecoveryResult,
  type PolicyUnlockResult,
  type RemovedCredentials,
  type RootAccessKey,
  type RootCredentialAudit,
  type RootMfaDevice,
} from './root-task-results.js';
import type { RootTask } from './task-policies.js';

const NO_BUCKET_POLICY = new Set(['NoSuchBucketPolicy']);

export class RootTaskService {
  constructor(
    private readonly clients: AwsClients,
    private readonly organization: OrganizationDirectory,
    private readonly log: Logger = silentLogger,
  ) {}

  /** Is anything present? One GetAccountSummary answers; details are listed only then. */
  async auditRootCredentials(accountId: string): Promise<RootCredentialAudit> {
    await this.organization.assertTargetable(accountId);
    const evidence = new EvidenceLog();
    const session = await this.open(accountId, 'audit', evidence);
    const summary = await this.summary(session.iam(), accountId, evidence);
    const audit: RootCredentialAudit = {
      accountId,
      anyPresent: !nothingPresent(summary),
      summary,
      passwordPresent: summary.password,
      accessKeys: [],
      signingCertificates: [],
      mfaDevices: [],
      evidence: evidence.snapshot(),
    };
    if (!audit.anyPresent) return audit;

    const iam = session.iam();
    const [profile, accessKeys, certificates, mfaDevices] = await Promise.all([
      summary.password
        ? evidence.tolerate(ABSENT, `iam:GetLoginProfile on ${accountId}`, () =>
            iam.send(new GetLoginProfileCommand({})),
          )
        : undefined,
      summary.accessKeys ? this.accessKeysWithLastUse(iam, accountId, evidence) : [],
      summary.signingCertificates ? this.signingCertificates(iam, accountId, evidence) : [],
      summary.mfa ? this.mfaDevices(iam, accountId, evidence) : [],
    ]);
    return {
      ...audit,
      passwordPresent: profile !== undefined,
      accessKeys,
      signingCertificates: certificates,
      mfaDevices,
      evidence: evidence.snapshot(),
    };
  }

  /** CreateLoginProfile with no arguments; a profile that already exists counts as success. */
  async allowPasswordRecovery(accountId: string): Promise<PasswordRecoveryResult> {
    await this.organization.assertTargetable(accountId);
    const evidence = new EvidenceLog();
    const session = await this.open(accountId, 'createPassword', evidence);
    const created = await evidence.tolerate(ALREADY_EXISTS, `iam:CreateLoginProfile on ${accountId}`, () =>
      session.iam().send(new CreateLoginProfileCommand({})),
    );
    this.log.info({ accountId, created: created !== undefined }, 'root password recovery allowed');
    return { accountId, created: created !== undefined, evidence: evidence.snapshot() };
  }

  /**
   * Deletes access keys, signing certificates, MFA devices and then the login
   * profile (an active MFA device can block that), then verifies in a separate
   * audit session. A failing step ends the run with `error` set and what was
   * removed so far; it is never reported as verified.
   */
  async deleteRootCredentials(accountId: string): Promise<DeletionResult> {
    await this.organization.assertTargetable(accountId);
    const evidence = new EvidenceLog();
    const removed: RemovedCredentials = {
      loginProfile: false,
      accessKeys: [],
      signingCertificates: [],
      mfaDevices: [],
    };
    try {
      const iam = (await this.open(accountId, 'deleteCredentials', evidence)).iam();
      await this.deleteAll(iam, accountId, removed, evidence);
      const verifier = await this.open(accountId, 'audit', evidence);
      const remaining = await this.summary(verifier.iam(), accountId, evidence);
      const verified = nothingPresent(remaining);
      this.log.info({ accountId, removed, verified }, 'root credentials deleted');
      return { accountId, removed, verified, remaining, evidence: evidence.snapshot() };
    } catch (error) {
      const failure = error instanceof RootTaskError ? error : new RootTaskError('unexpected', String(error));
      this.log.warn({ accountId, removed, error: failure.toJSON() }, 'root credential deletion failed');
      const { kind, message, remediation } = failure;
      return {
        accountId,
        removed,
        verified: false,
        error: { kind, message, remediation },
        evidence: evidence.snapshot(),
      };
    }
  }

  /** The policy an unlock would remove (null: none), read in the unlock's own task session. */
  async readPolicy(
    accountId: string,
    task: 'unlock-s3' | 'unlock-sqs',
    target: string,
  ): Promise<{ policy: string | null; evidence: Evidence }> {
    const evidence = new EvidenceLog();
    const { previousPolicy } =
      task === 'unlock-s3'
        ? await this.openBucket(accountId, target, evidence)
        : await this.openQueue(accountId, target, evidence);
    return { policy: previousPolicy, evidence: evidence.snapshot() };
  }

  /** Reads the bucket policy (returned, so it can be restored), then deletes it. */
  async unlockS3BucketPolicy(accountId: string, bucketInput: string): Promise<PolicyUnlockResult> {
    const evidence = new EvidenceLog();
    const { s3, bucket, previousPolicy } = await this.openBucket(accountId, bucketInput, evidence);
    if (previousPolicy !== null) {
      await evidence.call(`s3:DeleteBucketPolicy on ${bucket}`, () =>
        s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket, ExpectedBucketOwner: accountId })),
      );
    }
    this.log.info(
      { accountId, bucket: bucket, removed: previousPolicy !== null },
      'S3 bucket policy unlocked',
    );
    return {
      accountId,
      resource: bucket,
      previousPolicy,
      removed: previousPolicy !== null,
      evidence: evidence.snapshot(),
    };
  }

  /** Reads the queue policy (returned, so it can be restored), then sets it to "" to remove it. */
  async unlockSqsQueuePolicy(accountId: string, queueUrlInput: string): Promise<PolicyUnlockResult> {
    const evidence = new EvidenceLog();
    const { sqs, QueueUrl, previousPolicy } = await this.openQueue(accountId, queueUrlInput, evidence);
    if (previousPolicy !== null) {
      await evidence.call(`sqs:SetQueueAttributes on ${QueueUrl}`, () =>
        sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: '' } })),
      );
    }
    this.log.info(
      { accountId, queueUrl: QueueUrl, removed: previousPolicy !== null },
      'SQS queue policy unlocked',
    );
    return {
      accountId,
      resource: QueueUrl,
      previousPolicy,
      removed: previousPolicy !== null,
      evidence: evidence.snapshot(),
    };
  }

  /**
   * Opens an S3UnlockBucketPolicy session, proves the bucket is the account's own
   * and finds its region (ListBuckets, allowed by the task policy), then reads its
   * policy there. Every policy call carries ExpectedBucketOwner.
   */
  private async openBucket(accountId: string, bucketInput: string, evidence: EvidenceLog) {
    const checked = checkBucketName(bucketInput);
    if (!checked.ok) throw invalidInput(checked.reason);
    await this.organization.assertTargetable(accountId);
    const bucket = checked.value;
    const session = await this.open(accountId, 'unlockS3', evidence);
    const home = this.clients.settings.region;
    const listing = session.s3(home);
    const region = (await this.bucketRegion(listing, accountId, bucket, evidence)) ?? home;
    const s3 = region === home ? listing : session.s3(region);
    const current = await evidence.tolerate(NO_BUCKET_POLICY, `s3:GetBucketPolicy on ${bucket}`, () =>
      s3.send(new GetBucketPolicyCommand({ Bucket: bucket, ExpectedBucketOwner: accountId })),
    );
    return { s3, bucket, previousPolicy: current?.Policy ?? null };
  }

  /**
   * The bucket's region, from the account's own bucket list (S3 lists by name, so
   * the exact name is the first with that prefix). A bucket that is not in the
   * list is not the account's: refused before any policy call. Undefined when S3
   * does not say the region (then the client follows S3's redirect).
   */
  private async bucketRegion(
    s3: S3Client,
    accountId: string,
    bucket: string,
    evidence: EvidenceLog,
  ): Promise<string | undefined> {
    let ContinuationToken: string | undefined;
    do {
      const page = await evidence.call(`s3:ListBuckets on ${accountId}`, () =>
        s3.send(new ListBucketsCommand({ Prefix: bucket, ContinuationToken })),
      );
      const found = page.Buckets?.find((b) => b.Name === bucket);
      if (found) {
        const region = found.BucketRegion;
        if (region === undefined || region === '') return undefined;
        if (!isRegionName(region)) {
          throw new RootTaskError(
            'unexpected',
            `S3 answered an invalid region "${region}" for bucket ${bucket}`,
          );
        }
        return region;
      }
      ContinuationToken = page.ContinuationToken || undefined;
    } while (ContinuationToken);
    throw new RootTaskError('not-found', `bucket ${bucket} is not in account ${accountId}`, {
      action: `s3:ListBuckets on ${accountId}`,
    });
  }

  private async openQueue(accountId: string, queueUrlInput: string, evidence: EvidenceLog) {
    const queue = checkQueueUrl(queueUrlInput);
    if (!queue.ok) throw invalidInput(queue.reason);
    if (queue.value.accountId !== accountId) {
      throw invalidInput(`the queue belongs to account ${queue.value.accountId}, not to ${accountId}`);
    }
    await this.organization.assertTargetable(accountId);
    const session = await this.open(accountId, 'unlockSqs', evidence);
    // The URL gives the region only: the client's endpoint comes from the region (or the configured endpoint).
    const sqs = session.sqs(queue.value.region);
    const QueueUrl = queue.value.url;
    const current = await evidence.call(`sqs:GetQueueAttributes on ${QueueUrl}`, () =>
      sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] })),
    );
    return { sqs, QueueUrl, previousPolicy: current.Attributes?.Policy || null };
  }

  private async open(accountId: string, task: RootTask, evidence: EvidenceLog): Promise<RootSession> {
    const session = await openRootSession(this.clients, accountId, task, evidence);
    this.log.info({ accountId, task, rootSessionAccessKeyId: session.accessKeyId }, 'root session opened');
    return session;
  }

  private async summary(
    iam: IAMClient,
    accountId: string,
    evidence: EvidenceLog,
  ): Promise<CredentialSummary> {
    const out = await evidence.call(`iam:GetAccountSummary on ${accountId}`, () =>
      iam.send(new GetAccountSummaryCommand({})),
    );
    const map = out.SummaryMap ?? {};
    return {
      password: (map.AccountPasswordPresent ?? 0) > 0,
      accessKeys: (map.AccountAccessKeysPresent ?? 0) > 0,
      signingCertificates: (map.AccountSigningCertificatesPresent ?? 0) > 0,
      mfa: (map.AccountMFAEnabled ?? 0) > 0,
    };
  }

  private async accessKeysWithLastUse(
    iam: IAMClient,
    accountId: string,
    evidence: EvidenceLog,
  ): Promise<RootAccessKey[]> {
    const keys = await this.listAccessKeys(iam, accountId, evidence);
    return Promise.all(
      keys.map(async (key) => {
        const out = await evidence.call(`iam:GetAccessKeyLastUsed on ${accountId}`, () =>
          iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId })),
        );
        const used = out.AccessKeyLastUsed;
        if (!used?.LastUsedDate) return key;
        return {
          ...key,
          lastUsed: {
            at: used.LastUsedDate.toISOString(),
            service: used.ServiceName ?? '',
            region: used.Region ?? '',
          },
        };
      }),
    );
  }

  private async listAccessKeys(
    iam: IAMClient,
    accountId: string,
    evidence: EvidenceLog,
  ): Promise<RootAccessKey[]> {
    const out = await evidence.call(`iam:ListAccessKeys on ${accountId}`, () =>
      iam.send(new ListAccessKeysCommand({})),
    );
    return (out.AccessKeyMetadata ?? []).flatMap((k) =>
      k.AccessKeyId
        ? [
            {
              accessKeyId: k.AccessKeyId,
              status: k.Status ?? 'Unknown',
              ...(k.CreateDate ? { createdAt: k.CreateDate.toISOString() } : {}),
            },
          ]
        : [],
    );
  }

  private async signingCertificates(iam: IAMClient, accountId: string, evidence: EvidenceLog) {
    const out = await evidence.call(`iam:ListSigningCertificates on ${accountId}`, () =>
      iam.send(new ListSigningCertificatesCommand({})),
    );
    return (out.Certificates ?? []).map((c) => ({
      certificateId: c.CertificateId ?? '',
      status: c.Status ?? 'Unknown',
    }));
  }

  private async mfaDevices(
    iam: IAMClient,
    accountId: string,
    evidence: EvidenceLog,
  ): Promise<RootMfaDevice[]> {
    const out = await evidence.call(`iam:ListMFADevices on ${accountId}`, () =>
      iam.send(new ListMFADevicesCommand({})),
    );
    return (out.MFADevices ?? []).map((d) => ({
      serialNumber: d.SerialNumber ?? '',
      // Virtual devices have ARN serials (arn:aws:iam::<acct>:mfa/...); hardware tokens and FIDO keys do not.
      virtual: /^arn:aws[\w-]*:iam::\d{12}:mfa\//.test(d.SerialNumber ?? ''),
    }));
  }

  /** The order that always works: keys, certificates, MFA, then the password. */
  private async deleteAll(
    iam: IAMClient,
    accountId: string,
    removed: RemovedCredentials,
    evidence: EvidenceLog,
  ): Promise<void> {
    for (const key of await this.listAccessKeys(iam, accountId, evidence)) {
      const done = await evidence.tolerate(
        ABSENT,
        `iam:DeleteAccessKey ${key.accessKeyId} on ${accountId}`,
        () => iam.send(new DeleteAccessKeyCommand({ AccessKeyId: key.accessKeyId })),
      );
      if (done) removed.accessKeys.push(key.accessKeyId);
    }
    for (const cert of await this.signingCertificates(iam, accountId, evidence)) {
      const done = await evidence.tolerate(ABSENT, `iam:DeleteSigningCertificate on ${accountId}`, () =>
        iam.send(new DeleteSigningCertificateCommand({ CertificateId: cert.certificateId })),
      );
      if (done) removed.signingCertificates.push(cert.certificateId);
    }
    for (const device of await this.mfaDevices(iam, accountId, evidence)) {
      const SerialNumber = device.serialNumber;
      const deactivated = await evidence.tolerate(ABSENT, `iam:DeactivateMFADevice on ${accountId}`, () =>
        iam.send(new DeactivateMFADeviceCommand({ SerialNumber })),
      );
      if (device.virtual) {
        await evidence.tolerate(ABSENT, `iam:DeleteVirtualMFADevice on ${accountId}`, () =>
          iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber })),
        );
      }
      if (deactivated) removed.mfaDevices.push(SerialNumber);
    }
    const profile = await evidence.tolerate(ABSENT, `iam:DeleteLoginProfile on ${accountId}`, () =>
      iam.send(new DeleteLoginProfileCommand({})),
    );
    removed.loginProfile = profile !== undefined;
  }
}
