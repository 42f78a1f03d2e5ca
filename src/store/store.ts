/**
 * Durable state behind one interface, so that a second backend (DynamoDB) can
 * follow the SQLite one. Every write that decides something is a compare-and-set.
 */

import type { DriftRecord } from '../domain/drift.js';
import type { HardenAccount, Hardening } from '../domain/harden.js';
import type { Delivery } from '../domain/notice.js';
import type { OrgAuditRow, OrgAuditRun } from '../domain/org-audit.js';
import type { BreakglassRequest, RequestState } from '../domain/request.js';

export interface StoredRequest {
  request: BreakglassRequest;
  /** incremented on every write; updates must name the version they read */
  version: number;
  /** where the request message lives in Slack */
  message?: { channel: string; ts: string };
}

export type JobKind =
  | 'preview'
  | 'execute'
  | 'nudge'
  | 'expire'
  | 'remind'
  | 'cleanup'
  | 'org-audit'
  /** the scheduled org-wide audit (one fixed job per deployment, see workflow/drift.ts) */
  | 'audit-schedule'
  | 'harden-preview'
  | 'harden-run'
  | 'harden-expire';

/**
 * Long bulk work (an org-wide audit, a bulk hardening's preview and run): the
 * scheduler runs these in slots of their own, so they never hold up the jobs
 * that close windows or answer people (cleanup, execute, expire, remind, …).
 */
export const BULK_JOB_KINDS: readonly JobKind[] = [
  'org-audit',
  'audit-schedule',
  'harden-preview',
  'harden-run',
];

/** Every other kind: short, and some urgent (a cleanup closes a window). */
export const URGENT_JOB_KINDS: readonly JobKind[] = [
  'preview',
  'execute',
  'nudge',
  'expire',
  'remind',
  'cleanup',
  'harden-expire',
];

/** One account's drift record to store, or (resolved) to drop. */
export type DriftChange = { record: DriftRecord } | { resolved: string };

/** A bulk hardening as stored: versioned like a request, its message apart (the outbox sets it). */
export interface StoredHardening {
  hardening: Hardening;
  version: number;
  message?: { channel: string; ts: string };
}

/**
 * What a request change causes, written in the same transaction: jobs to
 * schedule or cancel and notices for the outbox. A crash can lose neither.
 */
export interface RequestEffects {
  schedule?: { kind: JobKind; dueAt: number }[];
  cancel?: JobKind[];
  notify?: Delivery[];
}

/**
 * A notice waiting in the outbox; delivered in the order written per request.
 * `id` is opaque: each store encodes its own key in it.
 */
export interface OutboxItem {
  id: string;
  requestId: string;
  delivery: Delivery;
  /** delivery attempts so far, this one included */
  attempts: number;
  /** wall-clock time it was written (backlog age) */
  createdAt: number;
  /** why the last attempt failed, as the worker recorded it */
  lastError?: string;
}

export interface DeliveryBacklog {
  pending: number;
  /** creation time of the oldest undelivered notice */
  oldestAt?: number;
}

export interface Job {
  /** opaque: each store encodes its own key in it */
  id: string;
  requestId: string;
  kind: JobKind;
  dueAt: number;
  attempts: number;
}

export interface AuditEntry {
  at: number;
  requestId?: string;
  /** Slack user id, "scheduler" or "cli" */
  actor: string;
  action: string;
  /** request ids, root-session access key ids, results; never secrets */
  details?: Record<string, unknown>;
}

export interface Store {
  createRequest(request: BreakglassRequest, effects?: RequestEffects): Promise<void>;
  getRequest(id: string): Promise<StoredRequest | undefined>;
  /** Writes `next` only if the stored version is still `expectedVersion`; false when someone else won. */
  updateRequest(
    id: string,
    expectedVersion: number,
    next: BreakglassRequest,
    effects?: RequestEffects,
  ): Promise<boolean>;
  setMessage(id: string, message: { channel: string; ts: string }): Promise<void>;
  listRequests(filter: {
    states?: RequestState[];
    requesterId?: string;
    limit?: number;
  }): Promise<StoredRequest[]>;

  scheduleJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<void>;
  /**
   * Schedules a job only if none of its request and kind is open; true when it
   * did. A fixed job (the audit schedule) keeps its time across restarts and
   * replicas: each replica ensures it at start-up, the first one wins.
   */
  ensureJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<boolean>;
  /**
   * Brings the open job of a request and kind forward to `dueAt`, but only while
   * no worker holds it: a claimed job is never released (it would run twice at
   * once). Creates nothing; true when it moved the job.
   */
  expediteJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<boolean>;
  /** Cancels pending jobs of a request (all kinds, or the ones given). */
  cancelJobs(requestId: string, kinds?: JobKind[]): Promise<void>;
  /**
   * Atomically claims one due job for `leaseMs` (of `kinds` only, when given);
   * a crashed worker's claim lapses and the job runs again.
   */
  claimDueJob(
    workerId: string,
    now: number,
    leaseMs: number,
    kinds?: readonly JobKind[],
  ): Promise<Job | undefined>;
  /** Extends a claim still held by `workerId` (a long job's heartbeat); false when it was lost. */
  renewClaim(id: string, workerId: string, until: number): Promise<boolean>;
  /**
   * Marks a job done, but only while the claim `workerId` names (a token per
   * claim) still holds it: a job rescheduled while it ran (a late grant moving a
   * cleanup) stays open and runs again.
   */
  completeJob(id: string, workerId: string): Promise<void>;
  /** Puts a job back to run at `dueAt` (with `workerId`: only while that claim still holds it). */
  retryJob(id: string, dueAt: number, workerId?: string): Promise<void>;
  pendingJobs(requestId: string): Promise<Job[]>;

