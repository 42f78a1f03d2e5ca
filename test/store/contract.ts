/**
 * The behaviour every store must have, run against each backend
 * (sqlite-store.test.ts, dynamodb-store.test.ts). "Two instances" are two
 * store objects on the same data, as two processes or replicas would hold:
 * the concurrency cases race them. Every loop here is bounded, so a broken
 * lease or condition fails a test instead of hanging it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriftRecord } from '../../src/domain/drift.js';
import type { HardenAccount, Hardening } from '../../src/domain/harden.js';
import { CHANNEL_TARGET, type Delivery, type Notice } from '../../src/domain/notice.js';
import type { OrgAuditRow, OrgAuditRun } from '../../src/domain/org-audit.js';
import { BULK_JOB_KINDS, type JobKind, type Store, URGENT_JOB_KINDS } from '../../src/store/store.js';
import { hardeningFixture, requestFixture as request } from '../support/fixtures.js';

export interface StoreHarness {
  /** the store under test, on fresh, empty data */
  store: Store;
  /** another instance on the same data (another process, another replica) */
  another(): Promise<Store>;
  close(): Promise<void>;
}

const LEASE = 30_000;
/** More than any test here claims: a claim loop that reaches it is claiming something twice. */
const MAX_CLAIMS = 100;
const nudge = (id: string): Notice => ({ kind: 'nudge', request: request(id) });
const auditRun = (id: string, at = 1_000): OrgAuditRun => ({
  id,
  requestedBy: 'U1',
  startedAt: at,
  state: 'running',
  done: 0,
});
const auditRow = (accountId: string, status: OrgAuditRow['status'] = 'clean'): OrgAuditRow => ({
  accountId,
  name: `n-${accountId}`,
  status,
  password: status === 'error' ? '' : 'no',
  accessKeys: '',
  signingCertificates: '',
  mfaDevices: '',
  errorKind: status === 'error' ? 'blocked-by-scp' : '',
  detail: '',
  openWindow: '',
});

