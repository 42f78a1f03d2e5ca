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
  GetAccessKeyLastUsedCommand,
  GetAccountSummaryCommand,
  GetLoginProfileCommand,
  GetUserCommand,
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
import { checkAccountId, checkBucketName, checkQueueUrl, isRegionName } from '../domain/aws-identifiers.js';
import { policyHash } from '../domain/content-hash.js';
import { type Logger, silentLogger } from '../log.js';
import type { AwsClients } from './clients.js';
import { invalidInput, RootTaskError } from './errors.js';
import { ABSENT, ALREADY_EXISTS, type Evidence, EvidenceLog } from './evidence.js';
import type { OrganizationDirectory } from './organization.js';
import { openRootSession, RenewableRootSession, type RootSession } from './root-session.js';
import {
  type CredentialSummary,
  type DeletionError,
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

export interface CleanupOptions {
  /** the end of an approved window: skip the organization checks made before a grant */
  windowCleanup?: boolean;
  /**
   * Asked right before each attempt to delete the login profile (a bulk
   * hardening): false keeps the password, reported as an error, because a
   * break-glass grant may just have created it.
   */
  mayDeletePassword?: () => Promise<boolean>;
}

const NO_BUCKET_POLICY = new Set(['NoSuchBucketPolicy']);

/** Pauses the service takes; injectable so that tests need not wait. */
export interface RootTaskTiming {
  sleep(ms: number): Promise<void>;
  /**
   * pauses between the verification's reads when it still sees credentials (IAM is
   * eventually consistent): n pauses, n + 1 reads
   */
  verifyRepollMs: readonly number[];
  /** pauses before retrying a step refused as ConcurrentModification or EntityTemporarilyUnmodifiable */
  busyRetryMs: readonly number[];
}

export const DEFAULT_TIMING: RootTaskTiming = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  verifyRepollMs: [500, 1_000],
  busyRetryMs: [500, 1_000],
};

/** GetAccountSummary as AWS sent it: undefined where the SummaryMap lacks the key. */
type ReportedSummary = { [K in keyof CredentialSummary]: boolean | undefined };

/** The outcome of one deletion step: its value, or the error it ended with. */
type StepOutcome<T> = { ok: true; value: T } | { ok: false; error: RootTaskError };

export class RootTaskService {
  private readonly timing: RootTaskTiming;

