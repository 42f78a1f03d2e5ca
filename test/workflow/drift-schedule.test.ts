/**
 * The scheduled drift check in the workflow (real SQLite store, fake clock):
 * a run that cannot finish is told in the channel, never only logged, and the
 * schedule goes on; a run that finds nothing to alert stays quiet.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_SCHEDULE_ID } from '../../src/workflow/drift.js';
import type { BulkAudit } from '../../src/workflow/org-audits.js';
import { emptyRootUser } from '../fakes/aws/model.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import { requestFixture } from '../support/fixtures.js';
import { REQUESTER, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';

const DAY = 86_400_000;
let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const denied: BulkAudit = {
  auditAccounts: async () => {
    throw new Error('AccessDenied: not authorized to perform organizations:ListAccounts');
  },
};

/** Audits the first member over the fake AWS with the real root-task service: it has no root credentials. */
const oneCleanAccount: BulkAudit = {
  auditAccounts: async ({ onListed, onRow }) => {
    if (!env) throw new Error('no env');
    const id = memberId(1);
    onListed(1);
    const audit = await env.aws.service.auditRootCredentials(id);
    onRow({ account: { id, name: 'member 1', email: 'root@example.com', state: 'ACTIVE' }, ok: true, audit });
  },
};

/** One member whose root sessions an SCP denies: it cannot be audited. */
const oneBlindAccount: BulkAudit = {
  auditAccounts: async ({ onListed, onRow }) => {
    const id = memberId(1);
    onListed(1);
    onRow({
      account: { id, name: 'member 1', email: 'root@example.com', state: 'ACTIVE' },
      ok: false,
      error: { kind: 'blocked-by-scp', message: 'AccessDenied by an SCP', remediation: 'exempt the account' },
    });
  },
};

/** Audits the first member (root credentials set in the test), then the account list fails. */
const partThenDenied: BulkAudit = {
  auditAccounts: async ({ onListed, onRow }) => {
    if (!env) throw new Error('no env');
    const id = memberId(1);
    onListed(2);
    const audit = await env.aws.service.auditRootCredentials(id);
    onRow({ account: { id, name: 'member 1', email: 'root@example.com', state: 'ACTIVE' }, ok: true, audit });
    throw new Error('AccessDenied: not authorized to perform organizations:ListAccounts (page 2)');
  },
};

async function scheduledRun(e: WorkflowEnv) {
  const runs = (await e.store.listAudit(undefined, 100)).filter(
    (a) => a.action === 'scheduled org-wide audit started',
  );
  const id = runs[0]?.requestId;
  if (!id) throw new Error('no scheduled run started');
  return id;
}

describe('the scheduled drift check', () => {
  it('posts its summary with why when it cannot finish, once, and keeps the schedule', async () => {
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, bulkAudit: denied });
    await env.workflow.orgAudits.drift.ensureSchedule();
    await env.runDue();
    // Three attempts, 30 s apart, then the run closes with the error.
    await env.advance(30_000);
    await env.advance(30_000);
    const id = await scheduledRun(env);
    const run = await env.store.getOrgAudit(id);
    expect(run).toMatchObject({ state: 'done', scheduled: true });
    expect(run?.error).toContain('organizations:ListAccounts');
    const sent = (await env.store.listDeliveries(id)).map((d) => d.delivery.to);
    // Summary first, brought up to date; nothing was audited, so no CSV.
    expect(sent).toEqual(['audit-post', 'audit-update']);
    const next = (await env.store.pendingJobs(AUDIT_SCHEDULE_ID)).find((j) => j.kind === 'audit-schedule');
    expect(next?.dueAt).toBe(env.clock.now + DAY);
  });

  it('stays quiet in Slack when it finishes with nothing to alert', async () => {
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, bulkAudit: oneCleanAccount });
    await env.workflow.orgAudits.drift.ensureSchedule();
    await env.runDue();
    const id = await scheduledRun(env);
    expect(await env.store.getOrgAudit(id)).toMatchObject({ state: 'done' });
    expect(await env.store.listDeliveries(id)).toEqual([]);
  });

  it('alerts an account it cannot audit once, with its summary, and not again the next day', async () => {
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, bulkAudit: oneBlindAccount });
    await env.workflow.orgAudits.drift.ensureSchedule();
    await env.runDue();
    const first = await scheduledRun(env);
    const sent = (await env.store.listDeliveries(first)).map((d) =>
      d.delivery.to === 'drift-alert' ? `drift-alert:${d.delivery.alert.kind}` : d.delivery.to,
    );
    expect(sent).toEqual(['audit-post', 'drift-alert:unauditable', 'audit-update', 'file']);
    expect(await env.store.driftRecords()).toMatchObject([
      { accountId: memberId(1), unauditable: 'blocked-by-scp' },
    ]);
    expect((await env.store.listAudit(first)).map((e) => e.action)).toContain('drift: account not auditable');
    await env.advance(DAY);
    const runs = (await env.store.listAudit(undefined, 100)).filter(
      (a) => a.action === 'scheduled org-wide audit started',
    );
    expect(runs).toHaveLength(2);
    const second = runs.find((r) => r.requestId !== first)?.requestId ?? '';
    expect(await env.store.listDeliveries(second)).toEqual([]);
  });

  it('alerts the drift it saw before it stopped, with the summary saying it stopped', async () => {
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, bulkAudit: partThenDenied });
    env.aws.fake.account(memberId(1)).root = fullyCredentialed(memberId(1));
    await env.workflow.orgAudits.drift.ensureSchedule();
    await env.runDue();
    await env.advance(30_000);
    await env.advance(30_000);
    const id = await scheduledRun(env);
    expect((await env.store.getOrgAudit(id))?.error).toContain('page 2');
    const sent = (await env.store.listDeliveries(id)).map((d) =>
      d.delivery.to === 'drift-alert' ? `drift-alert:${d.delivery.alert.kind}` : d.delivery.to,
    );
    expect(sent).toEqual(['audit-post', 'drift-alert:new', 'audit-update', 'file']);
  });
});

