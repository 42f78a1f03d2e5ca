/**
 * The scheduled drift check in the workflow (real SQLite store, fake clock):
 * a run that cannot finish is told in the channel, never only logged, and the
 * schedule goes on; a run that finds nothing to alert stays quiet.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_SCHEDULE_ID } from '../../src/workflow/drift.js';
import type { BulkAudit } from '../../src/workflow/org-audits.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';

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
