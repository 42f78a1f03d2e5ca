import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import type { RequestInput } from '../../src/workflow/request-actions.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import {
  APPROVER_A,
  APPROVER_B,
  OUTSIDER,
  REQUESTER,
  startWorkflowEnv,
  type WorkflowEnv,
} from '../support/workflow-env.js';
import { approveByBoth, currentRequest, pendingAsk, submitRequest } from '../support/workflow-flows.js';

const ACCOUNT = memberId(2);
let env: WorkflowEnv;
beforeEach(async () => {
  env = await startWorkflowEnv();
});
afterEach(() => env.close());

const submitted = (overrides: Partial<RequestInput> = {}) => submitRequest(env, ACCOUNT, overrides);
const current = (id: string) => currentRequest(env, id);
const approveTwice = (r: BreakglassRequest) => approveByBoth(env, r);

describe('request to verified cleanup', () => {
  it('grants password recovery after two approvals, reminds, cleans up at window end and verifies', async () => {
    const r = await submitted();
    expect(r.preview).toMatchObject({ status: 'ready', rootCredentials: 'no root credentials' });
    expect(env.announcer.said[0]).toMatchObject({ to: 'post', requestId: r.id });

    await approveTwice(r);
    const active = (await current(r.id)).request;
    expect(active.state).toBe('active');
    expect(active.windowEndsAt).toBe(env.clock.now + 3_600_000);
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).not.toBeNull();
    expect(env.announcer.kinds()).toEqual(['thread:executed', 'dm:granted']);

    // The requester signs in as root and adds an access key during the window.
    env.aws.fake.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    await env.advance(50 * 60_000);
    expect(env.announcer.kinds()).toContain('dm:reminder');
    expect((await current(r.id)).request.state).toBe('active');

    await env.advance(10 * 60_000);
    const closed = (await current(r.id)).request;
    expect(closed.state).toBe('closed');
    expect(closed.cleanup?.verifiedAt).toBe(env.clock.now);
    expect(env.aws.fake.account(ACCOUNT).root).toMatchObject({
      loginProfile: null,
      accessKeys: [],
      mfaDevices: [],
    });
    expect(env.announcer.kinds().at(-1)).toBe('channel:cleanup-verified');

    const actions = (await env.store.listAudit(r.id)).map((e) => e.action);
    expect(actions).toEqual([
      'requested',
      'previewed',
      'approved',
      'approved',
      'executed',
      'reminded',
      'cleanup verified',
    ]);
    const executed = (await env.store.listAudit(r.id)).find((e) => e.action === 'executed');
    expect(JSON.stringify(executed?.details)).toMatch(/"accessKeyId":"ASIA/);
    // Every root session the bot opened, read-only ones included, can be found from the audit trail.
    const trail = JSON.stringify(await env.store.listAudit(r.id));
    const sessions = [...env.aws.fake.sessions.values()];
    expect(sessions.map((s) => s.taskPolicy)).toEqual([
      'IAMAuditRootUserCredentials',
      'IAMCreateRootUserPassword',
      'IAMDeleteRootUserCredentials',
      'IAMAuditRootUserCredentials',
    ]);
    for (const session of sessions) expect(trail).toContain(session.accessKeyId);
  });

  it('ends the window early on Done', async () => {
    const r = await submitted();
    await approveTwice(r);
    expect((await env.workflow.actions.finish(r.id, REQUESTER)).text).toMatch(/Cleaning up now/);
    await env.runDue();
    expect((await current(r.id)).request.state).toBe('closed');
    expect(await env.store.pendingJobs(r.id)).toEqual([]);
  });
});

describe('two-person rule', () => {
  it('refuses self-approval and non-approvers, counts a double click once', async () => {
    const r = await submitted();
    expect((await env.workflow.actions.approve(r.id, REQUESTER, r.contentHash)).text).toMatch(
      /your own request/,
    );
    expect((await env.workflow.actions.approve(r.id, OUTSIDER, r.contentHash)).text).toMatch(
      /not an approver/,
    );
    await env.workflow.actions.approve(r.id, APPROVER_A, r.contentHash);
    expect((await env.workflow.actions.approve(r.id, APPROVER_A, r.contentHash)).text).toMatch(
      /already counted/,
    );
    const stored = await current(r.id);
    expect(stored.request.approvals.map((a) => a.userId)).toEqual([APPROVER_A]);
    expect(stored.request.state).toBe('pending');
  });

  it('executes exactly once when two approvals race', async () => {
    const r = await submitted();
    await env.workflow.actions.approve(r.id, APPROVER_A, r.contentHash);
    // Two "replicas" deliver the second approval at the same time, plus a redelivery.
    await Promise.all([
      env.workflow.actions.approve(r.id, APPROVER_B, r.contentHash),
      env.workflow.actions.approve(r.id, APPROVER_B, r.contentHash),
      env.workflow.actions.approve(r.id, APPROVER_B, r.contentHash),
    ]);
    await Promise.all([env.runDue(), env.runDue()]);
    expect(env.aws.fake.callsOf('CreateLoginProfile')).toHaveLength(1);
    expect((await env.store.listAudit(r.id)).filter((e) => e.action === 'executed')).toHaveLength(1);
  });

  it('binds approvals to the content the approver saw', async () => {
    const r = await submitted();
    expect((await env.workflow.actions.approve(r.id, APPROVER_A, 'stale-hash')).text).toMatch(
      /changed since you saw it/,
    );
  });
});

