/**
 * Liveness and readiness, as the HTTP routes report them. `/healthz` fails when
 * the scheduler loop has stalled, whatever the jobs running take; `/readyz`
 * fails when the store cannot be read, Slack notices pile up or (Socket Mode)
 * the websocket to Slack is down, and names the last error Slack refused for good.
 */
import type { SocketReport } from './slack/socket-connection.js';
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
  /** Socket Mode: the websocket's state (HTTP mode has none: Slack calls in) */
  slack?: () => SocketReport;
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
      const slack = parts.slack?.();
      if (slack) {
        checks.slack = slack.connected ? 'connected' : 'disconnected';
        if (!slack.connected) {
          ok = false;
          checks.slackDisconnectedForMs = Date.now() - slack.since;
        }
      }
      const permanent = parts.delivery.lastPermanentError;
      if (permanent)
        checks.lastPermanentSlackError = { ...permanent, at: new Date(permanent.at).toISOString() };
      return { ok, checks };
    },
  };
}
