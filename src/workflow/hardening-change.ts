/**
 * What the request side and the job side of bulk hardening share: the
 * compare-and-set change of a stored hardening (with its jobs and notices), the
 * bulk-lane root tasks, and the message update notice.
 */
import type { Hardening } from '../domain/harden.js';
import type { Delivery } from '../domain/notice.js';
import type { RequestEffects } from '../store/store.js';
import type { WorkflowCore, WorkflowDeps } from './core.js';
import type { BulkRootTasks } from './hardening.js';

/** Who the jobs act as in the audit trail. */
export const ACTOR = 'scheduler';
const MAX_CONFLICT_RETRIES = 8;
/** The hardening's message, rendered again from what is stored. */
export const UPDATE: Delivery = { to: 'harden-update' };

export type Change<T> =
  | { refuse: string }
  | { unchanged: T }
  | { next: Hardening; effects?: RequestEffects; value: T };

/** Reads, decides and writes a hardening, again on a concurrent change (at most a few times). */
export async function mutateHardening<T>(
  core: WorkflowCore,
  id: string,
  decide: (h: Hardening) => Change<T> | Promise<Change<T>>,
): Promise<{ ok: true; value: T; changed: boolean; hardening: Hardening } | { ok: false; reason: string }> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const stored = await core.deps.store.getHardening(id);
    if (!stored) return { ok: false, reason: `there is no request ${id}` };
    const decision = await decide(stored.hardening);
    if ('refuse' in decision) return { ok: false, reason: decision.refuse };
    if ('unchanged' in decision)
      return { ok: true, value: decision.unchanged, changed: false, hardening: stored.hardening };
    if (await core.deps.store.updateHardening(id, stored.version, decision.next, decision.effects)) {
      if (decision.effects?.schedule?.some((j) => j.dueAt <= core.now())) core.deps.wake?.();
      if (decision.effects?.notify?.length) core.deps.wakeOutbox?.();
      return { ok: true, value: decision.value, changed: true, hardening: decision.next };
    }
  }
  return { ok: false, reason: 'the request is changing too fast; try again' };
}

/** The bulk lane's root tasks; without them (tests, DRY_RUN), the interactive ones. */
export function bulkTasksOf(deps: WorkflowDeps): BulkRootTasks {
  const tasks = deps.tasks;
  return (
    deps.bulkTasks ?? {
      audit: (id) => tasks.auditRootCredentials(id),
      delete: async (id, signal, mayStart) =>
        signal?.aborted || (mayStart && !(await mayStart()))
          ? undefined
          : tasks.deleteRootCredentials(id, mayStart ? { mayDeletePassword: mayStart } : {}),
    }
  );
}