describe('other endings', () => {
  it('denies with a reason and tells the requester', async () => {
    const r = await submitted();
    expect((await env.workflow.actions.deny(r.id, APPROVER_A, '  ')).ok).toBe(false);
    expect((await env.workflow.actions.deny(r.id, APPROVER_A, 'No incident ticket')).ok).toBe(true);
    expect((await current(r.id)).request).toMatchObject({
      state: 'denied',
      denial: { userId: APPROVER_A, reason: 'No incident ticket' },
    });
    await env.runDue(); // the outbox delivers the DM
    expect(env.announcer.kinds()).toContain('dm:denied');
    expect((await env.workflow.actions.approve(r.id, APPROVER_B, r.contentHash)).ok).toBe(false);
  });

  it('nudges approvers halfway and expires an unapproved request', async () => {
    const r = await submitted();
    await env.advance(30 * 60_000);
    expect(env.announcer.kinds()).toEqual(['thread:nudge']);
    await env.advance(30 * 60_000);
    expect((await current(r.id)).request.state).toBe('expired');
    expect(env.announcer.kinds()).toEqual(['thread:nudge', 'dm:expired']);
  });

  it('cancels a pending request; only the requester or an approver may', async () => {
    const r = await submitted();
    expect((await env.workflow.actions.cancel(r.id, OUTSIDER)).ok).toBe(false);
    expect((await env.workflow.actions.cancel(r.id, REQUESTER)).ok).toBe(true);
    expect((await current(r.id)).request.state).toBe('cancelled');
    expect(await env.store.pendingJobs(r.id)).toEqual([]);
  });

  it('words a withdrawal by the requester apart from a denial or a cancellation by an approver', async () => {
    const trailOf = async (id: string) =>
      (await env.store.listAudit(id)).slice(2).map((e) => [e.actor, e.action]);
    const denied = await submitted();
    expect(await env.workflow.actions.deny(denied.id, REQUESTER, 'Found the password')).toEqual({
      ok: true,
      text: 'Request withdrawn.',
    });
    expect(await trailOf(denied.id)).toEqual([[REQUESTER, 'withdrawn by the requester']]);

    const withdrawn = await submitted();
    expect(await env.workflow.actions.cancel(withdrawn.id, REQUESTER)).toEqual({
      ok: true,
      text: `Request ${withdrawn.id} withdrawn.`,
    });
    expect((await current(withdrawn.id)).request.cancelledBy).toEqual({
      userId: REQUESTER,
      at: env.clock.now,
    });
    expect(await trailOf(withdrawn.id)).toEqual([[REQUESTER, 'withdrawn by the requester']]);

    const cancelled = await submitted();
    expect(await env.workflow.actions.cancel(cancelled.id, APPROVER_A)).toEqual({
      ok: true,
      text: `Request ${cancelled.id} cancelled.`,
    });
    expect(await trailOf(cancelled.id)).toEqual([[APPROVER_A, 'cancelled']]);
    expect(await env.workflow.actions.cancel(cancelled.id, APPROVER_A)).toEqual({
      ok: false,
      text: 'Not cancelled: it is already cancelled.',
    });
    expect(await env.workflow.actions.cancel('BG-NOSUCH', APPROVER_A)).toEqual({
      ok: false,
      text: 'There is no request BG-NOSUCH.',
    });

    await env.runDue();
    // The requester hears of an approver's cancellation, never of what they did themselves.
    expect(env.announcer.kinds().filter((k) => k.startsWith('dm:'))).toEqual(['dm:cancelled']);
    expect(env.announcer.said.find((s) => s.to === 'dm')).toMatchObject({
      requestId: cancelled.id,
      userId: REQUESTER,
      state: 'cancelled',
    });
  });

  it('ends an active window early on cancel: cleanup now, who ended it recorded', async () => {
    const r = await submitted();
    await approveTwice(r);
    const reply = await env.workflow.actions.cancel(r.id, APPROVER_B);
    expect(reply).toMatchObject({
      ok: true,
      text: 'Cleaning up now: root credentials will be deleted and verified.',
    });
    const stored = (await current(r.id)).request;
    expect(stored.state).toBe('cleaning');
    expect(stored.endedEarly).toEqual({ userId: APPROVER_B, at: env.clock.now });
    expect((await env.store.pendingJobs(r.id)).map((j) => [j.kind, j.dueAt])).toEqual([
      ['cleanup', env.clock.now],
    ]);
    expect((await env.store.listAudit(r.id)).at(-1)).toMatchObject({
      actor: APPROVER_B,
      action: 'finished early',
    });
  });

  it('extends a window with one approver, never beyond the longest duration', async () => {
    const r = await submitted({ durationSeconds: 3600 });
    await approveTwice(r);
    const endsAt = (await current(r.id)).request.windowEndsAt ?? 0;
    expect((await env.workflow.actions.requestExtension(r.id, REQUESTER, 7200)).ok).toBe(false);
    expect((await env.workflow.actions.requestExtension(r.id, REQUESTER, 1800)).ok).toBe(true);
    const ask = await pendingAsk(env, r.id);
    expect((await env.workflow.actions.approveExtension(r.id, REQUESTER, ask)).ok).toBe(false);
    expect((await env.workflow.actions.approveExtension(r.id, APPROVER_A, ask)).ok).toBe(true);
    expect((await current(r.id)).request.windowEndsAt).toBe(endsAt + 1_800_000);
    const jobs = await env.store.pendingJobs(r.id);
    expect(jobs.find((j) => j.kind === 'cleanup')?.dueAt).toBe(endsAt + 1_800_000);
  });

  it('refuses invalid input field by field', async () => {
    const result = await env.workflow.actions.submit({
      requesterId: REQUESTER,
      accountId: '111111111111',
      task: 'unlock-sqs',
      target: `https://sqs.us-east-1.amazonaws.com/${memberId(3)}/q`,
      justification: ' ',
      link: 'javascript:alert(1)',
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && Object.keys(result.errors).sort()).toEqual([
      'account',
      'justification',
      'link',
      'target',
    ]);
    expect(await env.store.listRequests({})).toEqual([]);
  });
});

describe('AWS failures', () => {
  it('reports a failed grant with the remediation; nothing granted, no cleanup', async () => {
    const r = await submitted();
    // Taken away after approvers saw the account (before, the read fails and nobody can approve).
    env.aws.fake.org.caller.mayAssumeRoot = false;
    await approveTwice(r);
    expect((await current(r.id)).request.state).toBe('failed');
    expect(env.announcer.kinds()).toEqual(['thread:execution-failed', 'dm:execution-failed']);
    expect(await env.store.pendingJobs(r.id)).toEqual([]);
  });

  it('still schedules cleanup when the grant failed after the root session opened', async () => {
    const r = await submitted();
    env.aws.fake.failNext('CreateLoginProfile', 'ServiceFailure', { status: 500, times: 10 });
    await approveTwice(r);
    expect((await current(r.id)).request.state).toBe('closed');
    expect(env.announcer.kinds()).toContain('channel:cleanup-verified');
  });

  it('retries a failing cleanup with backoff, alerts after repeated failure, closes only when verified', async () => {
    const r = await submitted();
    await approveTwice(r);
    env.aws.fake.failNext('DeleteLoginProfile', 'AccessDenied', { status: 403, times: 3 });
    await env.advance(60 * 60_000);
    expect((await current(r.id)).request).toMatchObject({ state: 'cleaning', cleanup: { failures: 1 } });
    await env.advance(30_000);
    await env.advance(60_000);
    const alerted = (await current(r.id)).request;
    expect(alerted).toMatchObject({ state: 'cleaning', cleanup: { failures: 3, alerted: true } });
    expect(env.announcer.kinds()).toContain('channel:cleanup-failed');
    await env.advance(120_000);
    expect((await current(r.id)).request.state).toBe('closed');
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
  });
});

describe('unlock preview', () => {
  it('shows approvers the exact policy that will be removed, and audits the read', async () => {
    const policy = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}';
    env.aws.fake.account(ACCOUNT).buckets.set('locked-bucket', policy);
    const r = await submitted({ task: 'unlock-s3', target: 'locked-bucket' });
    expect(r.preview).toEqual({
      status: 'ready',
      rootCredentials: 'no root credentials',
      credentials: [],
      policy,
    });
    expect(env.aws.fake.account(ACCOUNT).buckets.get('locked-bucket')).toBe(policy);
    const trail = JSON.stringify(await env.store.listAudit(r.id));
    for (const session of env.aws.fake.sessions.values()) expect(trail).toContain(session.accessKeyId);
    await approveTwice(r);
    expect((await current(r.id)).request.state).toBe('completed');
    expect(env.aws.fake.account(ACCOUNT).buckets.get('locked-bucket')).toBeNull();
  });
});
