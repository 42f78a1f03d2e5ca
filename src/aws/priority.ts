/**
 * Root work first. Grants, cleanups and audits asked for in Slack share AWS's
 * rate limits with org-wide audits; bulk work must never delay them. Two
 * budgets: priority work runs as before (the scheduler's and the listeners'
 * own limits) and is only counted here; bulk work runs through an adaptive
 * limiter that halves its concurrency when AWS throttles it (at most once per
 * cool-down), grows back by one slot at a time while AWS stops throttling, and
 * shrinks to a quarter while any priority work is in flight. So under
 * throttling, bulk backs off first and leaves AWS's budget to root work.
 */

export interface AdaptiveLimiterOptions {
  /** the most bulk work in flight (the audit's usual concurrency) */
  max: number;
  /** never fewer than this in flight */
  min?: number;
  /** after a halving, throttles within this long do not halve again (they come from the same burst) */
  coolDownMs?: number;
  /** without a throttle for this long, one more slot */
  growEveryMs?: number;
  now?: () => number;
}

export class PriorityGate {
  private inFlight = 0;
  private readonly waiting = new Set<() => void>();

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Runs priority work, counted while it runs so that bulk work shrinks meanwhile. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const wake of this.waiting) wake();
    }
  }

  /** Called back when no priority work is left in flight. */
  onIdle(wake: () => void): () => void {
    this.waiting.add(wake);
    return () => this.waiting.delete(wake);
  }
}

/** Bulk work's budget: additive increase, multiplicative decrease on throttling, priority first. */
export class AdaptiveLimiter {
  /** the current concurrency (before the priority cap) */
  limit: number;
  /** throttles seen, and halvings made (metrics, tests) */
  readonly stats = { throttles: 0, halvings: 0, peak: 0 };
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private lastChange = 0;
  private readonly now: () => number;

  constructor(
    private readonly options: AdaptiveLimiterOptions,
    private readonly gate?: PriorityGate,
  ) {
    this.limit = options.max;
    this.now = options.now ?? Date.now;
    gate?.onIdle(() => this.pump());
  }

  /** How many may run now: a quarter (at least the minimum) while priority work is in flight. */
  get allowed(): number {
    const min = this.options.min ?? 1;
    return this.gate?.busy ? Math.max(min, Math.floor(this.limit / 4)) : this.limit;
  }

  /** AWS throttled a bulk call: halve, unless a halving was made within the cool-down. */
  throttled(): void {
    this.stats.throttles += 1;
    const now = this.now();
    if (now - this.lastChange < (this.options.coolDownMs ?? 1_000)) return;
    const next = Math.max(this.options.min ?? 1, Math.floor(this.limit / 2));
    if (next < this.limit) this.stats.halvings += 1;
    this.limit = next;
    this.lastChange = now;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    // A waiter is woken with its slot already counted (see pump).
    if (this.active < this.allowed && this.queue.length === 0) this.active += 1;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    this.stats.peak = Math.max(this.stats.peak, this.active);
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.grow();
      this.pump();
    }
  }

  private grow(): void {
    const now = this.now();
    if (this.limit < this.options.max && now - this.lastChange >= (this.options.growEveryMs ?? 500)) {
      this.limit += 1;
      this.lastChange = now;
    }
  }

  private pump(): void {
    while (this.queue.length && this.active < this.allowed) {
      this.active += 1;
      this.queue.shift()?.();
    }
  }
}