/** The scheduled runs' ids, oldest first. */
async function scheduledRuns(e: WorkflowEnv): Promise<string[]> {
  return (await e.store.listAudit(undefined, 1000))
    .filter((a) => a.action === 'scheduled org-wide audit started')
    .sort((a, b) => a.at - b.at)
    .map((a) => a.requestId ?? '');
}

const noticesOf = async (e: WorkflowEnv, id: string) =>
  (await e.store.listDeliveries(id)).map((d) =>
    d.delivery.to === 'drift-alert' ? `drift-alert:${d.delivery.alert.kind}` : d.delivery.to,
  );

describe('the drift schedule', () => {
  it('is ensured at start-up without moving it, and cancelled when the schedule is off', async () => {
    let wakes = 0;
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, wake: () => wakes++ });
    const start = env.clock.now;
    await env.workflow.orgAudits.drift.ensureSchedule();
    expect(wakes).toBe(1);
    // A restart an hour later (another replica): the schedule keeps its time.
    env.clock.now += 3_600_000;
    await env.workflow.orgAudits.drift.ensureSchedule();
    expect(wakes).toBe(1);
    // Its identity is stored in every deployment's database: it never changes.
    expect((await env.store.pendingJobs('ORG-AUDIT-SCHEDULE')).map((j) => [j.kind, j.dueAt])).toEqual([
      ['audit-schedule', start],
    ]);
    await env.close();

    // The schedule turned off: the open job is cancelled, and none is scheduled when a run ends.
    env = await startWorkflowEnv({ wake: () => wakes++ });
    await env.store.ensureJob({ requestId: AUDIT_SCHEDULE_ID, kind: 'audit-schedule', dueAt: env.clock.now });
    await env.workflow.orgAudits.drift.ensureSchedule();
    expect(await env.store.pendingJobs(AUDIT_SCHEDULE_ID)).toEqual([]);
    await env.workflow.orgAudits.drift.scheduleNext();
    expect(await env.store.pendingJobs(AUDIT_SCHEDULE_ID)).toEqual([]);
    expect(wakes).toBe(1);
  });

  it('moves the open schedule to `every` after a run ends', async () => {
    env = await startWorkflowEnv({ settings: { auditEveryMs: 2 * DAY } });
    await env.workflow.orgAudits.drift.ensureSchedule();
    env.clock.now += 5000;
    await env.workflow.orgAudits.drift.scheduleNext();
    expect((await env.store.pendingJobs(AUDIT_SCHEDULE_ID)).map((j) => [j.kind, j.dueAt])).toEqual([
      ['audit-schedule', env.clock.now + 2 * DAY],
    ]);
  });
});

