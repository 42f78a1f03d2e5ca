/**
 * Metrics for the alarms, as log lines: each carries CloudWatch's embedded
 * metric format (`_aws`) for log pipelines that extract it, and a plain
 * `metric`/`value` pair that a CloudWatch Logs metric filter can match
 * (`{ $.metric = "CleanupFailed" }`). No agent, no extra call.
 */
import type { Logger } from './log.js';

export const METRICS_NAMESPACE = 'Breakglass';

export type MetricName =
  | 'Granted'
  | 'CleanupVerified'
  | 'CleanupFailed'
  | 'NoticeUndeliverable'
  | 'OutboxBacklog'
  | 'SchedulerHeartbeat';

export function emitMetric(
  log: Logger,
  name: MetricName,
  value: number,
  fields: Record<string, unknown> = {},
): void {
  log.info(
    {
      ...fields,
      metric: name,
      value,
      [name]: value,
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          { Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: name, Unit: 'Count' }] },
        ],
      },
    },
    `metric ${name}`,
  );
}
