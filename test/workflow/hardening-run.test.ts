/**
 * Bulk hardening's jobs in the workflow, over the fake AWS and a real SQLite
 * store with a controllable clock: the preview (what each account holds, held
 * and unreadable ones), the rounds (deletions, results per account, progress,
 * retries with back-off, accounts held by an open window, a shutdown), give-up,
 * the verification audit at the end and the close, as people and the audit
 * trail see them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RootTaskError } from '../../src/aws/errors.js';
import type { RootCredentialAudit } from '../../src/aws/root-task-results.js';
import {
  giveUpDigest,
  HARDEN_PROGRESS_EVERY_MS,
  type HardenAccount,
  hardeningHash,
} from '../../src/domain/harden.js';
import type { Delivery } from '../../src/domain/notice.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { RootTasks } from '../../src/workflow/ports.js';
import { emptyRootUser } from '../fakes/aws/model.js';
import { memberId } from '../fakes/aws/sample-org.js';
import { requestFixture } from '../support/fixtures.js';
import {
  BOTH_1,
  BOTH_2,
  closeHardeningEnvs,
  type HardeningEnv,
  type HardeningEnvOptions,
  REQUESTER,
  startHardeningEnv,
} from '../support/hardening-env.js';
import { SETTINGS } from '../support/workflow-env.js';

afterEach(closeHardeningEnvs);

const UPDATE: Delivery = { to: 'harden-update' };
const EVERYTHING = 'password, 2 access key(s), 1 signing certificate(s), 2 MFA device(s) deactivated';
const BASE = SETTINGS.cleanupRetryBaseMs;

async function notices(store: SqliteStore, id: string): Promise<Delivery[]> {
  return (await store.listDeliveries(id)).map((d) => d.delivery);
}

async function trail(store: SqliteStore, id: string) {
  return (await store.listAudit(id)).map(({ actor, action, details }) => ({ actor, action, details }));
}

async function rowsOf(env: HardeningEnv, id: string): Promise<Map<string, HardenAccount>> {
  return new Map((await env.store.hardenAccounts(id)).map((r) => [r.accountId, r]));
}

/** Calls of an IAM action made in an account's root session. */
function callsIn(env: HardeningEnv, action: string, accountId: string): string[] {
  return env.fake.callsOf(action).filter((c) => c.endsWith(`@${accountId}`));
}

/** The root tasks with some replaced (the others as they are). */
function over(tasks: RootTasks, replaced: Partial<RootTasks>): RootTasks {
  return Object.assign(Object.create(tasks) as RootTasks, replaced);
}

/** A root user with nothing left. */
function clean(env: HardeningEnv, accountId: string): void {
  env.fake.account(accountId).root = emptyRootUser();
}

/** Lets every pending promise and I/O callback run (the fakes' gates hold what must wait). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Requested, previewed and approved by two: its round is due now. */
async function approved(env: HardeningEnv, accounts: string[]): Promise<string> {
  const started = await env.workflow.hardenings.start(REQUESTER, { accounts });
  if (!started.ok) throw new Error(started.text);
  await env.runJobs();
  const hash = (await env.store.getHardening(started.id))?.hardening.contentHash ?? '';
  await env.workflow.hardenings.approve(started.id, BOTH_1, hash);
  const second = await env.workflow.hardenings.approve(started.id, BOTH_2, hash);
  if (!/^Approved. Deleting/.test(second.text)) throw new Error(second.text);
  return started.id;
}

async function setUp(options: HardeningEnvOptions = {}) {
  return startHardeningEnv({ members: 8, ...options });
}