describe('drift alerts', () => {
  it('alerts new credentials once, a change again, reminds after a week, and tells when they are gone', async () => {
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, bulkAudit: oneCleanAccount });
    const e = env;
    const id = memberId(1);
    e.aws.fake.account(id).root = fullyCredentialed(id);
    await e.workflow.orgAudits.drift.ensureSchedule();
    await e.runDue();
    const [first = ''] = await scheduledRuns(e);
    expect(await noticesOf(e, first)).toEqual(['audit-post', 'drift-alert:new', 'audit-update', 'file']);
    const alert = (await e.store.listDeliveries(first)).find(
      (d) => d.delivery.to === 'drift-alert',
    )?.delivery;
    expect(alert).toMatchObject({
      to: 'drift-alert',
      alert: { kind: 'new', accountId: id, name: 'member 1', since: e.clock.now },
    });
    const [record] = await e.store.driftRecords();
    expect(record).toMatchObject({
      accountId: id,
      alertRunId: first,
      since: e.clock.now,
      alertedAt: e.clock.now,
    });
    expect(record?.fingerprint).toContain(`key:AKIAROOT${id}A`);
    const alerted = (await e.store.listAudit(first)).filter((a) => a.action === 'drift alerted');
    expect(alerted).toEqual([
      expect.objectContaining({
        actor: 'scheduler',
        details: {
          accountId: id,
          name: 'member 1',
          present: expect.arrayContaining([expect.stringContaining('login profile created 2024-01-02')]),
          fingerprint: record?.fingerprint,
          alertRunId: first,
        },
      }),
    ]);

    // The next day, unchanged: quiet.
    await e.advance(DAY);
    const [, second = ''] = await scheduledRuns(e);
    expect(await e.store.listDeliveries(second)).toEqual([]);

    // A new key: a change, alerted with what was there before.
    e.aws.fake
      .account(id)
      .root.accessKeys.push({ id: 'AKIAROOTNEWKEY01', status: 'Active', createDate: new Date() });
    await e.advance(DAY);
    const [, , third = ''] = await scheduledRuns(e);
    expect(await noticesOf(e, third)).toEqual(['audit-post', 'drift-alert:changed', 'audit-update', 'file']);
    const changed = (await e.store.listDeliveries(third)).find(
      (d) => d.delivery.to === 'drift-alert',
    )?.delivery;
    expect(changed).toMatchObject({ alert: { kind: 'changed', previous: record?.present } });
    expect((await e.store.listAudit(third)).map((a) => a.action)).toContain('drift changed');
    const changedAt = e.clock.now;

    // Six days on, still there: not yet; seven days after the change's alert: a reminder.
    await e.advance(DAY);
    await e.advance(DAY);
    await e.advance(DAY);
    await e.advance(DAY);
    await e.advance(DAY);
    await e.advance(DAY);
    expect((await e.store.driftRecords())[0]?.alertedAt).toBe(changedAt);
    await e.advance(DAY);
    const runs = await scheduledRuns(e);
    const tenth = runs.at(-1) ?? '';
    expect(runs).toHaveLength(10);
    expect(await noticesOf(e, tenth)).toEqual(['audit-post', 'drift-alert:reminder', 'audit-update', 'file']);
    expect((await e.store.listAudit(tenth)).map((a) => a.action)).toContain('drift reminded');
    expect(await e.store.driftRecords()).toMatchObject([
      { since: changedAt, alertedAt: e.clock.now, alertRunId: tenth },
    ]);

    // Gone: resolved, in the thread of the alert that last named it; the record is dropped.
    const last = (await e.store.driftRecords())[0];
    e.aws.fake.account(id).root = emptyRootUser();
    await e.advance(DAY);
    const resolvedRun = (await scheduledRuns(e)).at(-1) ?? '';
    // Nothing to alert: the summary stays unposted, the resolution goes to the alert's thread.
    expect(await noticesOf(e, resolvedRun)).toEqual(['drift-resolved']);
    const resolved = (await e.store.listDeliveries(resolvedRun))[0]?.delivery;
    expect(resolved).toEqual({
      to: 'drift-resolved',
      resolved: { accountId: id, name: 'member 1', present: last?.present, alertRunId: tenth },
    });
    expect(await e.store.driftRecords()).toEqual([]);
    const trail = (await e.store.listAudit(resolvedRun)).filter((a) => a.action === 'drift resolved');
    expect(trail).toEqual([
      expect.objectContaining({
        actor: 'scheduler',
        details: expect.objectContaining({ accountId: id, name: 'member 1', alertRunId: tenth }),
      }),
    ]);
  });

  it('posts the summary of a run that stopped having resolved drift, and nothing else, with the resolution', async () => {
    let fail = false;
    const id = memberId(1);
    const bulk: BulkAudit = {
      auditAccounts: async ({ onListed, onRow }) => {
        if (!env) throw new Error('no env');
        onListed(fail ? 2 : 1);
        const audit = await env.aws.service.auditRootCredentials(id);
        onRow({
          account: { id, name: 'member 1', email: 'root@example.com', state: 'ACTIVE' },
          ok: true,
          audit,
        });
        if (fail) throw new Error('AccessDenied: ListAccounts (page 2)');
      },
    };
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, bulkAudit: bulk });
    env.aws.fake.account(id).root = fullyCredentialed(id);
    await env.workflow.orgAudits.drift.ensureSchedule();
    await env.runDue();
    expect(await env.store.driftRecords()).toHaveLength(1);
    fail = true;
    env.aws.fake.account(id).root = emptyRootUser();
    await env.advance(DAY);
    await env.advance(30_000);
    await env.advance(30_000);
    const [, second = ''] = await scheduledRuns(env);
    expect((await env.store.getOrgAudit(second))?.error).toContain('page 2');
    expect(await env.store.driftRecords()).toEqual([]);
    expect(await noticesOf(env, second)).toEqual(['drift-resolved', 'audit-post', 'audit-update', 'file']);
  });

  it('checked again before its run closes (a crash in between), alerts nothing twice and knows whether its summary is posted', async () => {
    const id = memberId(1);
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, bulkAudit: oneCleanAccount });
    env.aws.fake.account(id).root = fullyCredentialed(id);
    await env.workflow.orgAudits.drift.ensureSchedule();
    await env.runDue();
    const [alerted = ''] = await scheduledRuns(env);
    const run = await env.store.getOrgAudit(alerted);
    if (!run) throw new Error('no run');
    expect(await env.workflow.orgAudits.drift.check(run)).toBe(true);
    expect(await noticesOf(env, alerted)).toEqual(['audit-post', 'drift-alert:new', 'audit-update', 'file']);
    // A run that only resolved drift posted no summary: checked again, still none.
    env.aws.fake.account(id).root = emptyRootUser();
    await env.advance(DAY);
    const [, resolved = ''] = await scheduledRuns(env);
    const second = await env.store.getOrgAudit(resolved);
    if (!second) throw new Error('no run');
    expect(await env.workflow.orgAudits.drift.check(second)).toBe(false);
    expect(await noticesOf(env, resolved)).toEqual(['drift-resolved']);
  });

  it('reminds on the configured interval', async () => {
    env = await startWorkflowEnv({
      settings: { auditEveryMs: DAY, driftRemindMs: 2 * DAY },
      bulkAudit: oneCleanAccount,
    });
    env.aws.fake.account(memberId(1)).root = fullyCredentialed(memberId(1));
    await env.workflow.orgAudits.drift.ensureSchedule();
    await env.runDue();
    await env.advance(DAY);
    await env.advance(DAY);
    const runs = await scheduledRuns(env);
    expect(runs).toHaveLength(3);
    expect(await noticesOf(env, runs[1] ?? '')).toEqual([]);
    expect(await noticesOf(env, runs[2] ?? '')).toEqual([
      'audit-post',
      'drift-alert:reminder',
      'audit-update',
      'file',
    ]);
  });

  it('does not alert an account whose window opened after it was audited, nor one whose window closed since', async () => {
    const opened = memberId(1);
    const closed = memberId(2);
    const twoAccounts: BulkAudit = {
      auditAccounts: async ({ onListed, onRow }) => {
        if (!env) throw new Error('no env');
        const e = env;
        onListed(2);
        for (const id of [opened, closed]) {
          const audit = await e.aws.service.auditRootCredentials(id);
          onRow({ account: { id, name: id, email: 'root@example.com', state: 'ACTIVE' }, ok: true, audit });
        }
        // After both were audited: a window opens on one, the other's closes.
        await e.store.createRequest(
          requestFixture('BG-LATEWIN1', { accountId: opened, state: 'active', requesterId: REQUESTER }),
        );
        const stored = await e.store.getRequest('BG-EARLYWIN');
        if (!stored) throw new Error('no early window');
        await e.store.updateRequest('BG-EARLYWIN', stored.version, { ...stored.request, state: 'closed' });
      },
    };
    env = await startWorkflowEnv({ settings: { auditEveryMs: DAY }, bulkAudit: twoAccounts });
    env.aws.fake.account(opened).root = fullyCredentialed(opened);
    env.aws.fake.account(closed).root = fullyCredentialed(closed);
    await env.store.createRequest(
      requestFixture('BG-EARLYWIN', { accountId: closed, state: 'active', requesterId: REQUESTER }),
    );
    await env.workflow.orgAudits.drift.ensureSchedule();
    await env.runDue();
    const [run = ''] = await scheduledRuns(env);
    expect(await env.store.getOrgAudit(run)).toMatchObject({ state: 'done', done: 2 });
    expect((await env.store.orgAuditRows(run)).map((r) => r.openWindow)).toEqual(['', 'BG-EARLYWIN']);
    expect(await env.store.driftRecords()).toEqual([]);
    expect(await env.store.listDeliveries(run)).toEqual([]);
  });
});
