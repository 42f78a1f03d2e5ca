/**
 * A polling loop over leased work (scheduled jobs, outbox notices): each tick it
 * claims items while it has free slots and runs them without waiting for them,
 * so the loop keeps polling, and keeps its heartbeat, however long an item runs.
 * A failed claim (SQLITE_BUSY, a store outage) is logged and retried on the next
 * tick, with back-off; it never escapes as an unhandled rejection.
 */
import type { Logger } from '../log.js';

export interface WorkLoopSpec<T> {
  /** for logs */
  name: string;
  tickMs: number;
  concurrency: number;
  log: Logger;
  /** claims one due item, or nothing */
  claim(): Promise<T | undefined>;
  /** runs one claimed item; a throw is logged, the item's lease then lapses and it runs again */
  run(item: T): Promise<void>;
}

/** Consecutive failed polls stretch the tick up to this many times. */
const MAX_BACKOFF_TICKS = 8;

export class WorkLoop<T> {
  /** wall-clock time of the last claim attempt: the liveness heartbeat */
  lastPollAt = 0;
  /** items claimed so far */
  claimed = 0;
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private stopping = false;
  private failedPolls = 0;

  constructor(private readonly spec: WorkLoopSpec<T>) {}

  get active(): number {
    return this.running.size;
  }

  start(): void {
    this.stopped = false;
    this.stopping = false;
    this.wake();
  }

  /** Poll now instead of at the next tick (work was added for now, or a slot came free). */
  wake(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.polling = this.fill().finally(() => {
      this.polling = undefined;
      // Stryker disable next-line ConditionalExpression: a stopped loop would only arm one more timer, whose wake() returns at once
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.wake();
        return;
      }
      const backoff = Math.min(2 ** this.failedPolls, MAX_BACKOFF_TICKS);
      this.timer = setTimeout(() => this.wake(), this.spec.tickMs * backoff);
    });
  }

  /** Stops claiming and waits for the items running (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    clearTimeout(this.timer);
    await this.polling;
    await Promise.all([...this.running]);
  }

  /** Runs everything due now until nothing is left (tests, and the bench's fake clock). */
  async drain(): Promise<void> {
    for (;;) {
      await this.fill();
      if (this.running.size === 0) return;
      await Promise.race(this.running);
    }
  }

  /** Claims while there are free slots; returns when none is free or nothing is due. */
  private async fill(): Promise<void> {
    this.lastPollAt = Date.now();
    try {
      while (!this.stopping && this.running.size < this.spec.concurrency) {
        const item = await this.spec.claim();
        if (item === undefined) break;
        this.claimed += 1;
        const run: Promise<void> = this.runSafely(item).finally(() => {
          this.running.delete(run);
          this.wake();
        });
        this.running.add(run);
      }
      this.failedPolls = 0;
    } catch (error) {
      this.failedPolls += 1;
      this.spec.log.error(
        { err: errorText(error), loop: this.spec.name, failedPolls: this.failedPolls },
        'could not claim work; retrying',
      );
    }
  }

  private async runSafely(item: T): Promise<void> {
    try {
      await this.spec.run(item);
    } catch (error) {
      this.spec.log.error({ err: errorText(error), loop: this.spec.name }, 'work item failed');
    }
  }
}

/** A worker built on a WorkLoop (the scheduler, the outbox): start, wake, stop and drain go to its loop. */
export abstract class LoopWorker<T> {
  protected abstract readonly loop: WorkLoop<T>;

  start(): void {
    this.loop.start();
  }

  /** Poll now instead of at the next tick (work was added for now). */
  wake(): void {
    this.loop.wake();
  }

  /** Stops claiming and waits for the items running (graceful shutdown). */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Runs everything due now until nothing is left (tests, and the bench's fake clock). */
  drain(): Promise<void> {
    return this.loop.drain();
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