describe('the preview', () => {
  it('reads what each account holds, shows held and unreadable ones, and lets approvers approve what they saw', async () => {
    const env = await setUp({
      wrap: (tasks) =>
        over(tasks, {
          auditRootCredentials: async (id) => {
            if (id === memberId(5))
              throw new RootTaskError('blocked-by-scp', 'root sessions denied by an SCP');
            if (id === memberId(6)) throw new Error('socket hang up');
            return tasks.auditRootCredentials(id);
          },
        }),
    });
    clean(env, memberId(7));
    await env.store.createRequest(requestFixture('BG-OPEN', { accountId: memberId(2), state: 'active' }));
    const accounts = [1, 2, 5, 6, 7].map(memberId);
    const started = await env.workflow.hardenings.start(REQUESTER, { accounts });
    if (!started.ok) throw new Error(started.text);
    const { id } = started;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-preview', retryAt: undefined }]);
    const rows = await env.store.hardenAccounts(id);
    const byId = new Map(rows.map((r) => [r.accountId, r]));
    expect(byId.get(memberId(1))).toMatchObject({
      present: 'password, 2 access key(s), 1 signing certificate(s), 2 MFA device(s)',
      state: 'pending',
    });
    expect(byId.get(memberId(1))?.credentials?.map((c) => c.kind)).toEqual([
      'password',
      'access-key',
      'access-key',
      'signing-certificate',
      'mfa-device',
      'mfa-device',
    ]);
    expect(byId.get(memberId(1))?.heldBy).toBeUndefined();
    expect(byId.get(memberId(2))).toMatchObject({ present: 'password', heldBy: 'BG-OPEN' });
    expect(byId.get(memberId(5))).toMatchObject({ previewError: 'root sessions denied by an SCP' });
    expect(byId.get(memberId(5))?.present).toBeUndefined();
    expect(byId.get(memberId(6))).toMatchObject({ previewError: 'socket hang up' });
    expect(byId.get(memberId(7))).toMatchObject({ present: 'no root credentials', credentials: [] });

    const h = (await env.store.getHardening(id))?.hardening;
    expect(h?.preview).toBe('ready');
    expect(h?.contentHash).toBe(hardeningHash({ ...h, contentHash: '' } as never, rows));
    expect(await notices(env.store, id)).toEqual([
      { to: 'harden-post' },
      UPDATE,
      {
        to: 'file',
        file: {
          source: 'harden-csv',
          filename: `to-harden-${id}.csv`,
          title: `Bulk hardening ${id}: every account`,
        },
      },
    ]);
    expect((await trail(env.store, id)).at(-1)).toEqual({
      actor: 'scheduler',
      action: 'previewed',
      details: {
        accounts: 5,
        withPassword: 2,
        withAccessKeys: 1,
        withCertificates: 1,
        withMfa: 1,
        clean: 1,
        unreadable: 2,
      },
    });

    // Run again (a redelivered job): nothing is read again, nothing more is said.
    const reads = env.fake.callsOf('GetAccountSummary').length;
    const preview = { ...(await env.jobOf(id, 'harden-expire')), kind: 'harden-preview' as const };
    expect(await env.workflow.runJob(preview)).toEqual({});
    expect(await env.workflow.runJob({ ...preview, requestId: 'BH-NOPE' })).toEqual({});
    expect(env.fake.callsOf('GetAccountSummary')).toHaveLength(reads);
    expect(await notices(env.store, id)).toHaveLength(3);
    expect((await trail(env.store, id)).filter((e) => e.action === 'previewed')).toHaveLength(1);
  });

  it('resumes: accounts read before a restart are not read again', async () => {
    const env = await setUp();
    const started = await env.workflow.hardenings.start(REQUESTER, { accounts: [2, 5, 6].map(memberId) });
    if (!started.ok) throw new Error(started.text);
    const rows = await rowsOf(env, started.id);
    await env.store.putHardenAccounts(started.id, [
      { ...(rows.get(memberId(2)) as HardenAccount), present: 'read before', credentials: [] },
      { ...(rows.get(memberId(5)) as HardenAccount), previewError: 'failed before' },
    ]);
    await env.runJobs();
    expect(callsIn(env, 'GetAccountSummary', memberId(2))).toEqual([]);
    expect(callsIn(env, 'GetAccountSummary', memberId(5))).toEqual([]);
    expect(callsIn(env, 'GetAccountSummary', memberId(6))).not.toEqual([]);
    const after = await rowsOf(env, started.id);
    expect(after.get(memberId(2))?.present).toBe('read before');
    expect(after.get(memberId(5))?.previewError).toBe('failed before');
    expect(after.get(memberId(6))?.present).toBe('password');
    expect((await env.store.getHardening(started.id))?.hardening.preview).toBe('ready');
  });

  it('withdrawn while its accounts are read: stays withdrawn, says nothing more', async () => {
    let withdraw: (() => Promise<unknown>) | undefined;
    const env = await setUp({
      wrap: (tasks) =>
        over(tasks, {
          auditRootCredentials: async (id) => {
            const w = withdraw;
            withdraw = undefined;
            await w?.();
            return tasks.auditRootCredentials(id);
          },
        }),
    });
    const started = await env.workflow.hardenings.start(REQUESTER, { accounts: [memberId(2)] });
    if (!started.ok) throw new Error(started.text);
    withdraw = () => env.workflow.hardenings.deny(started.id, REQUESTER);
    await env.runJobs();
    expect((await env.store.getHardening(started.id))?.hardening).toMatchObject({
      state: 'denied',
      preview: 'loading',
      contentHash: '',
    });
    expect(await notices(env.store, started.id)).toEqual([{ to: 'harden-post' }, UPDATE]);
    expect((await trail(env.store, started.id)).map((e) => e.action)).toEqual([
      'bulk hardening requested',
      'withdrawn',
    ]);
  });

  it('stores what it read 50 accounts at a time', async () => {
    let canned: RootCredentialAudit | undefined;
    const gates = new Map<string, () => void>();
    const env = await startHardeningEnv({
      members: 56,
      wrap: (tasks) =>
        over(tasks, {
          auditRootCredentials: async (id) => {
            canned ??= await tasks.auditRootCredentials(memberId(2));
            if (id === memberId(55) || id === memberId(56))
              await new Promise<void>((resolve) => gates.set(id, resolve));
            return { ...canned, accountId: id };
          },
        }),
    });
    const accounts = Array.from({ length: 52 }, (_, i) => memberId(i + 5));
    canned = await env.aws.service.auditRootCredentials(memberId(2));
    const started = await env.workflow.hardenings.start(REQUESTER, { accounts });
    if (!started.ok) throw new Error(started.text);
    const read = async () => (await env.store.hardenAccounts(started.id)).filter((r) => r.present).length;
    const running = env.runJobs();
    while (gates.size < 2) await settle();
    await settle();
    // 50 read, two waiting: stored once the 50th lands, not before.
    expect(await read()).toBe(50);
    gates.get(memberId(55))?.();
    await settle();
    expect(await read()).toBe(50);
    gates.get(memberId(56))?.();
    await running;
    expect(await read()).toBe(52);
  });
});

