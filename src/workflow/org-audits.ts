/**
 * Org-wide audits asked for in Slack: one at a time across replicas (a
 * store-level lock taken with the run, its job and its first notice), run as a
 * durable job that stores each account's row as it is audited. A run stopped
 * half-way (SIGTERM, a crash) resumes where it stopped: accounts with a stored
 * row are neither audited nor counted again, so the summary and the CSV
 * report every account exactly once. Progress goes to the outbox at most every
 * PROGRESS_EVERY_MS; the end writes the final summary and the file with the
 * run's close, in one transaction.
 */
import { randomBytes } from 'node:crypto';
import type { AccountAuditRow } from '../aws/org-audit.js';
import { toOrgAuditRow } from '../aws/org-audit-row.js';
import type { Delivery } from '../domain/notice.js';
import {
  estimatedFinish,
  type OrgAuditRow,
  type OrgAuditRun,
  PROGRESS_EVERY_MS,
  summarize,
} from '../domain/org-audit.js';
import type { WorkflowCore } from './core.js';
import { BUSY_RETRY_MS, DriftChecks } from './drift.js';
import { openWindows } from './open-windows.js';

/** Rows are stored at least this often while an audit runs (what a crash can cost: this much re-auditing). */
const FLUSH_EVERY_MS = 500;
const FLUSH_ROWS = 100;
/** A run whose account list cannot be read is retried this many times, then closed with what it has. */
const MAX_ATTEMPTS = 3;
const RETRY_MS = 30_000;
/** Open windows are read again this often while the audit runs. */
const WINDOWS_EVERY_MS = 2_000;
const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Audits accounts in bulk (the bot's bulk lane: its own concurrency budget, backing off first). */
export interface BulkAudit {
  auditAccounts(options: {
    skip: ReadonlySet<string>;
    shouldStop: () => boolean;
    onListed: (total: number) => void;
    onRow: (row: AccountAuditRow) => void;
  }): Promise<void>;
}

export type StartAudit =
  | { started: true; run: OrgAuditRun }
  | { started: false; running: OrgAuditRun; finishAt?: number };

export function newOrgAuditId(): string {
  return `OA-${[...randomBytes(6)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}

export function csvFile(run: OrgAuditRun): Delivery {
  const day = new Date(run.startedAt).toISOString().slice(0, 10);
  return {
    to: 'file',
    file: {
      source: 'org-audit-csv',
      filename: `root-credentials-${day}-${run.id}.csv`,
      title: `Root credentials, every account (${run.id})`,
    },
  };
}

export class OrgAudits {
  readonly drift: DriftChecks;

  constructor(private readonly core: WorkflowCore) {
    this.drift = new DriftChecks(core);
  }

  private get store() {
    return this.core.deps.store;
  }

  /** Starts an audit, or says which one runs and when it should finish. */
  async start(userId: string): Promise<StartAudit> {
    const run: OrgAuditRun = {
      id: newOrgAuditId(),
      requestedBy: userId,
      startedAt: this.core.now(),
      state: 'running',
      done: 0,
    };
    const result = await this.store.startOrgAudit(run, [{ to: 'audit-post' }]);
    if (!result.started) {
      const finishAt = estimatedFinish(result.running, this.core.now());
      return { started: false, running: result.running, ...(finishAt !== undefined ? { finishAt } : {}) };
    }
    this.core.deps.wake?.();
    this.core.deps.wakeOutbox?.();
    await this.core.audit(run.id, userId, 'org-wide audit started');
    return { started: true, run };
  }

  /**
   * The `audit-schedule` job: starts a scheduled audit (quiet in Slack: its summary is
   * posted only when it has drift to alert). While another runs: a scheduled one
   * schedules the next itself when it ends; one asked in Slack is waited for.
   */
  async startScheduled(): Promise<{ retryAt?: number }> {
    if (this.core.deps.settings.auditEveryMs === undefined) return {};
    const run: OrgAuditRun = {
      id: newOrgAuditId(),
      requestedBy: 'scheduler',
      scheduled: true,
      startedAt: this.core.now(),
      state: 'running',
      done: 0,
    };
    const result = await this.store.startOrgAudit(run, []);
    if (!result.started) return result.running.scheduled ? {} : { retryAt: this.core.now() + BUSY_RETRY_MS };
    this.core.deps.wake?.();
    await this.core.audit(run.id, 'scheduler', 'scheduled org-wide audit started');
    return {};
  }

  /** The `org-audit` job: audits the accounts not audited yet; returns a time to go on when stopped. */
  async run(id: string, attempt: number, signal?: AbortSignal): Promise<{ retryAt?: number }> {
    const run = await this.store.getOrgAudit(id);
    // A scheduled run closed by a process that died before scheduling the next: schedule it now.
    if (run?.state === 'done' && run.scheduled) await this.drift.scheduleNext();
    if (run?.state !== 'running') return {};
    const bulk = this.core.deps.bulkAudit;
    if (!bulk) throw new Error('bug: no bulk audit configured for org-wide audits');
    const skip = new Set((await this.store.orgAuditRows(id)).map((r) => r.accountId));
    const progress = new Progress(this.core, id, run.scheduled === true);
    await progress.refreshWindows();
    let stopped = false;
    try {
      await bulk.auditAccounts({
        skip,
        shouldStop: () => {
          stopped ||= signal?.aborted === true;
          return stopped;
        },
        onListed: (total) => progress.listed(skip.size + total),
        onRow: (row) => progress.add(row),
      });
      await progress.flush();
    } catch (error) {
      await progress.flush().catch(() => {});
      const message = error instanceof Error ? error.message : String(error);
      this.core.deps.log.error({ auditId: id, err: message, attempt }, 'org-wide audit failed');
      if (attempt < MAX_ATTEMPTS) return { retryAt: this.core.now() + RETRY_MS };
      // What was audited before it stopped is checked for drift too: a run that fails every time
      // would otherwise hide the drift it did see.
      if (run.scheduled) await this.drift.check(run);
      return this.finish(id, `the audit stopped: ${message}`);
    }
    // Stopped (shutdown): what was audited is stored; the next process goes on from there.
    if (stopped) return { retryAt: this.core.now() };
    // Drift is decided before the run closes: a crash in between checks again, alerting nothing twice.
    const posted = run.scheduled ? await this.drift.check(run) : true;
    return this.finish(id, undefined, posted);
  }

  /** `posted`: the summary is (to be) in Slack, so it is updated and gets the CSV; a quiet scheduled run gets neither. */
  private async finish(id: string, error?: string, posted = true): Promise<{ retryAt?: number }> {
    const run = await this.store.getOrgAudit(id);
    if (!run) return {};
    // A scheduled run that stopped is shown, summary first: drift detection is off until someone
    // fixes the cause, and otherwise only the log would say so.
    const failedQuietly = run.scheduled === true && error !== undefined && !(await this.summaryQueued(id));
    const notify: Delivery[] = failedQuietly ? [{ to: 'audit-post' }] : [];
    if (posted) notify.push({ to: 'audit-update' }, ...(run.done > 0 || !error ? [csvFile(run)] : []));
    const closed = await this.store.finishOrgAudit(id, this.core.now(), notify, error);
    if (run.scheduled) await this.drift.scheduleNext();
    this.core.deps.wakeOutbox?.();
    if (closed) {
      const summary = summarize(await this.store.orgAuditRows(id));
      const { reasons, ...counts } = summary;
      await this.core.audit(id, 'scheduler', 'org-wide audit finished', {
        ...counts,
        notAuditable: Object.fromEntries(reasons.map((r) => [r.kind, r.count])),
        ...(error ? { error } : {}),
      });
    }
    return {};
  }

  private async summaryQueued(id: string): Promise<boolean> {
    return (await this.store.listDeliveries(id)).some((d) => d.delivery.to === 'audit-post');
  }
}

/** Buffers rows and stores them in order, with a progress update at most every PROGRESS_EVERY_MS. */
class Progress {
  private buffer: OrgAuditRow[] = [];
  private chain: Promise<void> = Promise.resolve();
  private total: number | undefined;
  private lastFlush: number;
  private lastUpdate: number;
  private windows = new Map<string, string>();
  private windowsAt = 0;

  constructor(
    private readonly core: WorkflowCore,
    private readonly id: string,
    /** a scheduled run: no progress in Slack */
    private readonly quiet: boolean,
  ) {
    this.lastFlush = core.now();
    this.lastUpdate = core.now();
  }

  /** Accounts with an open break-glass window (executing, active or cleaning): their credentials are expected. */
  async refreshWindows(): Promise<void> {
    this.windows = await openWindows(this.core.deps.store);
    this.windowsAt = this.core.now();
  }

  listed(total: number): void {
    this.total = total;
    this.schedule();
  }

  add(row: AccountAuditRow): void {
    this.buffer.push(toOrgAuditRow(row, this.windows.get(row.account.id) ?? ''));
    if (this.buffer.length >= FLUSH_ROWS || this.core.now() - this.lastFlush >= FLUSH_EVERY_MS)
      this.schedule();
  }

  /** Stores what is buffered, after any store already under way. */
  flush(): Promise<void> {
    this.schedule();
    return this.chain;
  }

  private schedule(): void {
    this.lastFlush = this.core.now();
    this.chain = this.chain.then(() => this.write());
  }

  private async write(): Promise<void> {
    const rows = this.buffer.splice(0);
    const now = this.core.now();
    const update = !this.quiet && now - this.lastUpdate >= PROGRESS_EVERY_MS;
    if (!rows.length && !update && this.total === undefined) return;
    if (update) this.lastUpdate = now;
    const notify: Delivery[] = update ? [{ to: 'audit-update' }] : [];
    await this.core.deps.store.recordOrgAuditRows(
      this.id,
      rows,
      this.total !== undefined ? { total: this.total } : {},
      notify,
    );
    if (update) this.core.deps.wakeOutbox?.();
    if (now - this.windowsAt >= WINDOWS_EVERY_MS) await this.refreshWindows();
  }
}
