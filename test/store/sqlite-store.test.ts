import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

function request(id: string, overrides: Partial<BreakglassRequest> = {}): BreakglassRequest {
  return {
    id,
    requesterId: 'U1',
    accountId: '200000000001',
    accountName: 'workload',
    task: 'password-recovery',
    durationSeconds: 3600,
    justification: 'incident',
    createdAt: 1_000,
    state: 'pending',
    approvals: [],
    contentHash: 'h',
    ...overrides,
  };
}

let file: string;
let store: SqliteStore;
beforeEach(() => {
  file = join(mkdtempSync(join(tmpdir(), 'bg-store-')), 'nested', 'breakglass.db');
  store = new SqliteStore(file);
});
afterEach(() => store.close());

describe('requests', () => {
  it('round-trips a request and bumps the version on update', async () => {
    await store.createRequest(request('BG-1'));
    const stored = await store.getRequest('BG-1');
    expect(stored?.version).toBe(1);
    expect(stored?.request.justification).toBe('incident');
    expect(await store.updateRequest('BG-1', 1, { ...request('BG-1'), state: 'denied' })).toBe(true);
    expect((await store.getRequest('BG-1'))?.version).toBe(2);
  });

  it('lets exactly one of two writers holding the same version win', async () => {
    await store.createRequest(request('BG-2'));
    const other = new SqliteStore(file);
    const a = store.updateRequest('BG-2', 1, { ...request('BG-2'), state: 'executing' });
    const b = other.updateRequest('BG-2', 1, { ...request('BG-2'), state: 'denied' });
    expect((await Promise.all([a, b])).sort()).toEqual([false, true]);
    await other.close();
  });

  it('filters by state and requester, newest first', async () => {
    await store.createRequest(request('BG-a', { createdAt: 1 }));
    await store.createRequest(request('BG-b', { createdAt: 2, requesterId: 'U2' }));
    await store.createRequest(request('BG-c', { createdAt: 3, state: 'active' }));
    expect((await store.listRequests({ states: ['pending'] })).map((r) => r.request.id)).toEqual([
      'BG-b',
      'BG-a',
    ]);
    expect((await store.listRequests({ requesterId: 'U1' })).map((r) => r.request.id)).toEqual([
      'BG-c',
      'BG-a',
    ]);
  });
});

describe('jobs', () => {
  it('claims a due job once, and again only after the lease lapses', async () => {
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
    expect(await store.claimDueJob('w1', 50, 1000)).toBeUndefined();
    const job = await store.claimDueJob('w1', 100, 1000);
    expect(job).toMatchObject({ requestId: 'BG-1', kind: 'cleanup', attempts: 1 });
    expect(await store.claimDueJob('w2', 200, 1000)).toBeUndefined();
    // The lease holds up to and including its last millisecond.
    expect(await store.claimDueJob('w2', 1100, 1000)).toBeUndefined();
    // w1 crashed: its lease ends at 1100, then another worker takes the job.
    expect(await store.claimDueJob('w2', 1101, 1000)).toMatchObject({ id: job?.id, attempts: 2 });
  });

  it('renews a claim only for the worker holding it', async () => {
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
    const job = await store.claimDueJob('w1', 100, 1000);
    expect(await store.renewClaim(job?.id ?? 0, 'w2', 5000)).toBe(false);
    expect(await store.renewClaim(job?.id ?? 0, 'w1', 5000)).toBe(true);
    expect(await store.claimDueJob('w2', 2000, 1000)).toBeUndefined();
    expect(await store.claimDueJob('w2', 5001, 1000)).toMatchObject({ id: job?.id });
  });

  it('hands a due job to exactly one of two processes on one database file', async () => {
    const other = new SqliteStore(file);
    const jobs = 20;
    const ids: number[] = [];
    for (let i = 0; i < jobs; i++) {
      await store.scheduleJob({ requestId: `BG-${i}`, kind: 'expire', dueAt: i });
      ids.push(...(await store.pendingJobs(`BG-${i}`)).map((j) => j.id));
    }
    const claimed: number[] = [];
    // Each worker makes at most one claim per job: if the lease did not hold, a job
    // claimed again fails the assertions below instead of looping forever.
    await Promise.all(
      [store, other, store, other].map(async (s, n) => {
        for (let i = 0; i < jobs; i++) {
          const job = await s.claimDueJob(`w${n}`, 100, 60_000);
          if (!job) return;
          claimed.push(job.id);
        }
      }),
    );
    expect([...claimed].sort((a, b) => a - b)).toEqual(ids);
    // Every job is now leased: nobody, in either process, gets one again before the lease ends.
    expect(await store.claimDueJob('w-late', 60_099, 60_000)).toBeUndefined();
    expect(await other.claimDueJob('w-late', 60_099, 60_000)).toBeUndefined();
    await other.close();
  });

  it('keeps one open job per request and kind, moving it when rescheduled', async () => {
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 500 });
    await store.scheduleJob({ requestId: 'BG-1', kind: 'remind', dueAt: 400 });
    expect((await store.pendingJobs('BG-1')).map((j) => [j.kind, j.dueAt])).toEqual([
      ['remind', 400],
      ['cleanup', 500],
    ]);
    await store.cancelJobs('BG-1', ['remind']);
    expect((await store.pendingJobs('BG-1')).map((j) => j.kind)).toEqual(['cleanup']);
  });

  it('runs a retried job at its new time', async () => {
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
    const job = await store.claimDueJob('w', 100, 60_000);
    await store.retryJob(job?.id ?? 0, 300);
    expect(await store.claimDueJob('w', 200, 60_000)).toBeUndefined();
    expect(await store.claimDueJob('w', 300, 60_000)).toMatchObject({ attempts: 2 });
  });
});