describe('a round', () => {
  it('deletes on every account, stores what each removed, verifies them and closes', async () => {
    const env = await setUp();
    const { store: s, clock } = env;
    const id = await approved(env, [memberId(2), memberId(5)]);
    const said = (await notices(s, id)).length;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: undefined }]);
    const rows = await rowsOf(env, id);
    expect(rows.get(memberId(2))).toMatchObject({
      state: 'done',
      attempts: 1,
      removed: 'password',
      verifiedAt: clock.now,
    });
    expect(rows.get(memberId(5))).toMatchObject({
      state: 'done',
      attempts: 1,
      removed: EVERYTHING,
      verifiedAt: clock.now,
    });
    expect(rows.get(memberId(5))?.error).toBeUndefined();
    const h = (await s.getHardening(id))?.hardening;
    expect(h).toMatchObject({
      state: 'closed',
      closedAt: clock.now,
      rounds: 0,
      finalAudit: { at: clock.now, clean: 2, present: [] },
    });
    expect(h?.nextRetryAt).toBeUndefined();
    // No progress update within 3 s: the close's update, the summary and the result CSV.
    expect((await notices(s, id)).slice(said)).toEqual([
      UPDATE,
      { to: 'harden-summary' },
      {
        to: 'file',
        file: {
          source: 'harden-csv',
          filename: `hardened-${id}.csv`,
          title: `Bulk hardening ${id}: result per account`,
        },
      },
    ]);
    const deleted = (await trail(s, id)).filter(
      (e) => e.action === 'bulk hardening: root credentials deleted',
    );
    expect(deleted.map((e) => [e.actor, e.details?.accountId, e.details?.verified])).toEqual(
      expect.arrayContaining([
        ['scheduler', memberId(2), true],
        ['scheduler', memberId(5), true],
      ]),
    );
    expect(deleted.find((e) => e.details?.accountId === memberId(5))?.details).toMatchObject({
      removed: { loginProfile: true, accessKeys: [expect.any(String), expect.any(String)] },
      errors: [],
      evidence: expect.anything(),
    });
    expect((await trail(s, id)).at(-1)).toEqual({
      actor: 'scheduler',
      action: 'bulk hardening closed',
      details: { verified: 2, givenUp: [] },
    });
    // A redelivered run job, or one of a request that is gone, does nothing.
    const deletions = env.fake.callsOf('DeleteLoginProfile').length;
    const job = { ...(await env.jobOf(await approved(env, [memberId(6)]), 'harden-run')) };
    expect(await env.workflow.runJob({ ...job, requestId: id })).toEqual({});
    expect(await env.workflow.runJob({ ...job, requestId: 'BH-NOPE' })).toEqual({});
    expect(env.fake.callsOf('DeleteLoginProfile')).toHaveLength(deletions);
    expect((await trail(s, id)).filter((e) => e.action === 'bulk hardening closed')).toHaveLength(1);
  });

  it('updates the message with progress at most every 3 s', async () => {
    let slow = 0;
    const env = await setUp({
      wrap: (tasks) =>
        over(tasks, {
          deleteRootCredentials: async (id, options) => {
            const result = await tasks.deleteRootCredentials(id, options);
            env.clock.now += slow;
            return result;
          },
        }),
    });
    const quick = await approved(env, [memberId(2)]);
    const before = (await notices(env.store, quick)).length;
    slow = HARDEN_PROGRESS_EVERY_MS - 1;
    await env.runJobs();
    expect(
      (await notices(env.store, quick)).slice(before).filter((d) => d.to === 'harden-update'),
    ).toHaveLength(1);
    const late = await approved(env, [memberId(5)]);
    const then = (await notices(env.store, late)).length;
    slow = HARDEN_PROGRESS_EVERY_MS;
    await env.runJobs();
    // The account's result with an update of the message, then the close's.
    expect((await notices(env.store, late)).slice(then).filter((d) => d.to === 'harden-update')).toHaveLength(
      2,
    );
  });

  it('never deletes on an account whose window is open: held, retried with back-off, deleted once it closed', async () => {
    const env = await setUp();
    const { store: s, clock } = env;
    const id = await approved(env, [memberId(2), memberId(5)]);
    await s.createRequest(requestFixture('BG-HOLD', { accountId: memberId(2), state: 'active' }));
    const firstRetry = clock.now + BASE;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: firstRetry }]);
    for (const action of [
      'DeleteLoginProfile',
      'DeleteAccessKey',
      'DeactivateMFADevice',
      'GetAccountSummary',
    ])
      expect(callsIn(env, action, memberId(2)).length, action).toBe(action === 'GetAccountSummary' ? 1 : 0);
    let rows = await rowsOf(env, id);
    expect(rows.get(memberId(2))).toMatchObject({ state: 'pending', attempts: 0, heldBy: 'BG-HOLD' });
    expect(rows.get(memberId(2))?.removed).toBeUndefined();
    expect(rows.get(memberId(5))).toMatchObject({ state: 'done', attempts: 1 });
    expect((await s.getHardening(id))?.hardening).toMatchObject({
      state: 'running',
      rounds: 1,
      nextRetryAt: firstRetry,
    });
    expect((await env.jobOf(id, 'harden-run')).dueAt).toBe(firstRetry);
    expect((await trail(s, id)).at(-1)).toEqual({
      actor: 'scheduler',
      action: 'bulk hardening round finished',
      details: { round: 1, done: 1, failed: [] },
    });

    // Still open at the retry: held again, the back-off doubles.
    clock.now = firstRetry;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: firstRetry + 2 * BASE }]);
    expect(callsIn(env, 'DeleteLoginProfile', memberId(2))).toEqual([]);
    expect((await s.getHardening(id))?.hardening).toMatchObject({
      rounds: 2,
      nextRetryAt: firstRetry + 2 * BASE,
    });
    expect((await rowsOf(env, id)).get(memberId(2))).toMatchObject({ heldBy: 'BG-HOLD', attempts: 0 });

    const hold = await s.getRequest('BG-HOLD');
    if (!hold) throw new Error('no window');
    await s.updateRequest('BG-HOLD', hold.version, { ...hold.request, state: 'closed' });
    clock.now = firstRetry + 2 * BASE;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: undefined }]);
    rows = await rowsOf(env, id);
    expect(rows.get(memberId(2))).toMatchObject({ state: 'done', attempts: 1, removed: 'password' });
    expect(rows.get(memberId(2))?.heldBy).toBeUndefined();
    expect(rows.get(memberId(5))?.attempts).toBe(1);
    expect((await s.getHardening(id))?.hardening.state).toBe('closed');
    expect((await s.getHardening(id))?.hardening.nextRetryAt).toBeUndefined();
  });

  it('stops starting accounts at a shutdown, to run again at once', async () => {
    const env = await setUp();
    const id = await approved(env, [memberId(2), memberId(5)]);
    const job = await env.store.claimDueJob('w', env.clock.now, 60_000);
    if (!job) throw new Error('no job');
    expect(await env.workflow.runJob(job, AbortSignal.abort())).toEqual({ retryAt: env.clock.now });
    expect(env.fake.callsOf('DeleteLoginProfile')).toEqual([]);
    expect([...(await rowsOf(env, id)).values()].map((r) => [r.state, r.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);
    expect((await env.store.getHardening(id))?.hardening).toMatchObject({ state: 'running', rounds: 0 });
    expect((await trail(env.store, id)).map((e) => e.action)).not.toContain('bulk hardening round finished');
  });
});

