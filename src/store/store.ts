/**
 * Durable state behind one interface, so that a second backend (DynamoDB) can
 * follow the SQLite one. Every write that decides something is a compare-and-set.
 */
import type { BreakglassRequest, RequestState } from '../domain/request.js';

export interface StoredRequest {
  request: BreakglassRequest;
  /** incremented on every write; updates must name the version they read */
  version: number;
  /** where the request message lives in Slack */
  message?: { channel: string; ts: string };
}

export type JobKind = 'preview' | 'execute' | 'nudge' | 'expire' | 'remind' | 'cleanup';

/** Job changes written in the same transaction as a request change. */
export interface JobEffects {
  schedule?: { kind: JobKind; dueAt: number }[];
  cancel?: JobKind[];
}

export interface Job {
  id: number;
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
  createRequest(request: BreakglassRequest, effects?: JobEffects): Promise<void>;
  getRequest(id: string): Promise<StoredRequest | undefined>;
  /** Writes `next` only if the stored version is still `expectedVersion`; false when someone else won. */
  updateRequest(
    id: string,
    expectedVersion: number,
    next: BreakglassRequest,
    effects?: JobEffects,
  ): Promise<boolean>;
  setMessage(id: string, message: { channel: string; ts: string }): Promise<void>;
  listRequests(filter: {
    states?: RequestState[];
    requesterId?: string;
    limit?: number;
  }): Promise<StoredRequest[]>;

  scheduleJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<void>;
  /** Cancels pending jobs of a request (all kinds, or the ones given). */
  cancelJobs(requestId: string, kinds?: JobKind[]): Promise<void>;
  /** Atomically claims one due job for `leaseMs`; a crashed worker's claim lapses and the job runs again. */
  claimDueJob(workerId: string, now: number, leaseMs: number): Promise<Job | undefined>;
  /** Extends a claim still held by `workerId` (a long job's heartbeat); false when it was lost. */
  renewClaim(id: number, workerId: string, until: number): Promise<boolean>;
  completeJob(id: number): Promise<void>;
  retryJob(id: number, dueAt: number): Promise<void>;
  pendingJobs(requestId: string): Promise<Job[]>;

  appendAudit(entry: AuditEntry): Promise<void>;
  listAudit(requestId?: string, limit?: number): Promise<AuditEntry[]>;

  /** True the first time a key is seen (Slack redeliveries, double clicks), false after. */
  firstTime(key: string, now: number): Promise<boolean>;

  close(): Promise<void>;
}
