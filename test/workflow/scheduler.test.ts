import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Job } from '../../src/store/store.js';
import { Scheduler, STALLED_AFTER_TICKS } from '../../src/workflow/scheduler.js';

let store: SqliteStore;
const clock = { now: 1_000_000 };
beforeEach(() => {
  store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bg-sched-')), 'db.sqlite'));
});
afterEach(() => store.close());

function scheduler(run: (job: Job) => Promise<{ retryAt?: number }>, concurrency = 4): Scheduler {
  return new Scheduler(store, run, { tickMs: 60_000, log: silentLogger, now: () => clock.now, concurrency });
}

describe('Scheduler', () => {
  it('runs due jobs once, several at a time, and completes them', async () => {
    for (let i = 0; i < 8; i++)
      await store.scheduleJob({ requestId: `BG-${i}`, kind: 'cleanup', dueAt: clock.now });
    await store.scheduleJob({ requestId: 'BG-later', kind: 'cleanup', dueAt: clock.now + 1000 });
    let running = 0;
    let peak = 0;
    const ran: string[] = [];
    await scheduler(async (job) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running -= 1;
      ran.push(job.requestId);
      return {};
    }).drain();
    expect(ran.sort()).toEqual(['BG-0', 'BG-1', 'BG-2', 'BG-3', 'BG-4', 'BG-5', 'BG-6', 'BG-7']);
    expect(peak).toBe(4);
    expect(await store.pendingJobs('BG-0')).toEqual([]);
    expect((await store.pendingJobs('BG-later')).map((j) => j.kind)).toEqual(['cleanup']);
  });

  it('keeps a job that asks to run again, and one that throws', async () => {
    await store.scheduleJob({ requestId: 'BG-retry', kind: 'cleanup', dueAt: clock.now });
    await store.scheduleJob({ requestId: 'BG-boom', kind: 'remind', dueAt: clock.now });
    await scheduler(async (job) => {
      if (job.requestId === 'BG-boom') throw new Error('Slack is down');
      return { retryAt: clock.now + 500 };
    }).drain();
    expect((await store.pendingJobs('BG-retry'))[0]?.dueAt).toBe(clock.now + 500);
    expect((await store.pendingJobs('BG-boom'))[0]?.dueAt).toBe(clock.now + 30_000);
  });

  it('hands claimed jobs back when stopping, so the next process runs them', async () => {
    for (let i = 0; i < 3; i++)
      await store.scheduleJob({ requestId: `BG-${i}`, kind: 'cleanup', dueAt: clock.now });
    const ran: string[] = [];
    const s = scheduler(async (job) => {
      ran.push(job.requestId);
      await new Promise((r) => setTimeout(r, 50));
      return {};
    }, 1);
    s.start();
    await new Promise((r) => setTimeout(r, 10));
    await s.stop();
    expect(ran).toEqual(['BG-0']);
    // The handed-back job is claimable right away by another worker.
    const next = await store.claimDueJob('other', clock.now, 60_000);
    expect(next?.requestId).toBe('BG-1');
  });
});

/** A store whose job claims fail like a locked SQLite database, a given number of times. */
class BusyStore extends SqliteStore {
  busyClaims = 0;
  override async claimDueJob(workerId: string, now: number, leaseMs: number) {
    if (this.busyClaims > 0) {
      this.busyClaims -= 1;
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    }
    return super.claimDueJob(workerId, now, leaseMs);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Scheduler resilience', () => {
  it('survives SQLITE_BUSY on claims, backs off, and still runs the job', async () => {
    const busy = new BusyStore(join(mkdtempSync(join(tmpdir(), 'bg-busy-')), 'db.sqlite'));
    busy.busyClaims = 3;
    await busy.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: clock.now });
    const ran: string[] = [];
    const s = new Scheduler(
      busy,
      async (job) => {
        ran.push(job.requestId);
        return {};
      },
      {
        tickMs: 5,
        log: silentLogger,
        now: () => clock.now,
      },
    );
    s.start();
    for (let i = 0; i < 100 && ran.length === 0; i++) await sleep(10);
    await s.stop();
    expect(busy.busyClaims).toBe(0);
    expect(ran).toEqual(['BG-1']);
    expect(await busy.pendingJobs('BG-1')).toEqual([]);
    await busy.close();
  });

  it('keeps its heartbeat while a long job holds every slot, and reports a stall once stopped', async () => {
    await store.scheduleJob({ requestId: 'BG-long', kind: 'cleanup', dueAt: clock.now });
    const s = new Scheduler(
      store,
      async () => {
        await sleep(300);
        return {};
      },
      {
        tickMs: 20,
        log: silentLogger,
        now: () => clock.now,
        concurrency: 1,
      },
    );
    s.start();
    await sleep(200);
    // The only slot is busy, yet the loop kept polling.
    expect(s.healthy()).toBe(true);
    await s.stop();
    expect(s.healthy(Date.now() + 20 * STALLED_AFTER_TICKS + 1_001)).toBe(false);
  });
});
