/**
 * Polls the store for due jobs and runs them. Claims are leased, so with two
 * processes on one database each job runs once, and a job claimed by a process
 * that died runs again when the lease lapses. Overdue jobs run on the first tick.
 * Jobs do AWS work and store writes only: Slack notices go through the outbox.
 *
 * Two loops, each with its own slots: bulk jobs (org-wide audits, bulk
 * hardenings: minutes long) never take the slots of the jobs that close windows
 * and answer people, so a window that ends is cleaned up within a tick however
 * much bulk work runs.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import { BULK_JOB_KINDS, type Job, type JobKind, type Store, URGENT_JOB_KINDS } from '../store/store.js';
import { errorText, WorkLoop } from './work-loop.js';

/**
 * By default a claim lasts a minute and is renewed every 20 s while its job runs,
 * so a job whose process was killed runs again within about a minute.
 */
const DEFAULT_LEASE_MS = 60_000;
const FAILED_JOB_RETRY_MS = 30_000;
const DEFAULT_CONCURRENCY = 4;
/** Bulk jobs at once per process (each has its own AWS budget, the bulk lane's limiter). */
const DEFAULT_BULK_CONCURRENCY = 2;
/** The loop counts as stalled after this many ticks without a claim attempt. */
export const STALLED_AFTER_TICKS = 3;

type Claimed = { job: Job; token: string };

export class Scheduler {
  readonly workerId = `worker-${randomUUID().slice(0, 8)}`;
  /** every kind but the bulk ones */
  private readonly loop: WorkLoop<Claimed>;
  /** org-wide audits and bulk hardenings, in slots of their own */
  private readonly bulk: WorkLoop<Claimed>;
  private claims = 0;
  /** aborted on stop: a long job (an org-wide audit) stops between steps and is resumed later */
  private stopping = new AbortController();
  private readonly now: () => number;
  private readonly leaseMs: number;

  constructor(
    private readonly store: Store,
    private readonly run: (job: Job, signal: AbortSignal) => Promise<{ retryAt?: number }>,
    private readonly options: {
      tickMs: number;
      log: Logger;
      now?: () => number;
      /** jobs at once of every kind but the bulk ones */
      concurrency?: number;
      /** bulk jobs at once (BULK_JOB_KINDS) */
      bulkConcurrency?: number;
      leaseMs?: number;
    },
  ) {
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.loop = this.lane('scheduler', options.concurrency ?? DEFAULT_CONCURRENCY, URGENT_JOB_KINDS);
    this.bulk = this.lane(
      'scheduler-bulk',
      options.bulkConcurrency ?? DEFAULT_BULK_CONCURRENCY,
      BULK_JOB_KINDS,
    );
  }

  private lane(name: string, concurrency: number, kinds: readonly JobKind[]): WorkLoop<Claimed> {
    return new WorkLoop({
      name,
      tickMs: this.options.tickMs,
      concurrency,
      log: this.options.log,
      claim: async () => {
        // A token per claim, not per process: if the job is rescheduled while it runs and
        // claimed again by another slot here, the first run can no longer complete it.
        const token = `${this.workerId}:${++this.claims}`;
        const job = await this.store.claimDueJob(token, this.now(), this.leaseMs, kinds);
        return job && { job, token };
      },
      run: ({ job, token }) => this.runOne(job, token),
    });
  }

  start(): void {
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.loop.start();
    this.bulk.start();
  }

  /** Poll now instead of at the next tick (work was added for now). */
  wake(): void {
    this.loop.wake();
    this.bulk.wake();
  }

  /** Stops claiming; running jobs finish, and a long one (an org-wide audit) stops between steps to resume later. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([this.loop.stop(), this.bulk.stop()]);
  }

  /** Runs everything due now until nothing is left (tests, and the bench's fake clock). */
  async drain(): Promise<void> {
    // Again while either ran something: a job of one loop may have scheduled one for the other.
    for (;;) {
      const before = this.loop.claimed + this.bulk.claimed;
      await Promise.all([this.loop.drain(), this.bulk.drain()]);
      if (this.loop.claimed + this.bulk.claimed === before) return;
    }
  }

  /** False when either loop has not tried to claim a job for STALLED_AFTER_TICKS ticks. */
  healthy(wallNow = Date.now()): boolean {
    const lastPollAt = Math.min(this.loop.lastPollAt, this.bulk.lastPollAt);
    return wallNow - lastPollAt <= this.options.tickMs * STALLED_AFTER_TICKS + 1000;
  }

  private async runOne(job: Job, token: string): Promise<void> {
    const log = this.options.log.child({
      jobId: job.id,
      kind: job.kind,
      requestId: job.requestId,
      attempt: job.attempts,
    });
    const heartbeat = setInterval(() => {
      this.store.renewClaim(job.id, token, this.now() + this.leaseMs).catch(() => {});
    }, this.leaseMs / 3);
    try {
      const { retryAt } = await this.run(job, this.stopping.signal);
      if (retryAt === undefined) await this.store.completeJob(job.id, token);
      else await this.store.retryJob(job.id, retryAt, token);
    } catch (error) {
      // A bug or a store error: keep the job and try again later; never lose it.
      log.error({ err: errorText(error) }, 'job failed; will retry');
      await this.store
        .retryJob(job.id, this.now() + FAILED_JOB_RETRY_MS, token)
        .catch((storeError: unknown) => {
          // The lease lapses and the job runs again anyway.
          log.error({ err: errorText(storeError) }, 'could not reschedule the failed job');
        });
    } finally {
      clearInterval(heartbeat);
    }
  }
}