describe('audit trail and idempotency keys', () => {
  it('appends entries and refuses to change them', async () => {
    await store.appendAudit({
      at: 1,
      requestId: 'BG-1',
      actor: 'U1',
      action: 'requested',
      details: { task: 'x' },
    });
    await store.appendAudit({ at: 2, requestId: 'BG-1', actor: 'U2', action: 'approved' });
    expect((await store.listAudit('BG-1')).map((e) => e.action)).toEqual(['requested', 'approved']);
    const raw = new Database(file);
    expect(() => raw.prepare('UPDATE audit SET actor = ?').run('U9')).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    raw.close();
  });

  it('says true only the first time a key is seen', async () => {
    expect(await store.firstTime('action:123', 1)).toBe(true);
    expect(await store.firstTime('action:123', 2)).toBe(false);
  });
});

describe('more of the store', () => {
  it('filters by state and requester together, newest first, up to a limit', async () => {
    await store.createRequest(request('BG-a', { createdAt: 1 }));
    await store.createRequest(request('BG-b', { createdAt: 2, requesterId: 'U2' }));
    await store.createRequest(request('BG-c', { createdAt: 3, state: 'active' }));
    await store.createRequest(request('BG-d', { createdAt: 4, state: 'closed' }));
    const ids = async (filter: Parameters<SqliteStore['listRequests']>[0]) =>
      (await store.listRequests(filter)).map((r) => r.request.id);
    expect(await ids({ states: ['active', 'closed'] })).toEqual(['BG-d', 'BG-c']);
    expect(await ids({ states: ['pending', 'active'], requesterId: 'U1' })).toEqual(['BG-c', 'BG-a']);
    expect(await ids({ states: [] })).toEqual(['BG-d', 'BG-c', 'BG-b', 'BG-a']);
    expect(await ids({ limit: 2 })).toEqual(['BG-d', 'BG-c']);
  });

  it('shows where the request message lives once it is posted', async () => {
    await store.createRequest(request('BG-1'));
    expect(await store.getRequest('BG-1')).not.toHaveProperty('message');
    await store.setMessage('BG-1', { channel: 'C1', ts: '1.2' });
    expect((await store.getRequest('BG-1'))?.message).toEqual({ channel: 'C1', ts: '1.2' });
    expect((await store.listRequests({}))[0]?.message).toEqual({ channel: 'C1', ts: '1.2' });
    expect(await store.getRequest('BG-9')).toBeUndefined();
  });

  it('cancels every open job of a request when no kind is named', async () => {
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
    await store.scheduleJob({ requestId: 'BG-1', kind: 'remind', dueAt: 50 });
    await store.scheduleJob({ requestId: 'BG-2', kind: 'remind', dueAt: 50 });
    await store.cancelJobs('BG-1');
    expect(await store.pendingJobs('BG-1')).toEqual([]);
    expect(await store.pendingJobs('BG-2')).toHaveLength(1);
    await store.cancelJobs('BG-2', []);
    expect(await store.pendingJobs('BG-2')).toEqual([]);
  });

  it("does not let a worker whose claim lapsed move or finish another worker's job", async () => {
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
    const job = await store.claimDueJob('w1', 100, 1000);
    const id = job?.id ?? 0;
    // w1 stalled; w2 took the job over after the lease.
    expect(await store.claimDueJob('w2', 1101, 1000)).toMatchObject({ id });
    await store.retryJob(id, 9_999, 'w1');
    await store.completeJob(id, 'w1');
    expect(await store.renewClaim(id, 'w1', 50_000)).toBe(false);
    expect(await store.pendingJobs('BG-1')).toMatchObject([{ id, dueAt: 100 }]);
    expect(await store.claimDueJob('w3', 2000, 1000)).toBeUndefined();
    // w2 hands it back; without a worker named, anyone may move it.
    await store.retryJob(id, 5000, 'w2');
    expect(await store.claimDueJob('w3', 4999, 1000)).toBeUndefined();
    await store.retryJob(id, 3000);
    expect(await store.claimDueJob('w3', 3000, 1000)).toMatchObject({ id, attempts: 3 });
    await store.completeJob(id, 'w3');
    expect(await store.pendingJobs('BG-1')).toEqual([]);
    expect(await store.renewClaim(id, 'w3', 50_000)).toBe(false);
  });

  it('lists the whole audit trail newest first, entries without a request included', async () => {
    await store.appendAudit({ at: 1, requestId: 'BG-1', actor: 'U1', action: 'requested' });
    await store.appendAudit({ at: 2, actor: 'cli', action: 'audited', details: { accounts: 3 } });
    await store.appendAudit({ at: 3, requestId: 'BG-2', actor: 'U2', action: 'requested' });
    expect(await store.listAudit(undefined, 2)).toEqual([
      { at: 3, requestId: 'BG-2', actor: 'U2', action: 'requested' },
      { at: 2, actor: 'cli', action: 'audited', details: { accounts: 3 } },
    ]);
    expect(await store.listAudit('BG-1')).toEqual([
      { at: 1, requestId: 'BG-1', actor: 'U1', action: 'requested' },
    ]);
  });

  it('works in memory, and refuses to work once closed', async () => {
    const memory = new SqliteStore(':memory:');
    await memory.createRequest(request('BG-1'));
    expect((await memory.getRequest('BG-1'))?.version).toBe(1);
    await memory.close();
    await expect(memory.getRequest('BG-1')).rejects.toThrow(/not open/);
  });
});
