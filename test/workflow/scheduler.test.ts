import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../../src/log.js';
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

  it('runs bulk jobs in their own slots: with every one busy, a window that ends is cleaned up at once', async () => {
    // Three bulk hardenings and an org-wide audit, each running for long (a slow AWS).
    for (let i = 0; i < 3; i++)
      await store.scheduleJob({ requestId: `BH-${i}`, kind: 'harden-run', dueAt: clock.now - 10 });
    await store.scheduleJob({ requestId: 'OA-1', kind: 'org-audit', dueAt: clock.now - 10 });
    let release = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const started: string[] = [];
    const s = new Scheduler(
      store,
      async (job) => {
        started.push(job.kind);
        if (job.kind !== 'cleanup') await slow;
        return {};
      },
      { tickMs: 50, log: silentLogger, now: () => clock.now },
    );
    s.start();
    try {
      await vi.waitFor(() => expect(started.length).toBeGreaterThan(0));
      await new Promise((r) => setTimeout(r, 100));
      // A window ends: its cleanup runs within a tick, though bulk work fills the bulk slots.
      await store.scheduleJob({ requestId: 'BG-window', kind: 'cleanup', dueAt: clock.now });
      await vi.waitFor(() => expect(started).toContain('cleanup'), { timeout: 200, interval: 10 });
      // Bulk jobs never take every slot of the process: at most its bulk budget runs at once.
      expect(started.filter((k) => k !== 'cleanup').length).toBeLessThan(4);
    } finally {
      release();
      await s.stop();
    }
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

describe('Scheduler claims and logs', () => {
  it('renews the claim of a long job every 20 s, so no other process takes it', async () => {
    vi.useFakeTimers({
      now: 0,
      toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'],
    });
    try {
      await store.scheduleJob({ requestId: 'BG-long', kind: 'cleanup', dueAt: clock.now });
      let finish = () => {};
      const s = scheduler(() => new Promise((resolve) => (finish = () => resolve({}))));
      expect(s.workerId).toMatch(/^worker-[0-9a-f]{8}$/);
      s.start();
      await vi.advanceTimersByTimeAsync(0);
      // The job runs on; the clock passes the first lease (60 s), renewed at 20 s, 40 s, 60 s.
      for (let i = 0; i < 3; i++) {
        clock.now += 20_000;
        await vi.advanceTimersByTimeAsync(20_000);
      }
      expect(await store.claimDueJob('other', clock.now + 1, 60_000)).toBeUndefined();
      expect(await store.claimDueJob('other', clock.now + 60_001, 60_000)).toMatchObject({
        requestId: 'BG-long',
      });
      finish();
      await s.stop();
      // The heartbeat ends with the job.
      const renewals = vi.spyOn(store, 'renewClaim');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(renewals).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
      clock.now = 1_000_000;
    }
  });

  it('is healthy while it polled within three ticks and a second', async () => {
    vi.useFakeTimers({ now: 5_000_000, toFake: ['Date'] });
    try {
      const s = scheduler(async () => ({}));
      await s.drain();
      expect(s.healthy(5_000_000 + 3 * 60_000 + 1000)).toBe(true);
      expect(s.healthy(5_000_000 + 3 * 60_000 + 1001)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is unhealthy when either loop stalls, though the other keeps polling', async () => {
    // The bulk loop's claim never returns (a stuck store call); the urgent loop goes on polling.
    const claim = store.claimDueJob.bind(store);
    const calls: (readonly string[] | undefined)[] = [];
    const stuck = vi.spyOn(store, 'claimDueJob').mockImplementation((worker, now, lease, kinds) => {
      calls.push(kinds);
      return kinds?.includes('org-audit') ? new Promise(() => {}) : claim(worker, now, lease, kinds);
    });
    const s = new Scheduler(store, async () => ({}), { tickMs: 20, log: silentLogger, now: () => clock.now });
    try {
      s.start();
      await sleep(50);
      expect(s.healthy()).toBe(true);
      // Past three ticks and a second since the bulk loop's one try.
      await sleep(3 * 20 + 1_000 + 100);
      const urgentPolls = calls.filter((kinds) => !kinds?.includes('org-audit')).length;
      expect(urgentPolls).toBeGreaterThan(3);
      expect(s.healthy()).toBe(false);
    } finally {
      stuck.mockRestore();
      void s.stop();
    }
  });

  it('waits for the running job when stopping, and claims nothing after', async () => {
    for (let i = 0; i < 2; i++)
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
    // Stopping waited for BG-0, which is done; BG-1 was never claimed.
    expect(await store.pendingJobs('BG-0')).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect(ran).toEqual(['BG-0']);
  });

  it('logs a failed job with its id, kind and request, and one it could not reschedule', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    class StuckStore extends SqliteStore {
      override async retryJob(): Promise<void> {
        throw new Error('disk I/O error');
      }
    }
    const stuck = new StuckStore(join(mkdtempSync(join(tmpdir(), 'bg-stuck-')), 'db.sqlite'));
    await stuck.scheduleJob({ requestId: 'BG-1', kind: 'remind', dueAt: clock.now });
    const s = new Scheduler(
      stuck,
      async () => {
        throw new Error('Slack is down');
      },
      { tickMs: 60_000, log: createLogger({ level: 'debug' }, sink), now: () => clock.now },
    );
    await s.drain();
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        level: 50,
        kind: 'remind',
        requestId: 'BG-1',
        attempt: 1,
        err: 'Slack is down',
        msg: 'job failed; will retry',
      }),
      expect.objectContaining({
        level: 50,
        err: 'disk I/O error',
        msg: 'could not reschedule the failed job',
      }),
    ]);
    expect(JSON.parse(lines[0] ?? '{}').jobId).toEqual(expect.any(String));
    await stuck.close();
  });
});

describe('Scheduler wake-ups', () => {
  it('logs a failed claim under its name, and runs a job at once when woken', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const busy = new BusyStore(join(mkdtempSync(join(tmpdir(), 'bg-wake-')), 'db.sqlite'));
    busy.busyClaims = 1;
    const ran: string[] = [];
    const s = new Scheduler(
      busy,
      async (job) => {
        ran.push(job.requestId);
        return {};
      },
      { tickMs: 60_000, log: createLogger({ level: 'debug' }, sink), now: () => clock.now },
    );
    s.start();
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ loop: 'scheduler', err: 'database is locked' });
    // The next tick is two minutes away (one failed poll doubles it); a new job due now does not wait for it.
    await busy.scheduleJob({ requestId: 'BG-now', kind: 'execute', dueAt: clock.now });
    s.wake();
    await vi.waitFor(() => expect(ran).toEqual(['BG-now']));
    await s.stop();
    await busy.close();
  });
});
