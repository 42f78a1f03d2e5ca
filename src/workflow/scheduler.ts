/**
 * Polls the store for due jobs and runs them. Claims are leased, so with two
 * processes on one database each job runs once, and a job claimed by a process
 * that died runs again when the lease lapses. Overdue jobs run on the first tick.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Job, Store } from '../store/store.js';

/**
 * A claim lasts a minute and is renewed every 20 s while its job runs, so a job
 * whose process was killed runs again within about a minute.
 */
const LEASE_MS = 60_000;
const RENEW_EVERY_MS = LEASE_MS / 3;
const FAILED_JOB_RETRY_MS = 30_000;
const DEFAULT_CONCURRENCY = 4;

export class Scheduler {
  readonly workerId = `worker-${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly run: (job: Job) => Promise<{ retryAt?: number }>,
    private readonly options: { tickMs: number; log: Logger; now?: () => number; concurrency?: number },
  ) {}

  start(): void {
    this.stopped = false;
    this.stopping = false;
    this.wake();
  }

  /** Run due jobs now instead of at the next tick (a job was scheduled for now). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.wake();
      } else {
        this.timer = setTimeout(() => this.wake(), this.options.tickMs);
      }
    });
  }

  /** Stop claiming new jobs and wait for the ones running (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Runs every job due now, `concurrency` at a time, so that one slow AWS call
   * (a cleanup retrying under throttling) does not hold up the others; resolves
   * when none is left.
   */
  async drain(): Promise<void> {
    const workers = Array.from({ length: this.options.concurrency ?? DEFAULT_CONCURRENCY }, () =>
      this.work(),
    );
    await Promise.all(workers);
  }

  private async work(): Promise<void> {
    const now = this.options.now ?? Date.now;
    for (
      let job = await this.store.claimDueJob(this.workerId, now(), LEASE_MS);
      job;
      job = await this.store.claimDueJob(this.workerId, now(), LEASE_MS)
    ) {
      if (this.stopping) {
        // Shutting down: hand the claimed job back so another process (or the restart) runs it.
        await this.store.retryJob(job.id, job.dueAt);
        break;
      }
      await this.runOne(job, now);
    }
  }

  private async runOne(job: Job, now: () => number): Promise<void> {
    const log = this.options.log.child({
      jobId: job.id,
      kind: job.kind,
      requestId: job.requestId,
      attempt: job.attempts,
    });
    const heartbeat = setInterval(() => {
      this.store.renewClaim(job.id, this.workerId, now() + LEASE_MS).catch(() => {});
    }, RENEW_EVERY_MS);
    try {
      const { retryAt } = await this.run(job);
      if (retryAt === undefined) await this.store.completeJob(job.id);
      else await this.store.retryJob(job.id, retryAt);
    } catch (error) {
      // A bug or an outage (Slack down): keep the job and try again later; never lose it.
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'job failed; will retry');
      await this.store.retryJob(job.id, now() + FAILED_JOB_RETRY_MS);
    } finally {
      clearInterval(heartbeat);
    }
  }
}
