/**
 * What the workflow needs from the outside, as interfaces: Slack and AWS
 * implement them at the edges, tests can too.
 */

import type { Evidence } from '../aws/evidence.js';
import type { OrgAccount } from '../aws/organization.js';
import type {
  DeletionResult,
  PasswordRecoveryResult,
  PolicyUnlockResult,
  RootCredentialAudit,
} from '../aws/root-task-results.js';
import type { DriftAlert } from '../domain/drift.js';
import type { HardenAccount } from '../domain/harden.js';
import type { ClickReply, DriftResolution, Notice } from '../domain/notice.js';
import type { OrgAuditRow, OrgAuditRun } from '../domain/org-audit.js';
import type { StoredHardening, StoredRequest } from '../store/store.js';

/** The root-task operations the workflow runs (RootTaskService, or its dry-run stand-in). */
export interface RootTasks {
  auditRootCredentials(accountId: string): Promise<RootCredentialAudit>;
  allowPasswordRecovery(accountId: string): Promise<PasswordRecoveryResult>;
  /** `windowCleanup`: closing an approved window; skips the organization checks made before a grant */
  deleteRootCredentials(
    accountId: string,
    options?: { windowCleanup?: boolean; mayDeletePassword?: () => Promise<boolean> },
  ): Promise<DeletionResult>;
  /** removes the policy only if its sha256 is still `expectedPolicyHash` (null: there was none) */
  unlockS3BucketPolicy(
    accountId: string,
    bucket: string,
    expectedPolicyHash: string | null,
  ): Promise<PolicyUnlockResult>;
  unlockSqsQueuePolicy(
    accountId: string,
    queueUrl: string,
    expectedPolicyHash: string | null,
  ): Promise<PolicyUnlockResult>;
  /** reads the policy an unlock would remove, without removing it */
  readPolicy(
    accountId: string,
    task: 'unlock-s3' | 'unlock-sqs',
    target: string,
  ): Promise<{ policy: string | null; lastModifiedAt?: string; evidence: Evidence }>;
}

export interface Accounts {
  /** the account if it may be targeted, else a one-line reason */
  targetable(accountId: string): Promise<{ ok: true; account: OrgAccount } | { ok: false; reason: string }>;
  find(accountId: string): Promise<OrgAccount | undefined>;
}

export interface Authorizer {
  /**
   * `approvers`: the user and group ids of the request's rule; without them, the
   * configured list (with a policy file: everyone who approves under some rule).
   */
  isApprover(userId: string, approvers?: readonly string[]): Promise<boolean>;
  /** `requesters`: of a rule (empty: anyone); without them, the configured list */
  mayRequest(userId: string, requesters?: readonly string[]): Promise<boolean>;
  /**
   * The users a list of user and group ids names who could approve: groups
   * resolved (an unreadable group: none of its members), full members only.
   */
  people?(ids: readonly string[]): Promise<string[]>;
  /** True when the user's last refusal came from a lookup that got no answer (not a "no"): worth trying again. */
  couldNotCheck?(userId: string): boolean;
}

export type { ClickReply, Notice } from '../domain/notice.js';

/**
 * Sends one delivery to Slack. Only the outbox's delivery worker calls it, never
 * a job or a listener; failures are thrown as DeliveryError (permanent,
 * rate-limited or transient) so the worker knows whether a retry can help.
 */
export interface Announcer {
  /** posts the request to the approvals channel (once, even when retried: see `ref`); returns where */
  post(stored: StoredRequest, ref?: NoticeRef): Promise<{ channel: string; ts: string }>;
  /** re-renders the request message in place */
  update(stored: StoredRequest): Promise<void>;
  /** a reply in the request's thread */
  thread(stored: StoredRequest, notice: Notice, ref?: NoticeRef): Promise<void>;
  /** a top-level message in the approvals channel */
  channel(notice: Notice, ref?: NoticeRef): Promise<void>;
  dm(userId: string, notice: Notice, ref?: NoticeRef): Promise<void>;
  /** an answer to a click, through its response_url */
  reply(reply: ClickReply): Promise<void>;
}

/**
 * Which outbox notice a post delivers. On a retry (an earlier attempt may have
 * reached Slack with its answer lost) the announcer looks for it before posting.
 */
export interface NoticeRef {
  id: string;
  requestId: string;
  /** when the notice was written, epoch ms */
  since: number;
  retry: boolean;
}

/** An org-wide audit as its summary message renders it: the run and the rows stored so far. */
export interface OrgAuditView {
  run: OrgAuditRun;
  rows: OrgAuditRow[];
}

/**
 * Sends org-wide reports to Slack (only the delivery worker calls it): the
 * audit's summary message, posted once and updated in place, and files in its
 * thread. Failures are thrown as DeliveryError, as with Announcer.
 */
/** A bulk hardening as its message renders it. */
export interface HardeningView {
  stored: StoredHardening;
  accounts: HardenAccount[];
}

export interface ReportAnnouncer {
  /** a bulk hardening's message: posted once (see `ref`), then updated in place */
  postHardening(view: HardeningView, ref?: NoticeRef): Promise<{ channel: string; ts: string }>;
  updateHardening(view: HardeningView): Promise<void>;
  /** its closing summary, a top-level message in the channel */
  hardeningSummary(view: HardeningView, ref?: NoticeRef): Promise<void>;
  /** tells a hardening's requester by DM what Slack refused to show in the channel */
  hardeningDm(userId: string, view: HardeningView, slackError: string, ref?: NoticeRef): Promise<void>;
  postAudit(view: OrgAuditView, ref?: NoticeRef): Promise<{ channel: string; ts: string }>;
  updateAudit(view: OrgAuditView): Promise<void>;
  /** a drift alert in a thread (the scheduled audit's summary), with its Clean up button */
  driftAlert(
    where: { channel?: string; threadTs?: string },
    alert: DriftAlert,
    ref?: NoticeRef,
  ): Promise<void>;
  /** says in the alert's thread that the drift disappeared */
  driftResolved(
    where: { channel?: string; threadTs?: string },
    resolved: DriftResolution,
    ref?: NoticeRef,
  ): Promise<void>;
  /** uploads a file into a thread (or the channel when `threadTs` is absent) */
  uploadFile(
    where: { channel?: string; threadTs?: string },
    file: { filename: string; title: string; content: string },
    ref?: NoticeRef,
  ): Promise<void>;
}