  constructor(
    private readonly clients: AwsClients,
    private readonly organization: OrganizationDirectory,
    private readonly log: Logger = silentLogger,
    timing: Partial<RootTaskTiming> = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  /**
   * Is anything present? One GetAccountSummary answers; details are listed only then.
   * A SummaryMap key AWS left out is unknown, never absent: the matching detail read
   * (GetLoginProfile or a listing) decides it.
   */
  async auditRootCredentials(accountId: string): Promise<RootCredentialAudit> {
    await this.organization.assertTargetable(accountId);
    const evidence = new EvidenceLog();
    const session = await this.renewable(accountId, 'audit', evidence);
    const reported = await session.run((s) => this.reportedSummary(s.iam(), accountId, evidence));
    const summary = failClosed(reported);
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

    const [profile, passwordLastUsed, accessKeys, certificates, mfaDevices] = await Promise.all([
      summary.password ? session.run((s) => this.loginProfile(s.iam(), accountId, evidence)) : undefined,
      summary.password ? session.run((s) => this.passwordLastUsed(s.iam(), accountId, evidence)) : undefined,
      summary.accessKeys ? session.run((s) => this.accessKeysWithLastUse(s.iam(), accountId, evidence)) : [],
      summary.signingCertificates
        ? session.run((s) => this.signingCertificates(s.iam(), accountId, evidence))
        : [],
      summary.mfa ? session.run((s) => this.mfaDevices(s.iam(), accountId, evidence)) : [],
    ]);
    const resolved: CredentialSummary = {
      password: reported.password ?? profile !== undefined,
      accessKeys: reported.accessKeys ?? accessKeys.length > 0,
      signingCertificates: reported.signingCertificates ?? certificates.length > 0,
      mfa: reported.mfa ?? mfaDevices.length > 0,
    };
    return {
      ...audit,
      anyPresent: !nothingPresent(resolved),
      summary: resolved,
      passwordPresent: profile !== undefined,
      ...(profile !== undefined
        ? {
            password: {
              ...(profile.LoginProfile?.CreateDate
                ? { createdAt: profile.LoginProfile.CreateDate.toISOString() }
                : {}),
              ...(passwordLastUsed ? { lastUsedAt: passwordLastUsed } : {}),
            },
          }
        : {}),
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
    const session = await this.renewable(accountId, 'createPassword', evidence);
    const created = await session.run((s) =>
      evidence.tolerate(ALREADY_EXISTS, `iam:CreateLoginProfile on ${accountId}`, () =>
        s.iam().send(new CreateLoginProfileCommand({})),
      ),
    );
    this.log.info({ accountId, created: created !== undefined }, 'root password recovery allowed');
    return { accountId, created: created !== undefined, evidence: evidence.snapshot() };
  }

  /**
   * Deletes what the IAMDeleteRootUserCredentials policy allows, in this order:
   * access keys; the login profile (if AWS refuses it while MFA is active, it is
   * tried again after the MFA devices are deactivated); signing certificates; MFA
   * devices, deactivated (DeleteVirtualMFADevice is denied by the task policy and
   * not needed). A failed item does not stop the others: every error is returned.
   * Then a separate audit session decides `verified`, failing closed.
   */
  async deleteRootCredentials(accountId: string, options: CleanupOptions = {}): Promise<DeletionResult> {
    if (options.windowCleanup) {
      // Closing a window already granted must not wait on Organizations (throttled, down) nor on
      // protection settings changed since the grant: only the id's form is checked; AWS refuses the rest.
      const checked = checkAccountId(accountId);
      if (!checked.ok) throw invalidInput(checked.reason);
    } else {
      await this.organization.assertTargetable(accountId);
    }
    const evidence = new EvidenceLog();
    const removed: RemovedCredentials = {
      loginProfile: false,
      accessKeys: [],
      signingCertificates: [],
      mfaDevices: [],
    };
    const errors: DeletionError[] = [];
    const failed = (error: RootTaskError): void => {
      const { kind, message, remediation } = error;
      errors.push({
        kind,
        message,
        remediation,
        ...(error.details.action ? { action: error.details.action } : {}),
      });
      this.log.warn({ accountId, error: error.toJSON() }, 'root credential deletion step failed');
    };

    const deleter = await this.attempt(() => this.renewable(accountId, 'deleteCredentials', evidence));
    if (deleter.ok)
      await this.deleteAll(deleter.value, accountId, removed, evidence, failed, options.mayDeletePassword);
    else failed(deleter.error);

    let remaining: CredentialSummary | undefined;
    if (deleter.ok) {
      const verification = await this.attempt(async () =>
        this.verifyNothingLeft(await this.renewable(accountId, 'audit', evidence), accountId, evidence),
      );
      if (verification.ok) remaining = verification.value;
      else failed(verification.error);
    }
    const verified = remaining !== undefined && nothingPresent(remaining);
    this.log.info({ accountId, removed, verified, errors: errors.length }, 'root credentials deleted');
    return {
      accountId,
      removed,
      verified,
      ...(remaining ? { remaining } : {}),
      ...(errors[0] ? { error: errors[0] } : {}),
      errors,
      evidence: evidence.snapshot(),
    };
  }

  /**
   * The policy an unlock would remove (null: none), read in the unlock's own task
   * session. For a queue also when it was last changed (LastModifiedTimestamp,
   * which bounds the policy's last change); S3 gives no date for a bucket policy.
   */
  async readPolicy(
    accountId: string,
    task: 'unlock-s3' | 'unlock-sqs',
    target: string,
  ): Promise<{ policy: string | null; lastModifiedAt?: string; evidence: Evidence }> {
    const evidence = new EvidenceLog();
    if (task === 'unlock-s3') {
      const { previousPolicy } = await this.openBucket(accountId, target, evidence);
      return { policy: previousPolicy, evidence: evidence.snapshot() };
    }
    const { previousPolicy, lastModifiedAt } = await this.openQueue(accountId, target, evidence);
    return {
      policy: previousPolicy,
      ...(lastModifiedAt ? { lastModifiedAt } : {}),
      evidence: evidence.snapshot(),
    };
  }

  /**
   * Re-reads the bucket policy in the task session and deletes it only if it is
   * the one approvers saw (its sha256 is `expectedPolicyHash`; null: there was
   * none); otherwise refuses before deleting. The policy is returned for restore.
   */
  async unlockS3BucketPolicy(
    accountId: string,
    bucketInput: string,
    expectedPolicyHash: string | null,
  ): Promise<PolicyUnlockResult> {
    const evidence = new EvidenceLog();
    const { s3, bucket, previousPolicy } = await this.openBucket(accountId, bucketInput, evidence);
    assertApprovedPolicy(previousPolicy, expectedPolicyHash, `bucket ${bucket}`);
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

  /** As unlockS3BucketPolicy, for a queue: the policy is removed by setting it to "". */
  async unlockSqsQueuePolicy(
    accountId: string,
    queueUrlInput: string,
    expectedPolicyHash: string | null,
  ): Promise<PolicyUnlockResult> {
    const evidence = new EvidenceLog();
    const { sqs, QueueUrl, previousPolicy } = await this.openQueue(accountId, queueUrlInput, evidence);
    assertApprovedPolicy(previousPolicy, expectedPolicyHash, `queue ${QueueUrl}`);
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
      sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy', 'LastModifiedTimestamp'] }),
      ),
    );
    return {
      sqs,
      QueueUrl,
      previousPolicy: current.Attributes?.Policy || null,
      lastModifiedAt: epochSecondsToIso(current.Attributes?.LastModifiedTimestamp),
    };
  }

  private async open(accountId: string, task: RootTask, evidence: EvidenceLog): Promise<RootSession> {
    const session = await openRootSession(this.clients, accountId, task, evidence);
    this.log.info({ accountId, task, rootSessionAccessKeyId: session.accessKeyId }, 'root session opened');
    return session;
  }

  /** A root session that is reopened once if it expires mid-task. */
  private async renewable(
    accountId: string,
    task: RootTask,
    evidence: EvidenceLog,
  ): Promise<RenewableRootSession> {
    const reopen = async () => {
      this.log.warn({ accountId, task }, 'root session expired; opening a new one');
      return this.open(accountId, task, evidence);
    };
    return new RenewableRootSession(await this.open(accountId, task, evidence), reopen);
  }

  /** GetAccountSummary's root-credential keys; a key AWS left out is undefined (unknown), never 0. */
  private async reportedSummary(
    iam: IAMClient,
    accountId: string,
    evidence: EvidenceLog,
  ): Promise<ReportedSummary> {
    const out = await evidence.call(`iam:GetAccountSummary on ${accountId}`, () =>
      iam.send(new GetAccountSummaryCommand({})),
    );
    const map = out.SummaryMap ?? {};
    const present = (key: keyof typeof map) => (map[key] === undefined ? undefined : map[key] > 0);
    return {
      password: present('AccountPasswordPresent'),
      accessKeys: present('AccountAccessKeysPresent'),
      signingCertificates: present('AccountSigningCertificatesPresent'),
      mfa: present('AccountMFAEnabled'),
    };
  }

  /** GetUser (allowed by the audit task policy): when the root password was last used, if ever. */
  private async passwordLastUsed(
    iam: IAMClient,
    accountId: string,
    evidence: EvidenceLog,
  ): Promise<string | undefined> {
    const out = await evidence.call(`iam:GetUser on ${accountId}`, () => iam.send(new GetUserCommand({})));
    return out.User?.PasswordLastUsed?.toISOString();
  }

  /** GetLoginProfile: the profile, or undefined when AWS answers NoSuchEntity (no password). */
  private loginProfile(iam: IAMClient, accountId: string, evidence: EvidenceLog) {
    return evidence.tolerate(ABSENT, `iam:GetLoginProfile on ${accountId}`, () =>
      iam.send(new GetLoginProfileCommand({})),
    );
  }

  /**
   * What is left, read in the audit session. Fails closed: the password is absent
   * only when GetLoginProfile answers NoSuchEntity and the summary does not report
   * one; a key missing from the summary is decided by the matching listing. While
   * something is seen, the reads are repeated after short pauses, because IAM can
   * still show an item for a moment after its deletion.
   */
  private async verifyNothingLeft(
    verifier: RenewableRootSession,
    accountId: string,
    evidence: EvidenceLog,
  ): Promise<CredentialSummary> {
    const pauses = this.timing.verifyRepollMs;
    for (let read = 0; ; read++) {
      const seen = await verifier.run((s) => this.remaining(s.iam(), accountId, evidence));
      const pause = pauses[read];
      if (nothingPresent(seen) || pause === undefined) return seen;
      this.log.info({ accountId, seen, read }, 'verification still sees root credentials; reading again');
      await this.timing.sleep(pause);
    }
  }

  private async remaining(
    iam: IAMClient,
    accountId: string,
    evidence: EvidenceLog,
  ): Promise<CredentialSummary> {
    const reported = await this.reportedSummary(iam, accountId, evidence);
    const profile = await this.loginProfile(iam, accountId, evidence);
    const listed = async <T>(flag: boolean | undefined, list: () => Promise<T[]>) =>
      flag ?? (await list()).length > 0;
    return {
      password: reported.password === true || profile !== undefined,
      accessKeys: await listed(reported.accessKeys, () => this.listAccessKeys(iam, accountId, evidence)),
      signingCertificates: await listed(reported.signingCertificates, () =>
        this.signingCertificates(iam, accountId, evidence),
      ),
      mfa: await listed(reported.mfa, () => this.mfaDevices(iam, accountId, evidence)),
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
      ...(c.UploadDate ? { uploadedAt: c.UploadDate.toISOString() } : {}),
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
      ...(d.EnableDate ? { enabledAt: d.EnableDate.toISOString() } : {}),
      // Virtual devices have ARN serials (arn:aws:iam::<acct>:mfa/...); hardware tokens and FIDO keys do not.
      virtual: /^arn:aws[\w-]*:iam::\d{12}:mfa\//.test(d.SerialNumber ?? ''),
    }));
  }

  /** Deletes each item the deletion session can see; a failed item is reported and the rest go on. */
  private async deleteAll(
    deleter: RenewableRootSession,
    accountId: string,
    removed: RemovedCredentials,
    evidence: EvidenceLog,
    failed: (error: RootTaskError) => void,
    mayDeletePassword?: () => Promise<boolean>,
  ): Promise<void> {
    /** One step in the deletion session, retried while IAM says the entity is busy. */
    const step = <T>(run: (iam: IAMClient) => Promise<T>, busyRetryMs = this.timing.busyRetryMs) =>
      this.attempt(() => deleter.run((s) => run(s.iam())), busyRetryMs);
    let windowOpened = false;
    const deleteLoginProfile = async (busyRetryMs?: readonly number[]) => {
      windowOpened = mayDeletePassword !== undefined && !(await mayDeletePassword());
      if (windowOpened) return { ok: false as const, error: passwordKept(accountId) };
      return step(
        (iam) =>
          evidence.tolerate(ABSENT, `iam:DeleteLoginProfile on ${accountId}`, () =>
            iam.send(new DeleteLoginProfileCommand({})),
          ),
        busyRetryMs,
      );
    };

    const keys = await step((iam) => this.listAccessKeys(iam, accountId, evidence));
    if (!keys.ok) failed(keys.error);
    for (const key of keys.ok ? keys.value : []) {
      const done = await step((iam) =>
        evidence.tolerate(ABSENT, `iam:DeleteAccessKey ${key.accessKeyId} on ${accountId}`, () =>
          iam.send(new DeleteAccessKeyCommand({ AccessKeyId: key.accessKeyId })),
        ),
      );
      if (!done.ok) failed(done.error);
      else if (done.value) removed.accessKeys.push(key.accessKeyId);
    }

    // Early, as public tools do; if AWS refuses it (an active MFA device, says seed 000), once more after MFA.
    // No busy retries here: an MFA refusal would only come back until the devices are deactivated.
    let profile = await deleteLoginProfile([]);
    if (windowOpened) {
      // A break-glass window opened on the account: leave its root user as the grant needs it
      // (MFA and certificates included); the account is held and deleted on after the window.
      failed(passwordKept(accountId));
      return;
    }
    if (!profile.ok) {
      this.log.info(
        { accountId, error: profile.error.toJSON() },
        'login profile not deleted yet; retrying after the MFA devices are deactivated',
      );
    }

    const certificates = await step((iam) => this.signingCertificates(iam, accountId, evidence));
    if (!certificates.ok) failed(certificates.error);
    for (const cert of certificates.ok ? certificates.value : []) {
      const done = await step((iam) =>
        evidence.tolerate(ABSENT, `iam:DeleteSigningCertificate ${cert.certificateId} on ${accountId}`, () =>
          iam.send(new DeleteSigningCertificateCommand({ CertificateId: cert.certificateId })),
        ),
      );
      if (!done.ok) failed(done.error);
      else if (done.value) removed.signingCertificates.push(cert.certificateId);
    }

    // Deactivation removes MFA from the root user; a virtual device is left unassigned (not deleted).
    const devices = await step((iam) => this.mfaDevices(iam, accountId, evidence));
    if (!devices.ok) failed(devices.error);
    let mfaDeactivated = false;
    for (const device of devices.ok ? devices.value : []) {
      const SerialNumber = device.serialNumber;
      const done = await step((iam) =>
        evidence.tolerate(ABSENT, `iam:DeactivateMFADevice ${SerialNumber} on ${accountId}`, () =>
          iam.send(new DeactivateMFADeviceCommand({ SerialNumber })),
        ),
      );
      if (!done.ok) failed(done.error);
      else if (done.value) removed.mfaDevices.push(SerialNumber);
      mfaDeactivated ||= done.ok;
    }

    // Tried again only when MFA was in the way: otherwise the first refusal stands, and is reported.
    if (!profile.ok && mfaDeactivated) profile = await deleteLoginProfile();
    if (!profile.ok) failed(profile.error);
    else removed.loginProfile = profile.value !== undefined;
  }

  /**
   * Runs `run`, turning a failure into a value. While IAM answers that the entity
   * is busy (ConcurrentModification, EntityTemporarilyUnmodifiable: 4xx answers the
   * SDK does not retry), tries again after each pause of `busyRetryMs`.
   */
  private async attempt<T>(
    run: () => Promise<T>,
    busyRetryMs: readonly number[] = [],
  ): Promise<StepOutcome<T>> {
    for (let retry = 0; ; retry++) {
      try {
        return { ok: true, value: await run() };
      } catch (caught) {
        const error =
          caught instanceof RootTaskError ? caught : new RootTaskError('unexpected', String(caught));
        const pause = busyRetryMs[retry];
        const busy = error.kind === 'concurrent-modification' || error.kind === 'temporarily-unmodifiable';
        if (!busy || pause === undefined) return { ok: false, error };
        await this.timing.sleep(pause);
      }
    }
  }
}

