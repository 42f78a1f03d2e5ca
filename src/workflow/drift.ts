/**
 * Drift detection: a scheduled org-wide audit (BREAKGLASS_AUDIT_EVERY) and,
 * after each run, an alert for every account with root credentials outside an
 * approved window. One fixed durable job (`audit-schedule`, request id
 * AUDIT_SCHEDULE_ID) holds the schedule: the store keeps one open job per id and
 * kind, every replica ensures it at start-up without moving it, the store's
 * org-audit lock lets one run at a time, and the next run is scheduled when one
 * ends. The check itself is idempotent: each account's record (its drift's
 * fingerprint) is stored with its alert, so a run checked twice alerts once.
 */
import { type DriftDecision, type DriftRecord, decideDrift, describePresent } from '../domain/drift.js';
import type { Delivery } from '../domain/notice.js';
import type { OrgAuditRun } from '../domain/org-audit.js';
import type { WorkflowCore } from './core.js';
import { openWindows } from './open-windows.js';

/** The schedule's fixed job identity: one per deployment, whatever the number of replicas. */
export const AUDIT_SCHEDULE_ID = 'ORG-AUDIT-SCHEDULE';
/** Audit trail actor of scheduled work. */
const ACTOR = 'scheduler';
/** A scheduled run due while an audit asked in Slack runs waits this long, then tries again. */
export const BUSY_RETRY_MS = 60_000;

/** What the audit trail calls each alert. */
const ACTIONS = {
  new: 'drift alerted',
  changed: 'drift changed',
  reminder: 'drift reminded',
  unauditable: 'drift: account not auditable',
} as const;

export class DriftChecks {
  constructor(private readonly core: WorkflowCore) {}

  private get store() {
    return this.core.deps.store;
  }

  private get every(): number | undefined {
    return this.core.deps.settings.auditEveryMs;
  }

  /**
   * At start-up: the schedule's job, if there is none (a restart keeps its time;
   * the first replica to write it wins). With the schedule off, an open one is cancelled.
   */
  async ensureSchedule(): Promise<void> {
    if (this.every === undefined) {
      await this.store.cancelJobs(AUDIT_SCHEDULE_ID, ['audit-schedule']);
      return;
    }
    const added = await this.store.ensureJob({
      requestId: AUDIT_SCHEDULE_ID,
      kind: 'audit-schedule',
      dueAt: this.core.now(),
    });
    if (added) this.core.deps.wake?.();
  }

  /** When a scheduled run ends: the next one, `every` from now (moving any open one). */
  async scheduleNext(): Promise<void> {
    if (this.every === undefined) return;
    await this.store.scheduleJob({
      requestId: AUDIT_SCHEDULE_ID,
      kind: 'audit-schedule',
      dueAt: this.core.now() + this.every,
    });
  }

  /**
   * After a scheduled run audited every account (before it closes): alerts,
   * reminders and resolutions, each stored with its notice. The audit's summary
   * is posted first when there is anything to alert in its thread. Returns
   * whether the summary was posted (or queued).
   */
  async check(run: OrgAuditRun): Promise<boolean> {
    // Open windows again, now: a row read before a window opened on its account (the run's copy is
    // refreshed every few seconds) is expected, not drift. Every open request, not a first page.
    const windows = await openWindows(this.store);
    const rows = (await this.store.orgAuditRows(run.id)).map((r) =>
      r.openWindow || !windows.has(r.accountId)
        ? r
        : { ...r, openWindow: windows.get(r.accountId) as string },
    );
    const decision = decideDrift(rows, await this.store.driftRecords(), {
      now: this.core.now(),
      remindMs: this.core.deps.settings.driftRemindMs ?? 7 * 86_400_000,
      runId: run.id,
    });
    const posted = (await this.store.listDeliveries(run.id)).some((d) => d.delivery.to === 'audit-post');
    if (decision.alerts.length && !posted) await this.store.enqueue(run.id, [{ to: 'audit-post' }]);
    await this.write(run.id, decision);
    this.core.deps.wakeOutbox?.();
    return posted || decision.alerts.length > 0;
  }

  private async write(runId: string, decision: DriftDecision): Promise<void> {
    for (const { alert, record } of decision.alerts) {
      const notify: Delivery[] = [{ to: 'drift-alert', alert }];
      await this.store.saveDrift({ record }, runId, notify);
      await this.core.audit(runId, ACTOR, ACTIONS[alert.kind], auditDetails(record));
    }
    for (const record of decision.resolved) {
      const { accountId, name, present, alertRunId } = record;
      const notify: Delivery[] = [
        { to: 'drift-resolved', resolved: { accountId, name, present, alertRunId } },
      ];
      await this.store.saveDrift({ resolved: accountId }, runId, notify);
      await this.core.audit(runId, ACTOR, 'drift resolved', auditDetails(record));
    }
  }
}

function auditDetails(record: DriftRecord) {
  return {
    accountId: record.accountId,
    name: record.name,
    present: describePresent(record.present),
    fingerprint: record.fingerprint,
    alertRunId: record.alertRunId,
  };
}
