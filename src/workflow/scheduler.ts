/**
 * Polls the store for due jobs and runs them. Claims are leased, so with two
 * processes on one database each job runs once, and a job claimed by a process
 * that died runs again when the lease lapses. Overdue jobs run on the first tick.
 * Jobs do AWS work and store writes only: Slack notices go through the outbox.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Job, Store } from '../store/store.js';
import { errorText, LoopWorker, WorkLoop } from './work-loop.js';

/**
 * By default a claim lasts a minute and is renewed every 20 s while its job runs,
 * so a job whose process was killed runs again within about a minute.
 */
const DEFAULT_LEASE_MS = 60_000;
const FAILED_JOB_RETRY_MS = 30_000;
const DEFAULT_CONCURRENCY = 4;
/** The loop counts as stalled after this many ticks without a claim attempt. */
export const STALLED_AFTER_TICKS = 3;

export class Scheduler extends LoopWorker<{ job: Job; token: string }> {
  readonly workerId = `worker-${randomUUID().slice(0, 8)}`;
  protected readonly loop: WorkLoop<{ job: Job; token: string }>;
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
      concurrency?: number;
      leaseMs?: number;
    },
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.loop = new WorkLoop({
      name: 'scheduler',
      tickMs: options.tickMs,
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      log: options.log,
      claim: async () => {
        // A token per claim, not per process: if the job is rescheduled while it runs and
        // claimed again by another slot here, the first run can no longer complete it.
        const token = `${this.workerId}:${++this.claims}`;
        const job = await this.store.claimDueJob(token, this.now(), this.leaseMs);
        return job && { job, token };
      },
      run: ({ job, token }) => this.runOne(job, token),
    });
  }

  /** Stops claiming; running jobs finish, and a long one (an org-wide audit) stops between steps to resume later. */
  override async stop(): Promise<void> {
    this.stopping.abort();
    await super.stop();
  }

  override start(): void {
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    super.start();
  }

  /** False when the loop has not tried to claim a job for STALLED_AFTER_TICKS ticks. */
  healthy(wallNow = Date.now()): boolean {
    return wallNow - this.loop.lastPollAt <= this.options.tickMs * STALLED_AFTER_TICKS + 1000;
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
