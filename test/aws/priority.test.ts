import { describe, expect, it } from 'vitest';
import { AdaptiveLimiter, PriorityGate } from '../../src/aws/priority.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Work that runs until released, counting how many run at once. */
function workload() {
  let running = 0;
  let peak = 0;
  const release: (() => void)[] = [];
  const work = () =>
    new Promise<void>((resolve) => {
      running += 1;
      peak = Math.max(peak, running);
      release.push(() => {
        running -= 1;
        resolve();
      });
    });
  return {
    work,
    get running() {
      return running;
    },
    get peak() {
      return peak;
    },
    releaseAll: () => {
      for (const r of release.splice(0)) r();
    },
  };
}

describe('AdaptiveLimiter (bulk work)', () => {
  it('runs at most `max` at once', async () => {
    const limiter = new AdaptiveLimiter({ max: 3 });
    const w = workload();
    const all = Promise.all(Array.from({ length: 10 }, () => limiter.run(w.work)));
    await tick();
    expect(w.running).toBe(3);
    while (w.running) {
      w.releaseAll();
      await tick();
    }
    await all;
    expect(w.peak).toBe(3);
  });

  it('halves on throttling once per cool-down, never below the minimum, and grows back one slot at a time', () => {
    let now = 10_000;
    const limiter = new AdaptiveLimiter({
      max: 12,
      min: 2,
      coolDownMs: 1000,
      growEveryMs: 500,
      now: () => now,
    });
    limiter.throttled();
    expect(limiter.limit).toBe(6);
    limiter.throttled(); // the same burst
    expect(limiter.limit).toBe(6);
    now += 1000;
    limiter.throttled();
    expect(limiter.limit).toBe(3);
    now += 1000;
    limiter.throttled();
    expect(limiter.limit).toBe(2);
    expect(limiter.stats).toMatchObject({ throttles: 4, halvings: 3 });
  });

  it('grows back slowly after throttling stops', async () => {
    let now = 0;
    const limiter = new AdaptiveLimiter({ max: 8, coolDownMs: 1000, growEveryMs: 500, now: () => now });
    now = 5_000;
    limiter.throttled();
    expect(limiter.limit).toBe(4);
    await limiter.run(async () => {});
    expect(limiter.limit).toBe(4); // no time has passed
    now += 500;
    await limiter.run(async () => {});
    expect(limiter.limit).toBe(5);
    now += 100;
    await limiter.run(async () => {});
    expect(limiter.limit).toBe(5);
  });

  it('shrinks to a quarter while priority work is in flight, and opens again when it ends', async () => {
    const gate = new PriorityGate();
    const limiter = new AdaptiveLimiter({ max: 12 }, gate);
    const bulk = workload();
    let releasePriority: () => void = () => {};
    const priority = gate.run(() => new Promise<void>((resolve) => (releasePriority = resolve)));
    expect(limiter.allowed).toBe(3);
    const all = Promise.all(Array.from({ length: 12 }, () => limiter.run(bulk.work)));
    await tick();
    expect(bulk.running).toBe(3);
    releasePriority();
    await priority;
    await tick();
    expect(bulk.running).toBe(12);
    bulk.releaseAll();
    await all;
  });
});
