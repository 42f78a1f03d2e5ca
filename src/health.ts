/**
 * Liveness and readiness, as the HTTP routes report them. `/healthz` fails when
 * the scheduler loop has stalled, whatever the jobs running take; `/readyz`
 * fails when the store cannot be read or Slack notices pile up, and names the
 * last error Slack refused for good.
 */
import type { Store } from './store/store.js';
import type { DeliveryWorker } from './workflow/delivery.js';
import type { Scheduler } from './workflow/scheduler.js';

/** More undelivered notices than this means Slack delivery is not keeping up. */
export const MAX_DELIVERY_BACKLOG = 200;

export interface HealthReport {
  ok: boolean;
  checks: Record<string, unknown>;
}

export interface HealthProbe {
  live(): Promise<HealthReport>;
  ready(): Promise<HealthReport>;
}

export function healthProbe(parts: {
  store: Store;
  scheduler: Scheduler;
  delivery: DeliveryWorker;
}): HealthProbe {
  return {
    async live() {
      const scheduler = parts.scheduler.healthy();
      return { ok: scheduler, checks: { scheduler: scheduler ? 'polling' : 'stalled' } };
    },
    async ready() {
      const checks: Record<string, unknown> = {};
      let ok = parts.scheduler.healthy();
      checks.scheduler = ok ? 'polling' : 'stalled';
      try {
        const backlog = await parts.store.deliveryBacklog();
        checks.store = 'ok';
        checks.deliveryBacklog = backlog.pending;
        if (backlog.oldestAt) checks.oldestUndeliveredAgeMs = Date.now() - backlog.oldestAt;
        if (backlog.pending > MAX_DELIVERY_BACKLOG) ok = false;
      } catch (error) {
        ok = false;
        checks.store = error instanceof Error ? error.message : String(error);
      }
      const permanent = parts.delivery.lastPermanentError;
      if (permanent)
        checks.lastPermanentSlackError = { ...permanent, at: new Date(permanent.at).toISOString() };
      return { ok, checks };
    },
  };
}