  /** Adds notices that no state change carries (a reminder, a nudge). */
  enqueue(requestId: string, deliveries: Delivery[]): Promise<void>;
  /**
   * Claims the oldest due notice whose request has no earlier notice still
   * undelivered (per-request order), leased like jobs.
   */
  claimDelivery(workerId: string, now: number, leaseMs: number): Promise<OutboxItem | undefined>;
  deliverySent(id: string, now: number): Promise<void>;
  /** Marks a notice failed for good; later notices of its request go on. */
  deliveryFailed(id: string, error: string, now: number): Promise<void>;
  /** Puts a claimed notice back to be tried at `at`. */
  retryDelivery(id: string, at: number, error: string): Promise<void>;
  /** Holds every pending notice for `target` until `until` (Slack asked to slow down). */
  deferTarget(target: string, until: number): Promise<void>;
  deliveryBacklog(): Promise<DeliveryBacklog>;
  /** every notice of a request with its status, oldest first (tests, `status`) */
  listDeliveries(
    requestId: string,
  ): Promise<(OutboxItem & { status: 'pending' | 'sent' | 'failed'; lastError?: string })[]>;

  appendAudit(entry: AuditEntry): Promise<void>;
  listAudit(requestId?: string, limit?: number): Promise<AuditEntry[]>;

  /**
   * Starts an org-wide audit unless one is running (across replicas): the run,
   * its job (kind `org-audit`, due now, keyed by the run id) and its first
   * notices commit together. Otherwise nothing is written and the running one
   * is returned.
   */
  startOrgAudit(
    run: OrgAuditRun,
    notify: Delivery[],
  ): Promise<{ started: true } | { started: false; running: OrgAuditRun }>;
  getOrgAudit(id: string): Promise<OrgAuditRun | undefined>;
  /**
   * Stores rows of a running audit (one per account: a row stored again
   * replaces it), sets its progress (`done` = rows stored; `total` when given)
   * and enqueues `notify` (a progress update), together.
   */
  recordOrgAuditRows(
    id: string,
    rows: OrgAuditRow[],
    progress: { total?: number },
    notify?: Delivery[],
  ): Promise<void>;
  /** Every row of an audit, in account-id order. */
  orgAuditRows(id: string): Promise<OrgAuditRow[]>;
  /**
   * Ends a running audit and enqueues its final notices, together; frees the
   * lock for the next one. False (nothing written) when it was not running.
   */
  finishOrgAudit(id: string, at: number, notify: Delivery[], error?: string): Promise<boolean>;
  setOrgAuditMessage(id: string, message: { channel: string; ts: string }): Promise<void>;
  /** The org-wide audit finished last (what `/breakglass harden all-present` hardens). */
  latestOrgAudit(): Promise<OrgAuditRun | undefined>;

  /** Stores a bulk hardening, its accounts' rows, its jobs and its first notices. */
  createHardening(hardening: Hardening, accounts: HardenAccount[], effects?: RequestEffects): Promise<void>;
  getHardening(id: string): Promise<StoredHardening | undefined>;
  /** Compare-and-set, with its jobs and notices, as updateRequest. */
  updateHardening(
    id: string,
    expectedVersion: number,
    next: Hardening,
    effects?: RequestEffects,
  ): Promise<boolean>;
  /** Every account of a hardening, in account-id order. */
  hardenAccounts(id: string): Promise<HardenAccount[]>;
  /** Stores accounts' rows (a row stored again replaces it) and enqueues `notify`, together. */
  putHardenAccounts(id: string, rows: HardenAccount[], notify?: Delivery[]): Promise<void>;
  setHardeningMessage(id: string, message: { channel: string; ts: string }): Promise<void>;

  /** Every account's current drift record (root credentials alerted outside a window), by account id. */
  driftRecords(): Promise<DriftRecord[]>;
  /**
   * Stores one account's drift record (or drops it when resolved) and enqueues
   * its notices under `key` (the org-wide audit's id), together: an alert is
   * never recorded without its notice, nor sent twice for one record.
   */
  saveDrift(change: DriftChange, key: string, notify: Delivery[]): Promise<void>;

  /** True the first time a key is seen (Slack redeliveries, double clicks), false after. */
  firstTime(key: string, now: number): Promise<boolean>;

  close(): Promise<void>;
}
