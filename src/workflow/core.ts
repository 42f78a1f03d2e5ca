/** Shared plumbing of the workflow: dependencies, settings, and compare-and-set updates. */
import { randomBytes } from 'node:crypto';
import type { BreakglassRequest } from '../domain/request.js';
import type { Logger } from '../log.js';
import type { JobEffects, Store, StoredRequest } from '../store/store.js';
import type { Accounts, Announcer, Authorizer, RootTasks } from './ports.js';

export interface WorkflowSettings {
  durationsSeconds: number[];
  remindBeforeSeconds: number;
  pendingTtlSeconds: number;
  cleanupRetryBaseMs: number;
  dryRun: boolean;
}

export interface WorkflowDeps {
  store: Store;
  tasks: RootTasks;
  accounts: Accounts;
  auth: Authorizer;
  announcer: Announcer;
  log: Logger;
  settings: WorkflowSettings;
  now?: () => number;
  /** called when a job is due now, so the scheduler runs it without waiting a tick */
  wake?: () => void;
}

/** What a user action answers: shown to that user only (ephemeral). */
export type Reply = { ok: true; text: string } | { ok: false; text: string };

export type Decision<T> =
  | { refuse: string }
  | { unchanged: T }
  | { next: BreakglassRequest; effects?: JobEffects; value: T };

export type Mutation<T> =
  | { ok: true; stored: StoredRequest; value: T; changed: boolean }
  | { ok: false; reason: string };

const MAX_CONFLICT_RETRIES = 8;
const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

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
      if (await this.deps.store.updateRequest(id, stored.version, decision.next, decision.effects)) {
        if (decision.effects?.schedule?.some((j) => j.dueAt <= this.now())) this.deps.wake?.();
        return {
          ok: true,
          stored: { ...stored, request: decision.next, version: stored.version + 1 },
          value: decision.value,
          changed: true,
        };
      }
    }
    return { ok: false, reason: 'the request is changing too fast; try again' };
  }

  /** Appends to the audit trail; `details` is plain JSON data (results, evidence), never secrets. */
  async audit(requestId: string, actor: string, action: string, details?: object): Promise<void> {
    const entry = { at: this.now(), requestId, actor, action };
    await this.deps.store.appendAudit(details ? { ...entry, details: { ...details } } : entry);
  }

  /** Slack calls are best effort: a failed message must not undo or block a decision already stored. */
  async announce(what: string, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.deps.log.warn(
        { err: error instanceof Error ? error.message : String(error), what },
        'could not notify Slack',
      );
    }
  }

  /**
   * Re-renders the request message from the store, not from `stored`: when two
   * updates race, their chat.update calls can land in either order, and each
   * should show the newest state.
   */
  async refresh(stored: StoredRequest): Promise<void> {
    const latest = (await this.deps.store.getRequest(stored.request.id)) ?? stored;
    if (latest.message)
      await this.announce('update request message', () => this.deps.announcer.update(latest));
  }
}
