/**
 * Once a minute: the scheduler's heartbeat (only while its loop polls, so a
 * stalled loop shows as missing data) and the outbox backlog, for the alarms.
 */
import type { Logger } from './log.js';
import { emitMetric } from './metrics.js';
import type { Store } from './store/store.js';
import type { Scheduler } from './workflow/scheduler.js';

const REPORT_EVERY_MS = 60_000;

export function startMetricsReporter(parts: { store: Store; scheduler: Scheduler; log: Logger }): () => void {
  const report = async () => {
    if (parts.scheduler.healthy()) emitMetric(parts.log, 'SchedulerHeartbeat', 1);
    try {
      emitMetric(parts.log, 'OutboxBacklog', (await parts.store.deliveryBacklog()).pending);
    } catch (error) {
      parts.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not read the outbox backlog',
      );
    }
  };
  const timer = setInterval(() => void report(), REPORT_EVERY_MS);
  timer.unref();
  void report();
  return () => clearInterval(timer);
}
