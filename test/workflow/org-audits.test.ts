/**
 * Org-wide audits in the workflow (real SQLite store, fake clock, fake AWS):
 * one at a time, rows stored as they come with spaced progress updates, a run
 * stopped half-way resumed without counting an account twice, retries then a
 * close with what it has, and the summary, its update and the CSV written with
 * the close. What people see: the run, its rows, its notices and its trail.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountAuditRow } from '../../src/aws/org-audit.js';
import { createLogger } from '../../src/log.js';
import type { Job } from '../../src/store/store.js';
import { AUDIT_SCHEDULE_ID, BUSY_RETRY_MS } from '../../src/workflow/drift.js';
import { type BulkAudit, csvFile, newOrgAuditId } from '../../src/workflow/org-audits.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import { orgAuditRowFixture, requestFixture } from '../support/fixtures.js';
import { APPROVER_A, REQUESTER, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';

const DAY = 86_400_000;
let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Lets the rows' store chain run (the SQLite store answers synchronously). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function account(n: number) {
  return { id: memberId(n), name: `member ${n}`, email: `root${n}@example.com`, state: 'ACTIVE' as const };
}

/** Audits member `n` with the real root-task service over the fake AWS. */
async function audited(e: WorkflowEnv, n: number): Promise<AccountAuditRow> {
  return { account: account(n), ok: true, audit: await e.aws.service.auditRootCredentials(memberId(n)) };
}

function blind(n: number, kind = 'blocked-by-scp'): AccountAuditRow {
  return { account: account(n), ok: false, error: { kind, message: 'AccessDenied', remediation: 'fix it' } };
}

type Options = Parameters<BulkAudit['auditAccounts']>[0];

/** A bulk audit whose every call is scripted by the test; each call's skip set is kept. */
function scripted(script: (o: Options, call: number) => Promise<void>) {
  const skips: string[][] = [];
  const bulk: BulkAudit = {
    auditAccounts: async (o) => {
      skips.push([...o.skip].sort());
      await script(o, skips.length);
    },
  };
  return { bulk, skips };
}

/** Audits members 1..n (real audits), one after the other. */
function members(count: number, stepMs = 0) {
  return scripted(async ({ onListed, onRow }) => {
    if (!env) throw new Error('no env');
    onListed(count);
    for (let n = 1; n <= count; n++) {
      const row = await audited(env, n);
      env.clock.now += stepMs;
      onRow(row);
    }
  });
}

const kinds = async (e: WorkflowEnv, id: string) =>
  (await e.store.listDeliveries(id)).map((d) =>
    d.delivery.to === 'file' ? `file:${d.delivery.file.filename}` : d.delivery.to,
  );

async function orgAuditJob(e: WorkflowEnv, id: string): Promise<Job> {
  const job = (await e.store.pendingJobs(id)).find((j) => j.kind === 'org-audit');
  if (!job) throw new Error(`no org-audit job for ${id}`);
  return job;
}