describe('failures, retries and give-up', () => {
  it('retries the failed accounts with back-off, each with its error, until an approver gives them up', async () => {
    const unverified = new Set([memberId(7)]);
    const env = await setUp({
      wrap: (tasks) =>
        over(tasks, {
          deleteRootCredentials: async (id, options) => {
            if (id === memberId(6)) throw new Error('socket hang up');
            const result = await tasks.deleteRootCredentials(id, options);
            if (!unverified.delete(id)) return result;
            const { error: _, ...rest } = result;
            return { ...rest, verified: false };
          },
        }),
    });
    const { store: s, clock, wakes } = env;
    env.fake.account(memberId(5)).scpDeniesInSession = true;
    const id = await approved(env, [2, 5, 6, 7].map(memberId));
    const said = (await notices(s, id)).length;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: clock.now + BASE }]);
    let rows = await rowsOf(env, id);
    expect(rows.get(memberId(2))).toMatchObject({ state: 'done', attempts: 1 });
    expect(rows.get(memberId(5))).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: expect.stringMatching(/^blocked-by-scp: /),
    });
    expect(rows.get(memberId(6))).toEqual({
      ...rows.get(memberId(6)),
      state: 'failed',
      attempts: 1,
      error: 'socket hang up',
    });
    expect(rows.get(memberId(6))?.removed).toBeUndefined();
    expect(rows.get(memberId(7))).toMatchObject({
      state: 'failed',
      attempts: 1,
      removed: EVERYTHING,
      error: 'the audit session still saw root credentials',
    });
    expect(rows.get(memberId(7))?.verifiedAt).toBeUndefined();
    expect((await s.getHardening(id))?.hardening).toMatchObject({
      state: 'running',
      rounds: 1,
      nextRetryAt: clock.now + BASE,
    });
    expect((await notices(s, id)).slice(said)).toEqual([UPDATE]);
    expect((await trail(s, id)).at(-1)).toEqual({
      actor: 'scheduler',
      action: 'bulk hardening round finished',
      details: {
        round: 1,
        done: 1,
        failed: [5, 6, 7].map((n) => ({
          accountId: memberId(n),
          attempts: 1,
          error: rows.get(memberId(n))?.error,
        })),
      },
    });

    // Round two: the unverified one is verified now (nothing left to remove); the others fail again.
    clock.now += BASE;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: clock.now + 2 * BASE }]);
    rows = await rowsOf(env, id);
    expect(rows.get(memberId(7))).toMatchObject({
      state: 'done',
      attempts: 2,
      removed: `${EVERYTHING}; then nothing removed`,
      verifiedAt: clock.now,
    });
    expect(rows.get(memberId(7))?.error).toBeUndefined();
    expect(rows.get(memberId(5))?.attempts).toBe(2);
    expect(rows.get(memberId(2))?.attempts).toBe(1);

    // Give up: only an approver, only on the accounts the message showed.
    const failed = [memberId(5), memberId(6)];
    expect(await env.workflow.hardenings.giveUp(id, REQUESTER, giveUpDigest(failed))).toEqual({
      ok: false,
      text: 'Nothing given up: only approvers can give up on accounts (under rule default).',
    });
    expect(await env.workflow.hardenings.giveUp(id, BOTH_1, giveUpDigest([memberId(5)]))).toEqual({
      ok: false,
      text: 'Nothing given up: the failed accounts changed since that message (2 now); look at the updated message and give up again.',
    });
    const beforeGiveUp = (await notices(s, id)).length;
    const woken = wakes.scheduler;
    clock.now += 1_000;
    expect(await env.workflow.hardenings.giveUp(id, BOTH_1, giveUpDigest(failed))).toEqual({
      ok: true,
      text: 'Gave up on 2 account(s); their root credentials stay as they are.',
    });
    expect((await s.getHardening(id))?.hardening.givenUp).toEqual({
      userId: BOTH_1,
      at: clock.now,
      accounts: failed,
    });
    expect((await notices(s, id)).slice(beforeGiveUp)).toEqual([UPDATE]);
    // Its next round is brought forward, to close now.
    expect(wakes.scheduler).toBe(woken + 1);
    expect((await env.jobOf(id, 'harden-run')).dueAt).toBe(clock.now);
    expect((await trail(s, id)).at(-1)).toEqual({
      actor: BOTH_1,
      action: 'gave up on failed accounts',
      details: { accounts: failed },
    });
    expect(await env.workflow.hardenings.giveUp(id, BOTH_2, giveUpDigest(failed))).toEqual({
      ok: false,
      text: 'Nothing given up: no account has failed: nothing to give up on.',
    });

    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: undefined }]);
    const h = (await s.getHardening(id))?.hardening;
    expect(h).toMatchObject({ state: 'closed', finalAudit: { clean: 2, present: [] } });
    expect(h?.nextRetryAt).toBeUndefined();
    expect(callsIn(env, 'DeleteLoginProfile', memberId(6))).toEqual([]);
    expect((await rowsOf(env, id)).get(memberId(5))).toMatchObject({ state: 'failed', attempts: 2 });
    expect((await trail(s, id)).at(-1)).toEqual({
      actor: 'scheduler',
      action: 'bulk hardening closed',
      details: { verified: 2, givenUp: failed },
    });
    expect(await env.workflow.hardenings.giveUp(id, BOTH_1, giveUpDigest(failed))).toEqual({
      ok: false,
      text: 'Nothing given up: this request is closed, not running.',
    });
  });

  it('given up while its round runs: the round closes the request, its job left alone', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const env = await setUp({
      wrap: (tasks) =>
        over(tasks, {
          deleteRootCredentials: async (id, options) => {
            if (id === memberId(5)) throw new RootTaskError('blocked-by-scp', 'denied by an SCP');
            await gate;
            return tasks.deleteRootCredentials(id, options);
          },
        }),
    });
    const { store: s, wakes } = env;
    const id = await approved(env, [memberId(2), memberId(5)]);
    const running = env.runJobs();
    while ((await rowsOf(env, id)).get(memberId(5))?.state !== 'failed') await settle();
    const woken = wakes.scheduler;
    expect(await env.workflow.hardenings.giveUp(id, BOTH_1, giveUpDigest([memberId(5)]))).toMatchObject({
      ok: true,
    });
    // The job is held by the round: not woken, not moved.
    expect(wakes.scheduler).toBe(woken);
    release?.();
    expect(await running).toEqual([{ kind: 'harden-run', retryAt: undefined }]);
    const h = (await s.getHardening(id))?.hardening;
    expect(h).toMatchObject({ state: 'closed', rounds: 0, givenUp: { accounts: [memberId(5)] } });
    expect((await rowsOf(env, id)).get(memberId(5))).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: 'denied by an SCP',
    });
    expect((await trail(s, id)).map((e) => e.action)).not.toContain('bulk hardening round finished');
  });
  it('given up right after its round ended: run again at once to close, not at the next retry', async () => {
    const env = await setUp({
      wrap: (tasks) =>
        over(tasks, {
          deleteRootCredentials: async (id, options) => {
            if (id === memberId(5)) throw new RootTaskError('blocked-by-scp', 'denied by an SCP');
            return tasks.deleteRootCredentials(id, options);
          },
        }),
    });
    const { store: s, clock } = env;
    const id = await approved(env, [memberId(2), memberId(5)]);
    // The approver's click lands between the round's last read of the request and its retry.
    const read = s.getHardening.bind(s);
    let reads = 0;
    let clicked = false;
    const spy = vi.spyOn(s, 'getHardening').mockImplementation(async (hid) => {
      if (!clicked && ++reads === 3) {
        clicked = true;
        const given = await env.workflow.hardenings.giveUp(id, BOTH_1, giveUpDigest([memberId(5)]));
        if (!given.ok) throw new Error(given.text);
      }
      return read(hid);
    });
    expect(await env.runJobs()).toEqual([
      { kind: 'harden-run', retryAt: clock.now },
      { kind: 'harden-run', retryAt: undefined },
    ]);
    spy.mockRestore();
    expect(clicked).toBe(true);
    expect((await s.getHardening(id))?.hardening).toMatchObject({ state: 'closed', rounds: 0 });
    expect((await trail(s, id)).map((e) => e.action)).not.toContain('bulk hardening round finished');
  });
  it('closes with a held account given up, left as it is', async () => {
    const env = await setUp();
    const { store: s, clock } = env;
    const id = await approved(env, [memberId(2), memberId(5)]);
    await s.createRequest(requestFixture('BG-HOLD', { accountId: memberId(5), state: 'active' }));
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: clock.now + BASE }]);
    expect(await env.workflow.hardenings.giveUp(id, BOTH_2, giveUpDigest([memberId(5)]))).toMatchObject({
      ok: true,
    });
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: undefined }]);
    expect((await s.getHardening(id))?.hardening).toMatchObject({
      state: 'closed',
      finalAudit: { clean: 1 },
    });
    expect((await rowsOf(env, id)).get(memberId(5))).toMatchObject({
      state: 'pending',
      attempts: 0,
      heldBy: 'BG-HOLD',
    });
    expect(callsIn(env, 'DeleteLoginProfile', memberId(5))).toEqual([]);
    expect((await trail(s, id)).at(-1)?.details).toEqual({ verified: 1, givenUp: [memberId(5)] });
  });

  it('runs through in a deployment that neither wakes its workers nor reads group members', async () => {
    const env = await setUp({ bare: true });
    const { store: s } = env;
    env.fake.account(memberId(5)).scpDeniesInSession = true;
    // Two rules, and no group lookup to check them up front: requested.
    expect(
      await env.workflow.hardenings.start(REQUESTER, { accounts: [memberId(2), memberId(4)] }),
    ).toMatchObject({
      ok: true,
    });
    const id = await approved(env, [memberId(2), memberId(5)]);
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: env.clock.now + BASE }]);
    expect(await env.workflow.hardenings.giveUp(id, BOTH_1, giveUpDigest([memberId(5)]))).toMatchObject({
      ok: true,
    });
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: undefined }]);
    expect((await s.getHardening(id))?.hardening.state).toBe('closed');
    expect(env.wakes).toEqual({ scheduler: 0, outbox: 0 });
  });
});

