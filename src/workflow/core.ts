/** Shared plumbing of the workflow: dependencies, settings, and compare-and-set updates. */
import { randomBytes } from 'node:crypto';
import type { Delivery } from '../domain/notice.js';
import {
  type BreakglassRequest,
  canTransition,
  longestWindowSeconds,
  type TaskKind,
} from '../domain/request.js';
import type { Logger } from '../log.js';
import type { RequestEffects, Store, StoredRequest } from '../store/store.js';
import { type CrashPoint, crashAt } from './crash-points.js';
import type { BulkRootTasks } from './hardening.js';
import type { BulkAudit } from './org-audits.js';
import type { PolicyRouting } from './policy-routing.js';
import type { Accounts, Authorizer, RootTasks } from './ports.js';

export interface WorkflowSettings {
  durationsSeconds: number[];
  /** tasks offered; a submission of another is refused (default: all) */
  tasks?: readonly TaskKind[];
  remindBeforeSeconds: number;
  pendingTtlSeconds: number;
  cleanupRetryBaseMs: number;
  dryRun: boolean;
  /** the scheduled org-wide audit's interval (BREAKGLASS_AUDIT_EVERY); undefined: off */
  auditEveryMs?: number;
  /** a drift still present this long after its alert is alerted again (BREAKGLASS_DRIFT_REMIND; default 7 days) */
  driftRemindMs?: number;
}

export interface WorkflowDeps {
  store: Store;
  tasks: RootTasks;
  accounts: Accounts;
  auth: Authorizer;
  log: Logger;
  settings: WorkflowSettings;
  /** org-wide audits' AWS work, in its own (bulk) budget; absent: `/breakglass audit all` is not offered */
  bulkAudit?: BulkAudit;
  /** bulk hardening's root tasks, in the same bulk budget; absent: the (priority) root tasks */
  bulkTasks?: BulkRootTasks;
  /** approver routing from the policy file (BREAKGLASS_POLICY); absent: one rule, the configured approvers */
  routing?: PolicyRouting;
  now?: () => number;
  /** called when a job is due now, so the scheduler runs it without waiting a tick */
  wake?: () => void;
  /** called when notices were written, so the outbox delivers them without waiting a tick */
  wakeOutbox?: () => void;
  /** test-only: the crash point at which the process kills itself (see crash-points.ts) */
  crashAt?: string;
}

/** What a user action answers: shown to that user only (ephemeral). */
export type Reply = { ok: true; text: string } | { ok: false; text: string };

export type Decision<T> =
  | { refuse: string }
  | { unchanged: T }
  | { next: BreakglassRequest; effects?: RequestEffects; value: T };

export type Mutation<T> =
  | { ok: true; stored: StoredRequest; value: T; changed: boolean }
  | { ok: false; reason: string };

const MAX_CONFLICT_RETRIES = 8;
const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** The request message shows the new state: every state change carries this notice. */
export const UPDATE_MESSAGE: Delivery = { to: 'update' };

export function newRequestId(): string {
  const bytes = randomBytes(6);
  return `BG-${[...bytes].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}

export class WorkflowCore {
  readonly now: () => number;

  constructor(readonly deps: WorkflowDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Read, decide, compare-and-set; on a conflict (another click, another replica)
   * read again and decide again. What wins is always a decision on fresh state.
   * The request change, its jobs and its notices commit together.
   */
  async mutate<T>(
    id: string,
    decide: (request: BreakglassRequest, stored: StoredRequest) => Decision<T>,
  ): Promise<Mutation<T>> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const stored = await this.deps.store.getRequest(id);
      if (!stored) return { ok: false, reason: `there is no request ${id}` };
      const decision = decide(stored.request, stored);
      if ('refuse' in decision) return { ok: false, reason: decision.refuse };
      if ('unchanged' in decision) return { ok: true, stored, value: decision.unchanged, changed: false };
      const { next, effects } = decision;
      if (next.state !== stored.request.state && !canTransition(stored.request.state, next.state)) {
        throw new Error(`bug: ${id} cannot go from ${stored.request.state} to ${next.state}`);
      }
      if (await this.deps.store.updateRequest(id, stored.version, next, effects)) {
        this.woken(effects);
        return {
          ok: true,
          stored: { ...stored, request: next, version: stored.version + 1 },
          value: decision.value,
          changed: true,
        };
      }
    }
    return { ok: false, reason: 'the request is changing too fast; try again' };
  }

  /** Stores a new request with its jobs and notices. */
  async create(request: BreakglassRequest, effects: RequestEffects): Promise<void> {
    await this.deps.store.createRequest(request, effects);
    this.woken(effects);
  }

  /** Notices that no state change carries (a reminder, a nudge). */
  async notify(requestId: string, deliveries: Delivery[]): Promise<void> {
    await this.deps.store.enqueue(requestId, deliveries);
    this.deps.wakeOutbox?.();
  }

  private woken(effects: RequestEffects | undefined): void {
    if (effects?.schedule?.some((j) => j.dueAt <= this.now())) this.deps.wake?.();
    if (effects?.notify?.length) this.deps.wakeOutbox?.();
  }

  /** Who decides this request: its rule's approvers (a request from before routing: the default rule's). */
  approversOf(request: BreakglassRequest): readonly string[] | undefined {
    return request.route?.approvers ?? this.deps.routing?.defaults.approvers;
  }

  /** Whether `userId` approves request `id` (by its stored rule); false when there is no such request. */
  async approves(id: string, userId: string): Promise<boolean> {
    const stored = await this.deps.store.getRequest(id);
    return stored ? this.deps.auth.isApprover(userId, this.approversOf(stored.request)) : false;
  }

  /** The longest window the request's rule allows: extensions stop there. */
  longestWindow(request: BreakglassRequest): number {
    return longestWindowSeconds(request.route?.durationsSeconds ?? this.deps.settings.durationsSeconds);
  }

  /** A step boundary: the fault-matrix tests can crash the process here. */
  boundary(point: CrashPoint): void {
    crashAt(point, this.deps.crashAt);
  }

  /** Appends to the audit trail; `details` is plain JSON data (results, evidence), never secrets. */
  async audit(requestId: string, actor: string, action: string, details?: object): Promise<void> {
    const base = { at: this.now(), requestId, actor, action };
    const entry = details ? { ...base, details: { ...details } } : base;
    await this.deps.store.appendAudit(entry);
    // Every entry is also one JSON log line, for a SIEM that reads the logs.
    this.deps.log.info({ audit: entry }, `audit ${action}`);
  }
}