describe('org-wide audit ids and files', () => {
  it('names a run OA- and six unambiguous characters, different each time', () => {
    const ids = Array.from({ length: 50 }, () => newOrgAuditId());
    for (const id of ids) expect(id).toMatch(/^OA-[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/);
    expect(new Set(ids).size).toBe(50);
    // Every character of the alphabet can appear (b % 32 over random bytes), not only the first.
    const chars = new Set(ids.flatMap((id) => [...id.slice(3)]));
    expect(chars.size).toBeGreaterThan(16);
  });

  it('names the CSV after the day the run started and its id', () => {
    const file = csvFile({
      id: 'OA-ABC234',
      requestedBy: REQUESTER,
      startedAt: Date.parse('2026-03-04T23:59:00Z'),
      state: 'done',
      done: 1,
    });
    expect(file).toEqual({
      to: 'file',
      file: {
        source: 'org-audit-csv',
        filename: 'root-credentials-2026-03-04-OA-ABC234.csv',
        title: 'Root credentials, every account (OA-ABC234)',
      },
    });
  });
});

describe('an org-wide audit asked in Slack', () => {
  it('starts one run with its job and summary, and tells a second asker which runs and when it should finish', async () => {
    let wakes = 0;
    let outboxWakes = 0;
    const { bulk } = members(3);
    env = await startWorkflowEnv({
      bulkAudit: bulk,
      wake: () => wakes++,
      wakeOutbox: () => outboxWakes++,
    });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    const { run } = started;
    expect(run).toEqual({
      id: expect.stringMatching(/^OA-/),
      requestedBy: REQUESTER,
      startedAt: env.clock.now,
      state: 'running',
      done: 0,
    });
    expect(wakes).toBe(1);
    expect(outboxWakes).toBe(1);
    expect(await env.store.getOrgAudit(run.id)).toMatchObject({ state: 'running', requestedBy: REQUESTER });
    expect(await kinds(env, run.id)).toEqual(['audit-post']);
    expect((await env.store.pendingJobs(run.id)).map((j) => [j.kind, j.dueAt])).toEqual([
      ['org-audit', env.clock.now],
    ]);
    expect(await env.store.listAudit(run.id)).toMatchObject([
      { actor: REQUESTER, action: 'org-wide audit started', requestId: run.id },
    ]);

    // Nothing audited yet: which one runs, no estimate.
    const busy = await env.workflow.orgAudits.start(APPROVER_A);
    expect(busy).toEqual({ started: false, running: expect.objectContaining({ id: run.id }) });
    expect(Object.keys(busy)).toEqual(['started', 'running']);
    expect(wakes).toBe(1);
    // Half-way, 10 s in: the estimate is as far again.
    await env.store.recordOrgAuditRows(run.id, [], { total: 4 });
    await env.store.recordOrgAuditRows(
      run.id,
      [
        { ...emptyRow(1), status: 'clean' },
        { ...emptyRow(2), status: 'clean' },
      ],
      {},
    );
    env.clock.now += 10_000;
    const later = await env.workflow.orgAudits.start(APPROVER_A);
    expect(later).toEqual({
      started: false,
      running: expect.objectContaining({ id: run.id, done: 2, total: 4 }),
      finishAt: env.clock.now + 10_000,
    });
    // Only the first run was ever started.
    const trail = (await env.store.listAudit(undefined, 100)).filter(
      (a) => a.action === 'org-wide audit started',
    );
    expect(trail).toHaveLength(1);
  });

  it('audits every account, stores its rows, and closes with the summary updated and the CSV', async () => {
    const { bulk, skips } = members(3);
    // Drift detection on: a run asked in Slack still neither checks drift nor touches the schedule.
    env = await startWorkflowEnv({ bulkAudit: bulk, settings: { auditEveryMs: DAY } });
    env.aws.fake.account(memberId(2)).root = fullyCredentialed(memberId(2));
    // An open window on member 3: its row says so.
    await env.store.createRequest(
      requestFixture('BG-OPENWIN1', { accountId: memberId(3), state: 'active', requesterId: REQUESTER }),
    );
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    const id = started.run.id;
    await env.runDue();
    expect(skips).toEqual([[]]);
    const run = await env.store.getOrgAudit(id);
    expect(run).toMatchObject({ state: 'done', total: 3, done: 3, finishedAt: env.clock.now });
    expect(run?.error).toBeUndefined();
    const rows = await env.store.orgAuditRows(id);
    expect(rows.map((r) => [r.accountId, r.status, r.openWindow])).toEqual([
      [memberId(1), 'clean', ''],
      [memberId(2), 'present', ''],
      [memberId(3), 'clean', 'BG-OPENWIN1'],
    ]);
    expect(await kinds(env, id)).toEqual([
      'audit-post',
      'audit-update',
      `file:root-credentials-2026-11-26-${id}.csv`,
    ]);
    // No drift check for a run asked in Slack.
    expect(await env.store.driftRecords()).toEqual([]);
    const trail = await env.store.listAudit(id);
    expect(trail.map((a) => a.action)).toEqual(['org-wide audit started', 'org-wide audit finished']);
    expect(trail[1]).toMatchObject({ actor: 'scheduler' });
    expect(trail[1]?.details).toEqual({
      accounts: 3,
      clean: 2,
      present: 1,
      expected: 0,
      withPassword: 1,
      withAccessKeys: 1,
      withCertificates: 1,
      withMfa: 1,
      failed: 0,
      notAuditable: {},
    });
    expect(await env.store.pendingJobs(id)).toEqual([]);
    // The schedule is none of its business.
    expect(await env.store.pendingJobs(AUDIT_SCHEDULE_ID)).toEqual([]);
  });

  it('closes an audit of an organization without member accounts with a total of none', async () => {
    const { bulk } = scripted(async ({ onListed }) => onListed(0));
    env = await startWorkflowEnv({ bulkAudit: bulk });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    await env.runDue();
    expect(await env.store.getOrgAudit(started.run.id)).toMatchObject({ state: 'done', total: 0, done: 0 });
    expect(await kinds(env, started.run.id)).toEqual([
      'audit-post',
      'audit-update',
      `file:root-credentials-2026-11-26-${started.run.id}.csv`,
    ]);
  });

  it('counts the accounts it cannot audit by reason in the trail', async () => {
    const { bulk } = scripted(async ({ onListed, onRow }) => {
      onListed(3);
      onRow(blind(1));
      onRow(blind(2, 'not-active'));
      onRow(blind(3));
    });
    env = await startWorkflowEnv({ bulkAudit: bulk });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    await env.runDue();
    const finished = (await env.store.listAudit(started.run.id)).find(
      (a) => a.action === 'org-wide audit finished',
    );
    expect(finished?.details).toMatchObject({
      accounts: 3,
      failed: 3,
      notAuditable: { 'blocked-by-scp': 2, 'not-active': 1 },
    });
    expect(finished?.details).not.toHaveProperty('reasons');
    expect(finished?.details).not.toHaveProperty('error');
  });

  it('stores rows while it runs: every 100 rows, or after half a second', async () => {
    const seen: number[] = [];
    let runId = '';
    const { bulk } = scripted(async ({ onListed, onRow }) => {
      if (!env) throw new Error('no env');
      const e = env;
      const done = async () => (await e.store.getOrgAudit(runId))?.done ?? -1;
      onListed(250);
      await settle();
      for (let n = 1; n <= 99; n++) onRow(blind(n));
      await settle();
      seen.push(await done());
      onRow(blind(100));
      await settle();
      seen.push(await done());
      // 499 ms after the last store: not yet.
      e.clock.now += 499;
      onRow(blind(101));
      await settle();
      seen.push(await done());
      // 500 ms after it: stored.
      e.clock.now += 1;
      onRow(blind(102));
      await settle();
      seen.push(await done());
    });
    env = await startWorkflowEnv({ bulkAudit: bulk });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    runId = started.run.id;
    await env.runDue();
    expect(seen).toEqual([0, 100, 100, 102]);
    expect(await env.store.getOrgAudit(runId)).toMatchObject({ state: 'done', done: 102, total: 250 });
  });

  it('updates the summary at most every 3 s while it runs', async () => {
    // Each account takes 1 s: updates at 3 s and 6 s, then the final one; none for the listing.
    const { bulk } = members(7, 1000);
    let outboxWakes = 0;
    env = await startWorkflowEnv({ members: 7, bulkAudit: bulk, wakeOutbox: () => outboxWakes++ });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    await env.runDue();
    const id = started.run.id;
    // The outbox is woken for the summary, each update and the close.
    expect(outboxWakes).toBe(4);
    expect(await kinds(env, id)).toEqual([
      'audit-post',
      'audit-update',
      'audit-update',
      'audit-update',
      `file:root-credentials-2026-11-26-${id}.csv`,
    ]);
  });

  it('reads the open windows again every 2 s while it runs', async () => {
    const { bulk } = scripted(async ({ onListed, onRow }) => {
      if (!env) throw new Error('no env');
      const e = env;
      const start = e.clock.now;
      onListed(4);
      // Windows open on members 2 and 4 after the run read them.
      await e.store.createRequest(
        requestFixture('BG-WINDOW2', { accountId: memberId(2), state: 'active', requesterId: REQUESTER }),
      );
      await e.store.createRequest(
        requestFixture('BG-WINDOW4', { accountId: memberId(4), state: 'executing', requesterId: REQUESTER }),
      );
      // 1.5 s on: rows stored, the windows not read again.
      e.clock.now = start + 1500;
      onRow(await audited(e, 1));
      await settle();
      onRow(await audited(e, 2));
      // 2 s after the last read: read again after this store.
      e.clock.now = start + 2000;
      onRow(await audited(e, 3));
      await settle();
      onRow(await audited(e, 4));
    });
    env = await startWorkflowEnv({ bulkAudit: bulk });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    await env.runDue();
    const rows = await env.store.orgAuditRows(started.run.id);
    expect(rows.map((r) => r.openWindow)).toEqual(['', '', '', 'BG-WINDOW4']);
  });

  it('resumes a run stopped half-way without auditing or counting an account twice', async () => {
    const controller = new AbortController();
    const { bulk, skips } = scripted(async ({ skip, shouldStop, onListed, onRow }, call) => {
      if (!env) throw new Error('no env');
      const todo = [1, 2, 3, 4].filter((n) => !skip.has(memberId(n)));
      onListed(todo.length);
      for (const n of todo) {
        expect(shouldStop()).toBe(false);
        onRow(await audited(env, n));
        if (call === 1 && n === 2) controller.abort();
        if (shouldStop()) return;
      }
    });
    env = await startWorkflowEnv({ bulkAudit: bulk });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    const id = started.run.id;
    const job = await orgAuditJob(env, id);
    env.clock.now += 5000;
    // Stopped by a shutdown: what was audited is stored, and the job goes on now.
    expect(await env.workflow.runJob(job, controller.signal)).toEqual({ retryAt: env.clock.now });
    expect(await env.store.getOrgAudit(id)).toMatchObject({ state: 'running', done: 2, total: 4 });
    expect(await kinds(env, id)).toEqual(['audit-post']);
    // The next process: the two stored accounts are skipped, and still counted.
    expect(await env.workflow.runJob(job)).toEqual({});
    expect(skips).toEqual([[], [memberId(1), memberId(2)]]);
    expect(await env.store.getOrgAudit(id)).toMatchObject({ state: 'done', done: 4, total: 4 });
    expect((await env.store.orgAuditRows(id)).map((r) => r.accountId)).toEqual([1, 2, 3, 4].map(memberId));
    expect(await kinds(env, id)).toEqual([
      'audit-post',
      'audit-update',
      `file:root-credentials-2026-11-26-${id}.csv`,
    ]);
    // Run again (a duplicate claim): nothing happens.
    expect(await env.workflow.runJob(job)).toEqual({});
    expect((await env.store.listAudit(id)).map((a) => a.action)).toEqual([
      'org-wide audit started',
      'org-wide audit finished',
    ]);
  });

  it('closes a run claimed twice at once (a lapsed lease) once', async () => {
    const { bulk, skips } = members(2);
    env = await startWorkflowEnv({ bulkAudit: bulk });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    const id = started.run.id;
    const job = await orgAuditJob(env, id);
    expect(await Promise.all([env.workflow.runJob(job), env.workflow.runJob(job)])).toEqual([{}, {}]);
    expect(skips).toHaveLength(2);
    expect(await env.store.getOrgAudit(id)).toMatchObject({ state: 'done', done: 2 });
    expect((await env.store.listAudit(id)).map((a) => a.action)).toEqual([
      'org-wide audit started',
      'org-wide audit finished',
    ]);
    expect(await kinds(env, id)).toEqual([
      'audit-post',
      'audit-update',
      `file:root-credentials-2026-11-26-${id}.csv`,
    ]);
  });

  it('retries a run that fails twice, and closes the third with what it audited and why', async () => {
    const { bulk, skips } = scripted(async ({ onListed, onRow }, call) => {
      if (!env) throw new Error('no env');
      onListed(3);
      if (call === 1) onRow(await audited(env, 1));
      throw new Error(`ListAccounts denied (${call})`);
    });
    const logged: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    });
    env = await startWorkflowEnv({
      bulkAudit: bulk,
      settings: { auditEveryMs: DAY },
      log: createLogger({ level: 'debug' }, sink),
    });
    // Root credentials on the account it audits: a run asked in Slack is no drift check, even when it stops.
    env.aws.fake.account(memberId(1)).root = fullyCredentialed(memberId(1));
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    const id = started.run.id;
    await env.runDue();
    // The row audited before it failed is stored.
    expect(await env.store.getOrgAudit(id)).toMatchObject({ state: 'running', done: 1, total: 3 });
    expect((await orgAuditJob(env, id)).dueAt).toBe(env.clock.now + 30_000);
    await env.advance(29_999);
    expect(skips).toHaveLength(1);
    await env.advance(1);
    expect(skips).toEqual([[], [memberId(1)]]);
    expect(await env.store.getOrgAudit(id)).toMatchObject({ state: 'running' });
    await env.advance(30_000);
    expect(skips).toHaveLength(3);
    const run = await env.store.getOrgAudit(id);
    expect(run).toMatchObject({
      state: 'done',
      done: 1,
      error: 'the audit stopped: ListAccounts denied (3)',
    });
    // One account audited: the CSV has it.
    expect(await kinds(env, id)).toEqual([
      'audit-post',
      'audit-update',
      `file:root-credentials-2026-11-26-${id}.csv`,
    ]);
    const finished = (await env.store.listAudit(id)).find((a) => a.action === 'org-wide audit finished');
    expect(finished?.details).toMatchObject({
      accounts: 1,
      present: 1,
      error: 'the audit stopped: ListAccounts denied (3)',
    });
    expect(await env.store.driftRecords()).toEqual([]);
    expect(await env.store.pendingJobs(id)).toEqual([]);
    // Each failure is logged, with its attempt.
    const failures = logged.map((l) => JSON.parse(l)).filter((l) => l.msg === 'org-wide audit failed');
    expect(failures.map((l) => [l.level, l.auditId, l.err, l.attempt])).toEqual([
      [50, id, 'ListAccounts denied (1)', 1],
      [50, id, 'ListAccounts denied (2)', 2],
      [50, id, 'ListAccounts denied (3)', 3],
    ]);
  });

  it('closes a run that never listed an account without a CSV, whatever it was thrown', async () => {
    const { bulk } = scripted(async () => {
      throw 'no organization';
    });
    env = await startWorkflowEnv({ bulkAudit: bulk });
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    const id = started.run.id;
    const job = await orgAuditJob(env, id);
    expect(await env.workflow.runJob({ ...job, attempts: 2 })).toEqual({ retryAt: env.clock.now + 30_000 });
    expect(await env.workflow.runJob({ ...job, attempts: 3 })).toEqual({});
    expect(await env.store.getOrgAudit(id)).toMatchObject({
      state: 'done',
      done: 0,
      error: 'the audit stopped: no organization',
    });
    // Asked in Slack: its summary is there already; updated, no file.
    expect(await kinds(env, id)).toEqual(['audit-post', 'audit-update']);
  });

  it('refuses to run without a bulk audit, and ignores a job whose run is unknown', async () => {
    env = await startWorkflowEnv();
    const started = await env.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('not started');
    const job = await orgAuditJob(env, started.run.id);
    await expect(env.workflow.runJob(job)).rejects.toThrow(
      'bug: no bulk audit configured for org-wide audits',
    );
    expect(await env.workflow.runJob({ ...job, requestId: 'OA-UNKNWN' })).toEqual({});
  });
});