describe('the verification audit at the end', () => {
  it('fails an account it cannot read, to be retried', async () => {
    let deleted = false;
    const env = await setUp({
      wrap: (tasks) =>
        over(tasks, {
          auditRootCredentials: async (id) => {
            if (deleted) throw new RootTaskError('throttled', 'Rate exceeded');
            return tasks.auditRootCredentials(id);
          },
          deleteRootCredentials: async (id, options) => {
            const result = await tasks.deleteRootCredentials(id, options);
            deleted = true;
            return result;
          },
        }),
    });
    const id = await approved(env, [memberId(2)]);
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: env.clock.now + BASE }]);
    const row = (await rowsOf(env, id)).get(memberId(2));
    expect(row).toMatchObject({
      state: 'failed',
      attempts: 1,
      removed: 'password',
      error: 'the verification audit at the end failed: Rate exceeded',
    });
    expect(row?.verifiedAt).toBeUndefined();
    expect((await env.store.getHardening(id))?.hardening).toMatchObject({ state: 'running', rounds: 1 });
  });

  it('holds a done account whose window opened since, verifies the others, and deletes on it again once it closed', async () => {
    let open: (() => Promise<void>) | undefined;
    let audits = 0;
    const env = await setUp({
      wrap: (tasks) =>
        over(tasks, {
          auditRootCredentials: async (id) => {
            audits++;
            return tasks.auditRootCredentials(id);
          },
          deleteRootCredentials: async (id, options) => {
            const result = await tasks.deleteRootCredentials(id, options);
            if (id === memberId(5)) await open?.();
            return result;
          },
        }),
    });
    const { store: s, clock } = env;
    const id = await approved(env, [memberId(2), memberId(5)]);
    open = async () => {
      open = undefined;
      await s.createRequest(requestFixture('BG-LATE', { accountId: memberId(5), state: 'active' }));
    };
    audits = 0;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: clock.now + BASE }]);
    // Only the account without a window is audited at the end.
    expect(audits).toBe(1);
    let rows = await rowsOf(env, id);
    expect(rows.get(memberId(5))).toMatchObject({
      state: 'pending',
      attempts: 1,
      removed: EVERYTHING,
      heldBy: 'BG-LATE',
    });
    expect(rows.get(memberId(5))?.verifiedAt).toBeUndefined();
    expect(rows.get(memberId(2))).toMatchObject({ state: 'done', verifiedAt: clock.now });
    expect((await s.getHardening(id))?.hardening).toMatchObject({ state: 'running', rounds: 1 });

    const late = await s.getRequest('BG-LATE');
    if (!late) throw new Error('no window');
    await s.updateRequest('BG-LATE', late.version, { ...late.request, state: 'closed' });
    clock.now += BASE;
    expect(await env.runJobs()).toEqual([{ kind: 'harden-run', retryAt: undefined }]);
    rows = await rowsOf(env, id);
    expect(rows.get(memberId(5))).toMatchObject({
      state: 'done',
      attempts: 2,
      removed: `${EVERYTHING}; then nothing removed`,
      verifiedAt: clock.now,
    });
    expect(rows.get(memberId(5))?.heldBy).toBeUndefined();
    expect((await s.getHardening(id))?.hardening).toMatchObject({
      state: 'closed',
      finalAudit: { clean: 2 },
    });
  });
});