export function describeStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`${name} store contract`, () => {
    let h: StoreHarness;
    let store: Store;
    const others: Store[] = [];
    const another = async () => {
      const s = await h.another();
      others.push(s);
      return s;
    };
    beforeEach(async () => {
      h = await makeHarness();
      store = h.store;
    });
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close();
      await h.close();
    });

    /** Claims jobs until none is left or MAX_CLAIMS is reached. */
    async function claimAll(s: Store, worker: string, now: number, lease = 60_000): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < MAX_CLAIMS; i++) {
        const job = await s.claimDueJob(worker, now, lease);
        if (!job) break;
        ids.push(job.id);
      }
      return ids;
    }

    describe('requests', () => {
      it('round-trips a request and bumps the version on update', async () => {
        await store.createRequest(request('BG-1'));
        const stored = await store.getRequest('BG-1');
        expect(stored?.version).toBe(1);
        expect(stored?.request).toEqual(request('BG-1'));
        expect(await store.updateRequest('BG-1', 1, { ...request('BG-1'), state: 'denied' })).toBe(true);
        expect(await store.getRequest('BG-1')).toMatchObject({ version: 2, request: { state: 'denied' } });
        expect(await store.getRequest('BG-none')).toBeUndefined();
      });

      it('keeps the approver rule that routed a request, and reads one stored before routing without it', async () => {
        // The request is one JSON document in both stores: a new optional field needs no migration.
        const route = {
          rule: 'production',
          matched: { kind: 'ou' as const, id: 'ou-ab12-prod1234' },
          approvers: ['UPROD00001', 'SPROD00001'],
          durationsSeconds: [900, 1800],
        };
        await store.createRequest(request('BG-routed', { route }));
        await store.createRequest(request('BG-legacy'));
        expect((await store.getRequest('BG-routed'))?.request.route).toEqual(route);
        const legacy = await store.getRequest('BG-legacy');
        expect(legacy?.request).toEqual(request('BG-legacy'));
        expect(legacy && 'route' in legacy.request).toBe(false);
        // Every later write keeps it, and listings return it.
        const approved = { ...request('BG-routed', { route }), state: 'executing' as const };
        expect(await store.updateRequest('BG-routed', 1, approved)).toBe(true);
        expect((await store.getRequest('BG-routed'))?.request.route).toEqual(route);
        const listed = await store.listRequests({ states: ['executing'] });
        expect(listed.map((s) => s.request.route)).toEqual([route]);
      });

      it('lists every request in a state when asked for all, past one page', async () => {
        await Promise.all(
          Array.from({ length: 520 }, (_, i) =>
            store.createRequest(request(`BG-${i}`, { state: 'active', createdAt: 1_000 + i })),
          ),
        );
        const all = await store.listRequests({ states: ['active'], limit: Number.MAX_SAFE_INTEGER });
        expect(new Set(all.map((s) => s.request.id)).size).toBe(520);
        expect(await store.listRequests({ states: ['active'], limit: 3 })).toHaveLength(3);
      }, 30_000);

      it('refuses a second request with the same id', async () => {
        await store.createRequest(request('BG-1'));
        await expect(store.createRequest(request('BG-1', { justification: 'again' }))).rejects.toThrow();
        expect((await store.getRequest('BG-1'))?.request.justification).toBe('incident');
      });

      it('refuses an update naming a stale version, and one of a request that does not exist', async () => {
        await store.createRequest(request('BG-1'));
        expect(await store.updateRequest('BG-1', 2, { ...request('BG-1'), state: 'denied' })).toBe(false);
        expect(await store.updateRequest('BG-none', 1, request('BG-none'))).toBe(false);
        expect((await store.getRequest('BG-1'))?.version).toBe(1);
      });

      it('keeps where the request message lives, without a version change', async () => {
        await store.createRequest(request('BG-1'));
        await store.setMessage('BG-1', { channel: 'C1', ts: '1.2' });
        expect(await store.getRequest('BG-1')).toMatchObject({
          version: 1,
          message: { channel: 'C1', ts: '1.2' },
        });
        expect(await store.getRequest('BG-1')).toStrictEqual({
          request: request('BG-1'),
          version: 1,
          message: { channel: 'C1', ts: '1.2' },
        });
        await store.createRequest(request('BG-2'));
        expect(await store.getRequest('BG-2')).toStrictEqual({ request: request('BG-2'), version: 1 });
        const listed = await store.listRequests({});
        expect(Object.fromEntries(listed.map((r) => [r.request.id, 'message' in r]))).toEqual({
          'BG-1': true,
          'BG-2': false,
        });
        await store.setMessage('BG-none', { channel: 'C1', ts: '1.3' });
        expect(await store.getRequest('BG-none')).toBeUndefined();
      });

      it('filters by state and requester, newest first, and limits', async () => {
        await store.createRequest(request('BG-a', { createdAt: 1 }));
        await store.createRequest(request('BG-b', { createdAt: 2, requesterId: 'U2' }));
        await store.createRequest(request('BG-c', { createdAt: 3, state: 'active' }));
        const ids = async (filter: Parameters<Store['listRequests']>[0]) =>
          (await store.listRequests(filter)).map((r) => r.request.id);
        expect(await ids({ states: ['pending'] })).toEqual(['BG-b', 'BG-a']);
        expect(await ids({ requesterId: 'U1' })).toEqual(['BG-c', 'BG-a']);
        expect(await ids({ requesterId: 'U1', states: ['active'] })).toEqual(['BG-c']);
        expect(await ids({ states: ['pending', 'active'] })).toEqual(['BG-c', 'BG-b', 'BG-a']);
        expect(await ids({})).toEqual(['BG-c', 'BG-b', 'BG-a']);
        expect(await ids({ limit: 2 })).toEqual(['BG-c', 'BG-b']);
        expect(await ids({ requesterId: 'U1', limit: 1 })).toEqual(['BG-c']);
        // A state change moves the request between lists.
        await store.updateRequest('BG-a', 1, request('BG-a', { createdAt: 1, state: 'denied' }));
        expect(await ids({ states: ['pending'] })).toEqual(['BG-b']);
        expect(await ids({ states: ['denied'] })).toEqual(['BG-a']);
      });

      it('lists the newest of a state up to the limit, and a requester in several states', async () => {
        for (const [id, createdAt] of [
          ['BG-a', 1],
          ['BG-b', 2],
          ['BG-c', 3],
        ] as const) {
          await store.createRequest(request(id, { createdAt }));
        }
        await store.createRequest(request('BG-d', { createdAt: 4, state: 'active' }));
        await store.createRequest(request('BG-e', { createdAt: 5, state: 'denied' }));
        const ids = async (filter: Parameters<Store['listRequests']>[0]) =>
          (await store.listRequests(filter)).map((r) => r.request.id);
        expect(await ids({ states: ['pending'], limit: 2 })).toEqual(['BG-c', 'BG-b']);
        expect(await ids({ requesterId: 'U1', states: ['pending', 'active'] })).toEqual([
          'BG-d',
          'BG-c',
          'BG-b',
          'BG-a',
        ]);
      });

      it("finds a requester's request in a state behind many newer ones in other states", async () => {
        await store.createRequest(request('BG-old', { createdAt: 1, requesterId: 'U7' }));
        for (let i = 0; i < 30; i++) {
          await store.createRequest(
            request(`BG-${i}`, { createdAt: 10 + i, requesterId: 'U7', state: 'denied' }),
          );
        }
        expect(
          (await store.listRequests({ requesterId: 'U7', states: ['pending'] })).map((r) => r.request.id),
        ).toEqual(['BG-old']);
        expect(await store.listRequests({ requesterId: 'U7', states: ['pending'], limit: 1 })).toHaveLength(
          1,
        );
      });

      it('lets exactly one of two instances holding the same version win', async () => {
        await store.createRequest(request('BG-2'));
        const other = await another();
        const a = store.updateRequest('BG-2', 1, { ...request('BG-2'), state: 'executing' });
        const b = other.updateRequest('BG-2', 1, { ...request('BG-2'), state: 'denied' });
        expect((await Promise.all([a, b])).sort()).toEqual([false, true]);
        expect((await other.getRequest('BG-2'))?.version).toBe(2);
      });

      it('counts every successful compare-and-set under contention from two instances', async () => {
        await store.createRequest(request('BG-3'));
        const other = await another();
        let wins = 0;
        const writer = async (s: Store, n: number) => {
          for (let i = 0; i < n; i++) {
            const stored = await s.getRequest('BG-3');
            if (!stored) throw new Error('gone');
            const next = { ...stored.request, approvals: [...stored.request.approvals] };
            if (await s.updateRequest('BG-3', stored.version, next)) wins += 1;
          }
        };
        await Promise.all([writer(store, 8), writer(other, 8), writer(store, 8), writer(other, 8)]);
        expect(wins).toBeGreaterThan(0);
        expect((await store.getRequest('BG-3'))?.version).toBe(1 + wins);
      });
    });

    describe('request changes and their effects', () => {
      it('schedules and cancels jobs with the change, and nothing when the change loses', async () => {
        await store.createRequest(request('BG-1'), {
          schedule: [
            { kind: 'nudge', dueAt: 100 },
            { kind: 'expire', dueAt: 200 },
          ],
        });
        expect(
          await store.updateRequest('BG-1', 1, request('BG-1', { state: 'executing' }), {
            schedule: [{ kind: 'execute', dueAt: 50 }],
            cancel: ['nudge', 'expire'],
          }),
        ).toBe(true);
        expect(
          await store.updateRequest('BG-1', 1, request('BG-1', { state: 'denied' }), {
            schedule: [{ kind: 'cleanup', dueAt: 10 }],
            cancel: ['execute'],
          }),
        ).toBe(false);
        expect((await store.pendingJobs('BG-1')).map((j) => [j.kind, j.dueAt])).toEqual([['execute', 50]]);
      });

      it('replaces a job that one change both cancels and schedules', async () => {
        await store.createRequest(request('BG-1'), { schedule: [{ kind: 'cleanup', dueAt: 100 }] });
        const first = await store.claimDueJob('w1', 100, LEASE);
        await store.updateRequest('BG-1', 1, request('BG-1'), {
          cancel: ['cleanup'],
          schedule: [{ kind: 'cleanup', dueAt: 500 }],
        });
        // The old claim no longer completes anything: the new job is another one.
        await store.completeJob(first?.id ?? '', 'w1');
        expect(await store.pendingJobs('BG-1')).toMatchObject([{ kind: 'cleanup', dueAt: 500, attempts: 0 }]);
      });
    });

    describe('jobs', () => {
      it('claims a due job once, and again only after the lease lapses', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
        expect(await store.claimDueJob('w1', 50, 1000)).toBeUndefined();
        const job = await store.claimDueJob('w1', 100, 1000);
        expect(job).toMatchObject({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100, attempts: 1 });
        expect(await store.claimDueJob('w2', 200, 1000)).toBeUndefined();
        expect(await store.claimDueJob('w2', 1100, 1000)).toBeUndefined();
        // w1 crashed: its lease ended at 1100, then another worker takes the job.
        expect(await store.claimDueJob('w2', 1101, 1000)).toMatchObject({ id: job?.id, attempts: 2 });
      });

      it('claims the job due first', async () => {
        await store.scheduleJob({ requestId: 'BG-late', kind: 'cleanup', dueAt: 300 });
        await store.scheduleJob({ requestId: 'BG-early', kind: 'cleanup', dueAt: 100 });
        await store.scheduleJob({ requestId: 'BG-mid', kind: 'cleanup', dueAt: 200 });
        const order = [];
        for (let i = 0; i < 3; i++) order.push((await store.claimDueJob('w', 1000, LEASE))?.requestId);
        expect(order).toEqual(['BG-early', 'BG-mid', 'BG-late']);
      });

      it('claims due cleanups before other due jobs, even older ones', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'preview', dueAt: 10 });
        await store.scheduleJob({ requestId: 'BG-2', kind: 'execute', dueAt: 20 });
        await store.scheduleJob({ requestId: 'BG-3', kind: 'cleanup', dueAt: 90 });
        const order = [];
        for (let i = 0; i < 3; i++) order.push((await store.claimDueJob('w', 100, LEASE))?.kind);
        expect(order).toEqual(['cleanup', 'preview', 'execute']);
      });

      it('finds a due cleanup behind a backlog of older bulk jobs, past any page, and before older previews', async () => {
        for (let i = 0; i < 150; i++) {
          await store.scheduleJob({ requestId: `OA-${i}`, kind: 'org-audit', dueAt: 10 + i });
        }
        for (let i = 0; i < 5; i++) {
          await store.scheduleJob({ requestId: `BG-p${i}`, kind: 'preview', dueAt: 10 + i });
        }
        await store.scheduleJob({ requestId: 'BG-window', kind: 'cleanup', dueAt: 500 });
        expect(await store.claimDueJob('w', 1000, LEASE, URGENT_JOB_KINDS)).toMatchObject({
          requestId: 'BG-window',
          kind: 'cleanup',
        });
        expect(await store.claimDueJob('w', 1000, LEASE, URGENT_JOB_KINDS)).toMatchObject({
          kind: 'preview',
        });
        expect(await store.claimDueJob('w', 1000, LEASE, BULK_JOB_KINDS)).toMatchObject({
          requestId: 'OA-0',
          kind: 'org-audit',
        });
      });

      it('finds a job of the kinds asked for behind a page and more of other due kinds', async () => {
        for (let i = 0; i < 60; i++)
          await store.scheduleJob({ requestId: `OA-${i}`, kind: 'org-audit', dueAt: 10 });
        await store.scheduleJob({ requestId: 'BH-1', kind: 'harden-run', dueAt: 20 });
        expect(await store.claimDueJob('w', 100, LEASE, ['harden-run'])).toMatchObject({
          requestId: 'BH-1',
          kind: 'harden-run',
        });
      });

      it('runs the hardening preview and run as bulk work, and its expiry with the urgent jobs', async () => {
        await store.scheduleJob({ requestId: 'BH-1', kind: 'harden-preview', dueAt: 10 });
        await store.scheduleJob({ requestId: 'BH-2', kind: 'harden-run', dueAt: 20 });
        await store.scheduleJob({ requestId: 'BH-3', kind: 'harden-expire', dueAt: 30 });
        const kinds = async (lane: readonly JobKind[]) => {
          const claimed: string[] = [];
          for (
            let job = await store.claimDueJob('w', 100, LEASE, lane);
            job;
            job = await store.claimDueJob('w', 100, LEASE, lane)
          ) {
            claimed.push(job.kind);
          }
          return claimed;
        };
        expect(await kinds(BULK_JOB_KINDS)).toEqual(['harden-preview', 'harden-run']);
        expect(await kinds(URGENT_JOB_KINDS)).toEqual(['harden-expire']);
      });

      it('claims nothing when asked for no kinds', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 10 });
        await store.scheduleJob({ requestId: 'OA-1', kind: 'org-audit', dueAt: 10 });
        expect(await store.claimDueJob('w', 100, LEASE, [])).toBeUndefined();
        expect(await store.claimDueJob('w', 100, LEASE)).toMatchObject({ kind: 'cleanup' });
      });

      it('ignores job ids it never gave out', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 10 });
        for (const id of ['', 'cleanup', 'cleanup:']) {
          expect(await store.renewClaim(id, 'w', 50_000)).toBe(false);
          await store.completeJob(id, 'w');
          await store.retryJob(id, 5_000);
          await store.retryJob(id, 5_000, 'w');
        }
        expect(await store.pendingJobs('BG-1')).toMatchObject([{ kind: 'cleanup', dueAt: 10 }]);
      });

      it('claims only the kinds asked for, when asked', async () => {
        await store.scheduleJob({ requestId: 'BH-1', kind: 'harden-run', dueAt: 10 });
        await store.scheduleJob({ requestId: 'OA-1', kind: 'org-audit', dueAt: 20 });
        await store.scheduleJob({ requestId: 'BG-1', kind: 'expire', dueAt: 30 });
        expect(await store.claimDueJob('w', 100, LEASE, ['cleanup', 'expire'])).toMatchObject({
          requestId: 'BG-1',
        });
        expect(await store.claimDueJob('w', 100, LEASE, ['cleanup', 'expire'])).toBeUndefined();
        expect(await store.claimDueJob('w', 100, LEASE, ['org-audit'])).toMatchObject({ requestId: 'OA-1' });
        expect(await store.claimDueJob('w', 100, LEASE)).toMatchObject({ requestId: 'BH-1' });
      });

      it('completes a job only for the claim that holds it, even within one process', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
        const first = await store.claimDueJob('w:1', 100, LEASE);
        // Rescheduled while it runs, and claimed again by another slot of the same process.
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
        const second = await store.claimDueJob('w:2', 100, LEASE);
        expect(second?.id).toBe(first?.id);
        await store.completeJob(first?.id ?? '', 'w:1');
        expect(await store.pendingJobs('BG-1')).toHaveLength(1);
        await store.completeJob(second?.id ?? '', 'w:2');
        expect(await store.pendingJobs('BG-1')).toEqual([]);
      });

      it('renews a claim only for the worker holding it', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
        const job = await store.claimDueJob('w1', 100, 1000);
        expect(await store.renewClaim(job?.id ?? '', 'w2', 5000)).toBe(false);
        expect(await store.renewClaim(job?.id ?? '', 'w1', 5000)).toBe(true);
        expect(await store.claimDueJob('w2', 2000, 1000)).toBeUndefined();
        expect(await store.claimDueJob('w2', 5001, 1000)).toMatchObject({ id: job?.id });
        expect(await store.renewClaim(job?.id ?? '', 'w1', 9000)).toBe(false);
      });

      it('completes a job only for the worker holding it', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
        const job = await store.claimDueJob('w1', 100, 1000);
        await store.completeJob(job?.id ?? '', 'w2');
        expect(await store.pendingJobs('BG-1')).toHaveLength(1);
        await store.completeJob(job?.id ?? '', 'w1');
        expect(await store.pendingJobs('BG-1')).toEqual([]);
        expect(await store.claimDueJob('w1', 10_000, 1000)).toBeUndefined();
      });

      it('keeps a job rescheduled while it ran: the old claim cannot complete it', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
        const job = await store.claimDueJob('w1', 100, LEASE);
        // A late grant moves the cleanup while the first run is still going.
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 400 });
        await store.completeJob(job?.id ?? '', 'w1');
        expect(await store.claimDueJob('w2', 400, LEASE)).toMatchObject({ id: job?.id, dueAt: 400 });
      });

      it('expedites an open job only while no worker holds it, and creates none', async () => {
        expect(await store.expediteJob({ requestId: 'BG-1', kind: 'harden-run', dueAt: 100 })).toBe(false);
        expect(await store.pendingJobs('BG-1')).toEqual([]);
        await store.scheduleJob({ requestId: 'BG-1', kind: 'harden-run', dueAt: 100 });
        const job = await store.claimDueJob('w1', 100, LEASE);
        // Held: neither moved nor released, so no second worker claims it while it runs.
        expect(await store.expediteJob({ requestId: 'BG-1', kind: 'harden-run', dueAt: 150 })).toBe(false);
        expect(await store.claimDueJob('w2', 200, LEASE)).toBeUndefined();
        await store.retryJob(job?.id ?? '', 5000, 'w1');
        expect(await store.expediteJob({ requestId: 'BG-1', kind: 'harden-run', dueAt: 300 })).toBe(true);
        // Never later than it was.
        expect(await store.expediteJob({ requestId: 'BG-1', kind: 'harden-run', dueAt: 4000 })).toBe(false);
        expect(await store.claimDueJob('w2', 300, LEASE)).toMatchObject({ id: job?.id, dueAt: 300 });
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
        await store.scheduleJob({ requestId: 'BG-1', kind: 'remind', dueAt: 450 });
        await store.cancelJobs('BG-1');
        expect(await store.pendingJobs('BG-1')).toEqual([]);
        expect(await store.claimDueJob('w', 10_000, LEASE)).toBeUndefined();
      });

      it('runs a retried job at its new time, and ignores a retry by a worker that lost the claim', async () => {
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
        const job = await store.claimDueJob('w', 100, 60_000);
        await store.retryJob(job?.id ?? '', 300);
        expect(await store.claimDueJob('w', 200, 60_000)).toBeUndefined();
        const again = await store.claimDueJob('w2', 300, 60_000);
        expect(again).toMatchObject({ attempts: 2, dueAt: 300 });
        await store.retryJob(job?.id ?? '', 5_000, 'w');
        expect((await store.pendingJobs('BG-1'))[0]?.dueAt).toBe(300);
        await store.retryJob(again?.id ?? '', 5_000, 'w2');
        expect(await store.claimDueJob('w', 4_999, 60_000)).toBeUndefined();
        expect(await store.claimDueJob('w', 5_000, 60_000)).toMatchObject({ attempts: 3 });
      });

      it('hands each due job to exactly one of two instances (two-process claim)', async () => {
        const other = await another();
        for (let i = 0; i < 20; i++)
          await store.scheduleJob({ requestId: `BG-${i}`, kind: 'expire', dueAt: i });
        const claimed = (
          await Promise.all([store, other, store, other].map((s, n) => claimAll(s, `w${n}`, 100)))
        ).flat();
        expect(claimed).toHaveLength(20);
        expect(new Set(claimed).size).toBe(20);
      });

      it('lets another instance take over a job after the lease lapses, and only then', async () => {
        const other = await another();
        await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
        const first = await store.claimDueJob('w1', 100, 1000);
        expect(await other.claimDueJob('w2', 1100, 1000)).toBeUndefined();
        const taken = await other.claimDueJob('w2', 1101, 1000);
        expect(taken).toMatchObject({ id: first?.id, attempts: 2 });
        // The first worker wakes up late: it no longer holds the job.
        expect(await store.renewClaim(first?.id ?? '', 'w1', 9000)).toBe(false);
        await store.completeJob(first?.id ?? '', 'w1');
        expect(await other.pendingJobs('BG-1')).toHaveLength(1);
        await other.completeJob(taken?.id ?? '', 'w2');
        expect(await store.pendingJobs('BG-1')).toEqual([]);
      });
    });

    describe('outbox', () => {
      it('enqueues nothing for no notices, and exactly one transaction of notices in order', async () => {
        await store.createRequest(request('BG-1'));
        await store.enqueue('BG-1', []);
        expect(await store.listDeliveries('BG-1')).toEqual([]);
        const hundred = Array.from({ length: 100 }, (_, i) => ({
          to: 'dm' as const,
          userId: `U${i}`,
          notice: nudge('BG-1'),
        }));
        await store.enqueue('BG-1', hundred);
        const listed = await store.listDeliveries('BG-1');
        expect(listed.map((d) => (d.delivery.to === 'dm' ? d.delivery.userId : ''))).toEqual(
          hundred.map((d) => d.userId),
        );
      });

      it("finds another request's notice behind a page and more of one request's waiting queue", async () => {
        await store.createRequest(request('BG-1'));
        await store.enqueue(
          'BG-1',
          Array.from({ length: 55 }, (_, i) => ({
            to: 'dm' as const,
            userId: `U${i}`,
            notice: nudge('BG-1'),
          })),
        );
        await store.createRequest(request('BG-2'), { notify: [{ to: 'post' }] });
        expect(await store.claimDelivery('w1', 0, LEASE)).toMatchObject({
          requestId: 'BG-1',
          delivery: { userId: 'U0' },
        });
        expect(await store.claimDelivery('w2', 0, LEASE)).toMatchObject({ requestId: 'BG-2' });
      });

      it('commits notices with the request change, or not at all', async () => {
        await store.createRequest(request('BG-1'), { notify: [{ to: 'post' }] });
        expect(await store.updateRequest('BG-1', 1, request('BG-1'), { notify: [{ to: 'update' }] })).toBe(
          true,
        );
        // A losing compare-and-set writes no notice either.
        expect(await store.updateRequest('BG-1', 1, request('BG-1'), { notify: [{ to: 'update' }] })).toBe(
          false,
        );
        expect((await store.listDeliveries('BG-1')).map((d) => d.delivery.to)).toEqual(['post', 'update']);
      });

      it('delivers in order per request, and requests independently', async () => {
        await store.createRequest(request('BG-A'), { notify: [{ to: 'post' }] });
        await store.enqueue('BG-A', [{ to: 'thread', notice: nudge('BG-A') }]);
        await store.createRequest(request('BG-B'), { notify: [{ to: 'post' }] });
        const first = await store.claimDelivery('w1', 0, LEASE);
        const second = await store.claimDelivery('w2', 0, LEASE);
        // BG-A's thread reply waits for its post; BG-B's post does not.
        expect([first?.requestId, first?.delivery.to]).toEqual(['BG-A', 'post']);
        expect([second?.requestId, second?.delivery.to]).toEqual(['BG-B', 'post']);
        expect(await store.claimDelivery('w3', 0, LEASE)).toBeUndefined();
        await store.deliverySent(first?.id ?? '', 10);
        expect(await store.claimDelivery('w3', 0, LEASE)).toMatchObject({
          delivery: { to: 'thread' },
          attempts: 1,
        });
        expect((await store.listDeliveries('BG-A')).map((d) => d.status)).toEqual(['sent', 'pending']);
      });

      it('lets the next notice go after one failed for good', async () => {
        await store.createRequest(request('BG-1'), {
          notify: [{ to: 'post' }, { to: 'dm', userId: 'U1', notice: nudge('BG-1') }],
        });
        const post = await store.claimDelivery('w', 0, LEASE);
        await store.deliveryFailed(post?.id ?? '', 'not_in_channel', 5);
        expect((await store.claimDelivery('w', 0, LEASE))?.delivery.to).toBe('dm');
        const all = await store.listDeliveries('BG-1');
        expect(all[0]).toMatchObject({ status: 'failed', lastError: 'not_in_channel' });
      });

      it('re-offers a claim only after its lease lapses, and holds a deferred target', async () => {
        await store.createRequest(request('BG-1'), { notify: [{ to: 'post' }] });
        await store.createRequest(request('BG-2'), {
          notify: [{ to: 'dm', userId: 'U9', notice: nudge('BG-2') }],
        });
        const claim = await store.claimDelivery('w1', 0, LEASE);
        expect(claim?.requestId).toBe('BG-1');
        await store.deferTarget(CHANNEL_TARGET, 5_000);
        // BG-1 is leased; BG-2's DM is another target and goes on.
        const dm = await store.claimDelivery('w2', 10, LEASE);
        expect(dm?.requestId).toBe('BG-2');
        await store.deliverySent(dm?.id ?? '', 20);
        expect(await store.claimDelivery('w2', LEASE + 1, LEASE)).toMatchObject({
          requestId: 'BG-1',
          attempts: 2,
        });
        await store.retryDelivery(claim?.id ?? '', 90_000, 'ratelimited');
        expect(await store.claimDelivery('w2', 89_999, LEASE)).toBeUndefined();
        expect((await store.claimDelivery('w2', 90_000, LEASE))?.requestId).toBe('BG-1');
      });

      it('re-offers a notice retried within its lease at the retry time, with the error it met', async () => {
        await store.createRequest(request('BG-1'), { notify: [{ to: 'post' }] });
        const claim = await store.claimDelivery('w1', 0, LEASE);
        expect(claim).not.toHaveProperty('lastError');
        await store.retryDelivery(claim?.id ?? '', 100, 'ratelimited');
        expect(await store.claimDelivery('w2', 99, LEASE)).toBeUndefined();
        expect(await store.claimDelivery('w2', 100, LEASE)).toMatchObject({
          id: claim?.id,
          attempts: 2,
          lastError: 'ratelimited',
        });
      });

      it('ignores notice ids it never gave out', async () => {
        await store.createRequest(request('BG-1'), { notify: [{ to: 'post' }] });
        for (const id of ['', 'garbage', 'x:BG-1']) {
          await store.deliverySent(id, 1);
          await store.deliveryFailed(id, 'x', 1);
          await store.retryDelivery(id, 5_000, 'x');
        }
        expect((await store.listDeliveries('BG-1')).map((d) => d.status)).toEqual(['pending']);
        expect((await store.claimDelivery('w', 0, LEASE))?.requestId).toBe('BG-1');
      });

      it('holds every pending notice of a deferred target until the hold ends', async () => {
        await store.createRequest(request('BG-1'), { notify: [{ to: 'post' }] });
        await store.createRequest(request('BG-2'), { notify: [{ to: 'post' }] });
        await store.deferTarget(CHANNEL_TARGET, 5_000);
        await store.deferTarget(CHANNEL_TARGET, 3_000);
        expect(await store.claimDelivery('w', 4_999, LEASE)).toBeUndefined();
        expect(await store.claimDelivery('w', 5_000, LEASE)).toMatchObject({ requestId: 'BG-1' });
        expect(await store.claimDelivery('w', 5_000, LEASE)).toMatchObject({ requestId: 'BG-2' });
      });

      it('counts the backlog and its oldest notice', async () => {
        expect(await store.deliveryBacklog()).toEqual({ pending: 0 });
        await store.createRequest(request('BG-1'), { notify: [{ to: 'post' }, { to: 'update' }] });
        const backlog = await store.deliveryBacklog();
        expect(backlog.pending).toBe(2);
        expect(backlog.oldestAt).toBeGreaterThan(Date.now() - 60_000);
        const first = await store.claimDelivery('w', 0, LEASE);
        await store.deliverySent(first?.id ?? '', 1);
        expect((await store.deliveryBacklog()).pending).toBe(1);
      });

      it('keeps the head of line across instances', async () => {
        const other = await another();
        await store.createRequest(request('BG-A'), { notify: [{ to: 'post' }] });
        await other.enqueue('BG-A', [{ to: 'thread', notice: nudge('BG-A') }]);
        const post = await store.claimDelivery('w1', 0, LEASE);
        expect(post?.delivery.to).toBe('post');
        // The other replica must not send the reply before the post exists, however long it polls.
        for (let i = 0; i < 3; i++) expect(await other.claimDelivery('w2', 0, LEASE)).toBeUndefined();
        await store.deliverySent(post?.id ?? '', 1);
        expect((await other.claimDelivery('w2', 0, LEASE))?.delivery.to).toBe('thread');
      });

      it('orders notices written concurrently by two instances, each once', async () => {
        const other = await another();
        await store.createRequest(request('BG-1'), { notify: [{ to: 'post' }] });
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            (i % 2 ? other : store).enqueue('BG-1', [
              { to: 'dm', userId: `U${i}`, notice: nudge('BG-1') },
              { to: 'dm', userId: `U${i}`, notice: nudge('BG-1') },
            ]),
          ),
        );
        const listed = await store.listDeliveries('BG-1');
        expect(listed).toHaveLength(25);
        expect(new Set(listed.map((d) => d.id)).size).toBe(25);
        // The two notices of each enqueue stay together, in order.
        const users = listed.slice(1).map((d) => (d.delivery.to === 'dm' ? d.delivery.userId : '?'));
        for (let i = 0; i < users.length; i += 2) expect(users[i]).toBe(users[i + 1]);
      });

      it('delivers every notice once, in order per request, with two instances draining', async () => {
        const other = await another();
        for (const id of ['BG-1', 'BG-2', 'BG-3']) {
          await store.createRequest(request(id), { notify: [{ to: 'post' }, { to: 'update' }] });
          await store.enqueue(id, [{ to: 'thread', notice: nudge(id) }]);
        }
        const sent: { requestId: string; to: string }[] = [];
        const drain = async (s: Store, worker: string) => {
          for (let i = 0; i < MAX_CLAIMS; i++) {
            const item = await s.claimDelivery(worker, 0, 60_000);
            if (!item) {
              if ((await s.deliveryBacklog()).pending === 0) return;
              await new Promise((resolve) => setTimeout(resolve, 5));
              continue;
            }
            sent.push({ requestId: item.requestId, to: item.delivery.to });
            await s.deliverySent(item.id, 1);
          }
        };
        await Promise.all([drain(store, 'w1'), drain(other, 'w2'), drain(store, 'w3'), drain(other, 'w4')]);
        expect(sent).toHaveLength(9);
        for (const id of ['BG-1', 'BG-2', 'BG-3']) {
          expect(sent.filter((s) => s.requestId === id).map((s) => s.to)).toEqual([
            'post',
            'update',
            'thread',
          ]);
        }
      });
    });

    describe('audit trail and idempotency keys', () => {
      it('appends entries, lists a request oldest first and everything newest first', async () => {
        await store.appendAudit({
          at: 1,
          requestId: 'BG-1',
          actor: 'U1',
          action: 'requested',
          details: { task: 'x' },
        });
        await store.appendAudit({ at: 2, requestId: 'BG-1', actor: 'U2', action: 'approved' });
        await store.appendAudit({ at: 3, actor: 'cli', action: 'deleted credentials' });
        await store.appendAudit({ at: 4, requestId: 'BG-2', actor: 'U3', action: 'requested' });
        expect(await store.listAudit('BG-2')).toEqual([
          { at: 4, requestId: 'BG-2', actor: 'U3', action: 'requested' },
        ]);
        expect(await store.listAudit('BG-1')).toEqual([
          { at: 1, requestId: 'BG-1', actor: 'U1', action: 'requested', details: { task: 'x' } },
          { at: 2, requestId: 'BG-1', actor: 'U2', action: 'approved' },
        ]);
        expect((await store.listAudit()).map((e) => e.action)).toEqual([
          'requested',
          'deleted credentials',
          'approved',
          'requested',
        ]);
        expect((await store.listAudit(undefined, 1)).map((e) => e.actor)).toEqual(['U3']);
      });

      it('keeps the order of entries written in the same millisecond', async () => {
        for (const action of ['a', 'b', 'c', 'd'])
          await store.appendAudit({ at: 7, requestId: 'BG-1', actor: 'U1', action });
        expect((await store.listAudit('BG-1')).map((e) => e.action)).toEqual(['a', 'b', 'c', 'd']);
      });

      it('says true only the first time a key is seen, across instances too', async () => {
        expect(await store.firstTime('action:123', 1)).toBe(true);
        expect(await store.firstTime('action:123', 2)).toBe(false);
        const other = await another();
        const answers = await Promise.all([store.firstTime('view:9', 5), other.firstTime('view:9', 5)]);
        expect(answers.sort()).toEqual([false, true]);
      });
    });

    describe('drift detection', () => {
      const drift = (accountId: string, fingerprint: string): DriftRecord => ({
        accountId,
        name: `n-${accountId}`,
        fingerprint,
        present: {
          accessKeys: [{ id: fingerprint, status: 'Active' }],
          signingCertificates: [],
          mfaDevices: [],
        },
        since: 1_000,
        alertedAt: 1_000,
        alertRunId: 'OA-1',
      });

      it('ensures a fixed job once across instances, without moving it; scheduling moves it', async () => {
        const other = await another();
        const job = { requestId: 'ORG-AUDIT-SCHEDULE', kind: 'audit-schedule' as const };
        const added = await Promise.all([
          store.ensureJob({ ...job, dueAt: 5_000 }),
          other.ensureJob({ ...job, dueAt: 9_000 }),
        ]);
        expect(added.filter(Boolean)).toHaveLength(1);
        const [open] = await store.pendingJobs(job.requestId);
        expect(await store.ensureJob({ ...job, dueAt: 1 })).toBe(false);
        expect((await store.pendingJobs(job.requestId)).map((j) => j.dueAt)).toEqual([open?.dueAt]);
        await store.scheduleJob({ ...job, dueAt: 20_000 });
        expect((await store.pendingJobs(job.requestId)).map((j) => j.dueAt)).toEqual([20_000]);
        // Done: the next ensure writes a new one.
        const claimed = await store.claimDueJob('w1', 20_000, LEASE);
        expect(claimed?.kind).toBe('audit-schedule');
        await store.completeJob(claimed?.id ?? '', 'w1');
        expect(await other.ensureJob({ ...job, dueAt: 30_000 })).toBe(true);
      });

      it('stores, replaces and drops drift records per account, each with its notices', async () => {
        await store.saveDrift({ record: drift('200000000001', 'AKIA1') }, 'OA-1', [{ to: 'audit-post' }]);
        await store.saveDrift({ record: drift('200000000002', 'AKIA2') }, 'OA-1', []);
        await store.saveDrift({ record: drift('200000000001', 'AKIA3') }, 'OA-2', []);
        const other = await another();
        expect((await other.driftRecords()).map((r) => [r.accountId, r.fingerprint]).sort()).toEqual([
          ['200000000001', 'AKIA3'],
          ['200000000002', 'AKIA2'],
        ]);
        await other.saveDrift({ resolved: '200000000002' }, 'OA-2', [{ to: 'audit-update' }]);
        expect((await store.driftRecords()).map((r) => r.accountId)).toEqual(['200000000001']);
        expect((await store.listDeliveries('OA-1')).map((d) => d.delivery.to)).toEqual(['audit-post']);
        expect((await store.listDeliveries('OA-2')).map((d) => d.delivery.to)).toEqual(['audit-update']);
      });

      it('keeps a run scheduled', async () => {
        await store.startOrgAudit({ ...auditRun('OA-S'), requestedBy: 'scheduler', scheduled: true }, []);
        expect(await (await another()).getOrgAudit('OA-S')).toMatchObject({ scheduled: true });
      });
    });

    /**
     * DynamoDB answers a Query with at most 1 MB of items and a key to go on
     * from: a few items of a third of a megabyte each (items go up to 400 KB)
     * spread any read over pages.
     */
    describe('reads past one 1 MB page', () => {
      const bulky = (seed: string) => `${seed}:${'x'.repeat(350_000)}`;

      it('lists and counts notices spread over pages, in order', async () => {
        const big = (userId: string): Delivery => ({
          to: 'dm',
          userId,
          notice: { kind: 'nudge', request: request('BG-1', { justification: bulky(userId) }) },
        });
        await store.createRequest(request('BG-1'));
        await store.enqueue('BG-1', [big('U1'), big('U2'), big('U3'), big('U4'), { to: 'update' }]);
        expect((await store.listDeliveries('BG-1')).map((d) => d.delivery.to)).toEqual([
          'dm',
          'dm',
          'dm',
          'dm',
          'update',
        ]);
        expect((await store.deliveryBacklog()).pending).toBe(5);
      });

      it('reads audit rows, drift records and audit entries spread over pages', async () => {
        await store.startOrgAudit(auditRun('OA-1'), []);
        const rows = ['200000000001', '200000000002', '200000000003', '200000000004'].map((id) => ({
          ...auditRow(id),
          detail: bulky(id),
        }));
        await store.recordOrgAuditRows('OA-1', rows, { total: 4 });
        expect((await store.orgAuditRows('OA-1')).map((r) => r.accountId)).toEqual(
          rows.map((r) => r.accountId),
        );
        expect(await store.getOrgAudit('OA-1')).toMatchObject({ done: 4, total: 4 });

        for (const row of rows) {
          await store.saveDrift(
            {
              record: {
                accountId: row.accountId,
                name: bulky(row.accountId),
                fingerprint: 'f',
                present: { accessKeys: [], signingCertificates: [], mfaDevices: [] },
                since: 1,
                alertedAt: 1,
                alertRunId: 'OA-1',
              },
            },
            'OA-1',
            [],
          );
        }
        expect((await store.driftRecords()).map((r) => r.accountId).sort()).toEqual(
          rows.map((r) => r.accountId),
        );

        for (const [i, row] of rows.entries()) {
          await store.appendAudit({
            at: i + 1,
            requestId: 'BG-1',
            actor: 'U1',
            action: `bulky ${i}`,
            details: { note: bulky(row.accountId) },
          });
        }
        await store.appendAudit({ at: 5, requestId: 'BG-1', actor: 'U1', action: 'small 4' });
        await store.appendAudit({ at: 6, requestId: 'BG-1', actor: 'U1', action: 'small 5' });
        const actions = async (requestId: string | undefined, limit?: number) =>
          (await store.listAudit(requestId, limit)).map((e) => e.action);
        expect(await actions('BG-1')).toEqual([
          'bulky 0',
          'bulky 1',
          'bulky 2',
          'bulky 3',
          'small 4',
          'small 5',
        ]);
        expect(await actions('BG-1', 5)).toEqual(['bulky 0', 'bulky 1', 'bulky 2', 'bulky 3', 'small 4']);
        expect(await actions(undefined, 5)).toEqual(['small 5', 'small 4', 'bulky 3', 'bulky 2', 'bulky 1']);
        expect(await actions(undefined, 0)).toEqual([]);
      });
    });

    describe('bulk hardenings', () => {
      const hardening = (id: string): Hardening => hardeningFixture(id, { accounts: 2 });
      const account = (accountId: string, state: HardenAccount['state'] = 'pending'): HardenAccount => ({
        accountId,
        name: `acct ${accountId}`,
        state,
        attempts: 0,
      });

      it('stores a hardening with its accounts, jobs and first notice; compare-and-set on its version', async () => {
        await store.createHardening(hardening('BH-1'), [account('222222222222'), account('111111111111')], {
          schedule: [{ kind: 'harden-preview', dueAt: 0 }],
          notify: [{ to: 'harden-post' }],
        });
        const stored = await store.getHardening('BH-1');
        expect(stored).toMatchObject({ version: 1, hardening: { id: 'BH-1', state: 'pending' } });
        expect((await store.hardenAccounts('BH-1')).map((a) => a.accountId)).toEqual([
          '111111111111',
          '222222222222',
        ]);
        expect((await store.pendingJobs('BH-1')).map((j) => j.kind)).toEqual(['harden-preview']);
        expect((await store.listDeliveries('BH-1')).map((d) => d.delivery.to)).toEqual(['harden-post']);

        const other = await another();
        const next = { ...hardening('BH-1'), state: 'running' as const };
        const results = await Promise.all([
          store.updateHardening('BH-1', 1, next, { notify: [{ to: 'harden-update' }] }),
          other.updateHardening('BH-1', 1, next, { notify: [{ to: 'harden-update' }] }),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.updateHardening('BH-1', 1, next)).toBe(false);
        expect(await store.getHardening('BH-1')).toMatchObject({
          version: 2,
          hardening: { state: 'running' },
        });
        expect((await store.listDeliveries('BH-1')).map((d) => d.delivery.to)).toEqual([
          'harden-post',
          'harden-update',
        ]);
        expect(await store.getHardening('BH-NONE')).toBeUndefined();
      });

      it('stores the accounts of a hardening larger than one write batch', async () => {
        const ids = Array.from({ length: 30 }, (_, i) => String(100_000_000_000 + i));
        await store.createHardening(
          hardening('BH-3'),
          ids.map((id) => account(id)),
        );
        expect((await store.hardenAccounts('BH-3')).map((a) => a.accountId)).toEqual(ids);
      });

      it('replaces an account row stored again, enqueues with it, and keeps the message apart from the version', async () => {
        await store.createHardening(hardening('BH-2'), [account('111111111111')]);
        await store.putHardenAccounts(
          'BH-2',
          [{ ...account('111111111111', 'done'), attempts: 1, verifiedAt: 5 }],
          [{ to: 'harden-update' }],
        );
        expect(await store.hardenAccounts('BH-2')).toEqual([
          { ...account('111111111111', 'done'), attempts: 1, verifiedAt: 5 },
        ]);
        expect((await store.listDeliveries('BH-2')).map((d) => d.delivery.to)).toEqual(['harden-update']);
        expect(await store.getHardening('BH-2')).toStrictEqual({ hardening: hardening('BH-2'), version: 1 });
        await store.setHardeningMessage('BH-2', { channel: 'C1', ts: '1.2' });
        expect(await store.getHardening('BH-2')).toMatchObject({
          version: 1,
          message: { channel: 'C1', ts: '1.2' },
        });
        // A message for a hardening or run that is gone is not kept, and not an error.
        await store.setHardeningMessage('BH-none', { channel: 'C1', ts: '1.3' });
        expect(await store.getHardening('BH-none')).toBeUndefined();
        await store.setOrgAuditMessage('OA-none', { channel: 'C1', ts: '1.3' });
        expect(await store.getOrgAudit('OA-none')).toBeUndefined();
      });

      it('names the org-wide audit finished last', async () => {
        expect(await store.latestOrgAudit()).toBeUndefined();
        await store.startOrgAudit(auditRun('OA-L1', 1_000), []);
        await store.finishOrgAudit('OA-L1', 2_000, []);
        await store.startOrgAudit(auditRun('OA-L2', 3_000), []);
        expect((await store.latestOrgAudit())?.id).toBe('OA-L1');
        await store.finishOrgAudit('OA-L2', 4_000, []);
        expect((await store.latestOrgAudit())?.id).toBe('OA-L2');
      });
    });

    describe('org-wide audits', () => {
      it('starts one at a time across instances, with its job and first notice; the loser learns which runs', async () => {
        const other = await another();
        const [a, b] = await Promise.all([
          store.startOrgAudit(auditRun('OA-A'), [{ to: 'audit-post' }]),
          other.startOrgAudit(auditRun('OA-B'), [{ to: 'audit-post' }]),
        ]);
        const winner = a.started ? 'OA-A' : 'OA-B';
        expect([a.started, b.started].sort()).toEqual([false, true]);
        const loser = a.started ? b : a;
        expect(loser.started === false && loser.running.id).toBe(winner);
        expect(await store.getOrgAudit(a.started ? 'OA-B' : 'OA-A')).toBeUndefined();
        expect((await store.pendingJobs(winner)).map((j) => j.kind)).toEqual(['org-audit']);
        expect((await store.listDeliveries(winner)).map((d) => d.delivery.to)).toEqual(['audit-post']);
      });

      it('stores one row per account however often it is written, counts them, and enqueues the update with them', async () => {
        await store.startOrgAudit(auditRun('OA-1'), []);
        await store.recordOrgAuditRows('OA-1', [auditRow('200000000002'), auditRow('200000000001')], {});
        await store.recordOrgAuditRows('OA-1', [auditRow('200000000002', 'error')], { total: 3 }, [
          { to: 'audit-update' },
        ]);
        expect(await store.getOrgAudit('OA-1')).toMatchObject({ done: 2, total: 3, state: 'running' });
        const rows = await store.orgAuditRows('OA-1');
        expect(rows.map((r) => [r.accountId, r.status])).toEqual([
          ['200000000001', 'clean'],
          ['200000000002', 'error'],
        ]);
        expect((await store.listDeliveries('OA-1')).map((d) => d.delivery.to)).toEqual(['audit-update']);
      });

      it('holds rows of several hundred accounts (each its own item)', async () => {
        await store.startOrgAudit(auditRun('OA-BIG'), []);
        const rows = Array.from({ length: 260 }, (_, i) => auditRow(String(300_000_000_000 + i)));
        await store.recordOrgAuditRows('OA-BIG', rows, { total: 260 });
        expect(await store.orgAuditRows('OA-BIG')).toHaveLength(260);
        expect((await store.getOrgAudit('OA-BIG'))?.done).toBe(260);
      });

      it('finishes once, with its notices, and then lets the next audit start', async () => {
        await store.startOrgAudit(auditRun('OA-1'), []);
        await store.setOrgAuditMessage('OA-1', { channel: 'C1', ts: '1.000001' });
        const fileDelivery = {
          to: 'file' as const,
          file: { source: 'org-audit-csv' as const, filename: 'a.csv', title: 'A' },
        };
        const other = await another();
        const finished = await Promise.all([
          store.finishOrgAudit('OA-1', 5_000, [{ to: 'audit-update' }, fileDelivery]),
          other.finishOrgAudit('OA-1', 5_001, [{ to: 'audit-update' }, fileDelivery]),
        ]);
        expect(finished.sort()).toEqual([false, true]);
        expect(await store.getOrgAudit('OA-1')).toMatchObject({
          state: 'done',
          message: { channel: 'C1', ts: '1.000001' },
        });
        expect((await store.listDeliveries('OA-1')).map((d) => d.delivery.to)).toEqual([
          'audit-update',
          'file',
        ]);
        expect((await store.startOrgAudit(auditRun('OA-2', 6_000), [])).started).toBe(true);
      });

      it('reads back a run with only the fields it has: no total, end or message until they are set', async () => {
        await store.startOrgAudit(auditRun('OA-1'), []);
        expect(await store.getOrgAudit('OA-1')).toStrictEqual(auditRun('OA-1'));
        await store.recordOrgAuditRows('OA-1', [auditRow('200000000001')], {});
        expect(await store.getOrgAudit('OA-1')).toStrictEqual({ ...auditRun('OA-1'), done: 1 });
        await store.setOrgAuditMessage('OA-1', { channel: 'C1', ts: '1.2' });
        await store.recordOrgAuditRows('OA-1', [], { total: 4 });
        expect(await store.finishOrgAudit('OA-1', 2_000, [])).toBe(true);
        expect(await store.getOrgAudit('OA-1')).toStrictEqual({
          ...auditRun('OA-1'),
          done: 1,
          total: 4,
          state: 'done',
          finishedAt: 2_000,
          message: { channel: 'C1', ts: '1.2' },
        });
        expect(await store.finishOrgAudit('OA-1', 3_000, [{ to: 'audit-update' }])).toBe(false);
        expect(await store.finishOrgAudit('OA-none', 3_000, [{ to: 'audit-update' }])).toBe(false);
        expect(await store.listDeliveries('OA-1')).toEqual([]);
        expect(await store.listDeliveries('OA-none')).toEqual([]);
      });

      it('keeps the reason a run ended early', async () => {
        await store.startOrgAudit(auditRun('OA-1'), []);
        expect(await store.finishOrgAudit('OA-1', 2_000, [], 'the account list could not be read')).toBe(
          true,
        );
        expect(await store.getOrgAudit('OA-1')).toMatchObject({
          state: 'done',
          finishedAt: 2_000,
          error: 'the account list could not be read',
        });
      });
    });
  });
}