describe('a scheduled org-wide audit', () => {
  it('is not started when the schedule is off', async () => {
    const { bulk } = members(1);
    env = await startWorkflowEnv({ bulkAudit: bulk });
    expect(await env.workflow.orgAudits.startScheduled()).toEqual({});
    expect(await env.store.listAudit(undefined, 100)).toEqual([]);
    expect(await env.store.latestOrgAudit()).toBeUndefined();
  });

  it('starts quietly, waits for one asked in Slack, and leaves it to another scheduled run to schedule the next', async () => {
    let wakes = 0;
    const { bulk } = members(1);
    env = await startWorkflowEnv({ bulkAudit: bulk, settings: { auditEveryMs: DAY }, wake: () => wakes++ });
    const asked = await env.workflow.orgAudits.start(REQUESTER);
    if (!asked.started) throw new Error('not started');
    expect(wakes).toBe(1);
    // One asked in Slack runs: try again in a minute.
    expect(await env.workflow.orgAudits.startScheduled()).toEqual({ retryAt: env.clock.now + BUSY_RETRY_MS });
    expect(wakes).toBe(1);
    await env.runDue();
    expect(await env.workflow.orgAudits.startScheduled()).toEqual({});
    expect(wakes).toBe(2);
    const scheduled = (await env.store.listAudit(undefined, 100)).find(
      (a) => a.action === 'scheduled org-wide audit started',
    );
    expect(scheduled).toMatchObject({ actor: 'scheduler' });
    const id = scheduled?.requestId ?? '';
    expect(await env.store.getOrgAudit(id)).toMatchObject({
      requestedBy: 'scheduler',
      scheduled: true,
      startedAt: env.clock.now,
      state: 'running',
      done: 0,
    });
    // Quiet: no summary until it has something to alert.
    expect(await env.store.listDeliveries(id)).toEqual([]);
    // Another scheduled one while it runs: nothing to do, it schedules the next itself.
    expect(await env.workflow.orgAudits.startScheduled()).toEqual({});
    expect(wakes).toBe(2);
  });

  it('posts no progress while it runs, and schedules the next run when it ends', async () => {
    const { bulk } = members(7, 1000);
    env = await startWorkflowEnv({ members: 7, bulkAudit: bulk, settings: { auditEveryMs: DAY } });
    await env.workflow.orgAudits.drift.ensureSchedule();
    const first = env.clock.now;
    await env.runDue();
    const scheduled = (await env.store.listAudit(undefined, 100)).find(
      (a) => a.action === 'scheduled org-wide audit started',
    );
    const id = scheduled?.requestId ?? '';
    expect(await env.store.getOrgAudit(id)).toMatchObject({ state: 'done', done: 7, total: 7 });
    expect(await env.store.listDeliveries(id)).toEqual([]);
    expect((await env.store.pendingJobs(AUDIT_SCHEDULE_ID)).map((j) => [j.kind, j.dueAt])).toEqual([
      ['audit-schedule', first + 7000 + DAY],
    ]);
  });

  it('schedules the next run when its job finds it closed by a process that died before doing so', async () => {
    const { bulk } = members(1);
    env = await startWorkflowEnv({ bulkAudit: bulk, settings: { auditEveryMs: DAY } });
    await env.workflow.orgAudits.startScheduled();
    const id =
      (await env.store.listAudit(undefined, 100)).find((a) => a.action === 'scheduled org-wide audit started')
        ?.requestId ?? '';
    const job = await orgAuditJob(env, id);
    await env.store.finishOrgAudit(id, env.clock.now, []);
    env.clock.now += 1000;
    expect(await env.workflow.runJob(job)).toEqual({});
    expect((await env.store.pendingJobs(AUDIT_SCHEDULE_ID)).map((j) => j.dueAt)).toEqual([
      env.clock.now + DAY,
    ]);
    // A run asked in Slack, closed: no schedule of its own.
    const asked = await env.workflow.orgAudits.start(REQUESTER);
    if (!asked.started) throw new Error('not started');
    await env.store.finishOrgAudit(asked.run.id, env.clock.now, []);
    await env.store.cancelJobs(AUDIT_SCHEDULE_ID, ['audit-schedule']);
    expect(await env.workflow.runJob(await orgAuditJob(env, asked.run.id))).toEqual({});
    expect(await env.store.pendingJobs(AUDIT_SCHEDULE_ID)).toEqual([]);
  });
});

function emptyRow(n: number) {
  return orgAuditRowFixture(memberId(n), { name: `member ${n}` });
}