/** Refuses, before any change, to remove a policy other than the one approvers saw. */
function assertApprovedPolicy(live: string | null, expectedHash: string | null, what: string): void {
  if (policyHash(live) === expectedHash) return;
  const now = live === null ? 'now has no policy' : 'has a different policy now';
  throw new RootTaskError(
    'changed-since-approval',
    `the policy of ${what} changed after approval (it ${now}); nothing was removed`,
  );
}

/** A key AWS left out of the summary counts as present until a detail read says otherwise. */
function failClosed(reported: ReportedSummary): CredentialSummary {
  return {
    password: reported.password ?? true,
    accessKeys: reported.accessKeys ?? true,
    signingCertificates: reported.signingCertificates ?? true,
    mfa: reported.mfa ?? true,
  };
}

/** SQS timestamps are epoch seconds as text; anything else is no date. */
function epochSecondsToIso(value: string | undefined): string | undefined {
  const seconds = Number(value);
  return value && Number.isFinite(seconds) && seconds > 0
    ? new Date(seconds * 1000).toISOString()
    : undefined;
}

/** A bulk hardening met a break-glass window opened on the account meanwhile: its password stays. */
function passwordKept(accountId: string): RootTaskError {
  return new RootTaskError(
    'changed-since-approval',
    `A break-glass window opened on ${accountId} while its root credentials were being deleted: the password was kept.`,
    { action: `iam:DeleteLoginProfile on ${accountId}` },
    'The account is held while the window is open, and tried again once it has closed.',
  );
}
