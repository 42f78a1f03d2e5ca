/**
 * Approvals bind to what was approved, through the workflow with the fake AWS:
 * extension asks, decline and withdraw, previews that change, unlocks whose
 * policy changed after approval, and the duration list.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policyHash } from '../../src/domain/content-hash.js';
import type { BreakglassRequest } from '../../src/domain/request.js';
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
const POLICY = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}';
const OTHER_POLICY = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject"}]}';
const QUEUE_URL = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/orders`;

let env: WorkflowEnv;
beforeEach(async () => {
  env = await startWorkflowEnv();
});
afterEach(() => env.close());

const actions = () => env.workflow.actions;
const current = async (id: string) => (await currentRequest(env, id)).request;
const auditActions = async (id: string) => (await env.store.listAudit(id)).map((e) => e.action);

/** A granted 30-minute window (the longest allowed is 2 hours). */
async function openWindow(): Promise<BreakglassRequest> {
  const r = await submitRequest(env, ACCOUNT, { durationSeconds: 1800 });
  await approveByBoth(env, r);
  const active = await current(r.id);
  expect(active.state).toBe('active');
  return active;
}

/** Runs the preview job again, as a re-run after a lapsed lease would. */
async function rerunPreview(id: string): Promise<void> {
  await env.workflow.runJob({ id: '0', requestId: id, kind: 'preview', dueAt: env.clock.now, attempts: 1 });
  await env.runDue();
}

describe('extension asks bind to the ask', () => {
  it('approves only the pending ask with its nonce and seconds; stale and replayed clicks are refused', async () => {
    const r = await openWindow();
    expect((await actions().requestExtension(r.id, REQUESTER, 1800)).ok).toBe(true);
    const ask = await pendingAsk(env, r.id);
    expect(ask.nonce).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const second = await actions().requestExtension(r.id, REQUESTER, 3600);
    expect(second).toMatchObject({ ok: false, text: expect.stringMatching(/already waiting for approval/) });
    expect((await current(r.id)).extensionRequest?.nonce).toBe(ask.nonce);

    const stale = await actions().approveExtension(r.id, APPROVER_A, { ...ask, nonce: 'an-older-ask' });
    expect(stale).toMatchObject({ ok: false, text: expect.stringMatching(/no longer waiting/) });
    const otherSeconds = await actions().approveExtension(r.id, APPROVER_A, { ...ask, seconds: 3600 });
    expect(otherSeconds).toMatchObject({ ok: false, text: expect.stringMatching(/no longer waiting/) });
    expect((await current(r.id)).windowEndsAt).toBe(r.windowEndsAt);

    expect((await actions().approveExtension(r.id, APPROVER_A, ask)).ok).toBe(true);
    const extended = await current(r.id);
    expect(extended.windowEndsAt).toBe((r.windowEndsAt ?? 0) + 1_800_000);
    expect(extended.extensionRequest).toBeUndefined();

    // A replay of the same click (Slack redelivers, someone clicks the old message) changes nothing.
    expect((await actions().approveExtension(r.id, APPROVER_B, ask)).text).toMatch(/no extension waiting/);
    // Nor does it approve a new ask for the same seconds: the nonce differs.
    expect((await actions().requestExtension(r.id, REQUESTER, 1800)).ok).toBe(true);
    expect((await actions().approveExtension(r.id, APPROVER_B, ask)).text).toMatch(/no longer waiting/);
    expect((await current(r.id)).windowEndsAt).toBe(extended.windowEndsAt);
  });

  it('never lets a non-approver or the requester approve an extension', async () => {
    const r = await openWindow();
    await actions().requestExtension(r.id, REQUESTER, 1800);
    const ask = await pendingAsk(env, r.id);
    const outsider = await actions().approveExtension(r.id, OUTSIDER, ask);
    expect(outsider).toMatchObject({ ok: false, text: expect.stringMatching(/not an approver/) });
    const self = await actions().approveExtension(r.id, REQUESTER, ask);
    expect(self).toMatchObject({ ok: false, text: expect.stringMatching(/your own extension/) });
    const after = await current(r.id);
    expect(after.windowEndsAt).toBe(r.windowEndsAt);
    expect(after.extensionRequest?.nonce).toBe(ask.nonce);
    expect(await auditActions(r.id)).not.toContain('extension approved');
  });

  it('refuses an ask, and an approval, once the window has ended though cleanup has not run yet', async () => {
    const r = await openWindow();
    expect((await actions().requestExtension(r.id, REQUESTER, 1800)).ok).toBe(true);
    const ask = await pendingAsk(env, r.id);
    env.clock.now = r.windowEndsAt ?? 0; // the cleanup job is due but has not run
    expect((await current(r.id)).state).toBe('active');
    expect((await actions().approveExtension(r.id, APPROVER_A, ask)).text).toMatch(/already ended/);
    await actions().withdrawExtension(r.id, REQUESTER, ask);
    expect((await actions().requestExtension(r.id, REQUESTER, 1800)).text).toMatch(/already ended/);
    await env.runDue();
    const closed = await current(r.id);
    expect(closed.state).toBe('closed');
    expect(closed.windowEndsAt).toBe(r.windowEndsAt);
  });
});

describe('an extension ask can be declined with a reason, or withdrawn', () => {
  it('is declined by an approver with a reason: the ask is cleared, the thread and requester told, audited', async () => {
    const r = await openWindow();
    await actions().requestExtension(r.id, REQUESTER, 1800);
    const ask = await pendingAsk(env, r.id);
    expect((await actions().declineExtension(r.id, OUTSIDER, ask, 'no')).text).toMatch(/only approvers/);
    expect((await actions().declineExtension(r.id, REQUESTER, ask, 'no')).text).toMatch(
      /withdraw it instead/,
    );
    expect((await actions().declineExtension(r.id, APPROVER_A, ask, '  ')).text).toMatch(/give a reason/);
    const stale = await actions().declineExtension(r.id, APPROVER_A, { ...ask, nonce: 'old' }, 'no');
    expect(stale.text).toMatch(/no longer waiting/);
    expect((await current(r.id)).extensionRequest).toBeDefined();

    const declined = await actions().declineExtension(r.id, APPROVER_A, ask, ' Finish by the deadline ');
    expect(declined).toMatchObject({ ok: true, text: 'Extension declined.' });
    const after = await current(r.id);
    expect(after.extensionRequest).toBeUndefined();
    expect(after.windowEndsAt).toBe(r.windowEndsAt);
    await env.runDue();
    expect(env.announcer.kinds().slice(-2)).toEqual(['thread:extension-declined', 'dm:extension-declined']);
    // The requester's DM offers Done and Extend again; the thread only says what happened.
    const [thread, dm] = env.announcer.said.slice(-2).map((a) => a.notice);
    expect(thread).toMatchObject({ userId: APPROVER_A, reason: 'Finish by the deadline', seconds: 1800 });
    expect(thread).not.toHaveProperty('offerControls');
    expect(dm).toMatchObject({ reason: 'Finish by the deadline', offerControls: true });
    const entry = (await env.store.listAudit(r.id)).find((e) => e.action === 'extension declined');
    expect(entry).toMatchObject({
      actor: APPROVER_A,
      details: { seconds: 1800, reason: 'Finish by the deadline' },
    });
    // The declined ask cannot be approved afterwards; the requester may ask again.
    expect((await actions().approveExtension(r.id, APPROVER_B, ask)).ok).toBe(false);
    expect((await actions().requestExtension(r.id, REQUESTER, 1800)).ok).toBe(true);
  });

  it('is withdrawn by the requester only: cleared, the thread and requester told, audited', async () => {
    const r = await openWindow();
    await actions().requestExtension(r.id, REQUESTER, 1800);
    const ask = await pendingAsk(env, r.id);
    expect((await actions().withdrawExtension(r.id, APPROVER_A, ask)).text).toMatch(/only the requester/);
    expect((await actions().withdrawExtension(r.id, REQUESTER, { ...ask, nonce: 'old' })).ok).toBe(false);
    expect(await actions().withdrawExtension(r.id, REQUESTER, ask)).toMatchObject({
      ok: true,
      text: 'Extension ask withdrawn.',
    });
    expect((await current(r.id)).extensionRequest).toBeUndefined();
    await env.runDue();
    expect(env.announcer.kinds().slice(-2)).toEqual(['thread:extension-withdrawn', 'dm:extension-withdrawn']);
    const [thread, dm] = env.announcer.said.slice(-2).map((a) => a.notice);
    expect(thread).toEqual({ kind: 'extension-withdrawn', request: expect.anything(), seconds: 1800 });
    expect(dm).toMatchObject({ seconds: 1800, offerControls: true });
    expect((await env.store.listAudit(r.id)).find((e) => e.action === 'extension withdrawn')).toMatchObject({
      actor: REQUESTER,
      details: { seconds: 1800 },
    });
    expect((await actions().approveExtension(r.id, APPROVER_A, ask)).text).toMatch(/no extension waiting/);
    expect((await actions().withdrawExtension(r.id, REQUESTER, ask)).text).toMatch(/no extension waiting/);
  });
});

describe('a preview that changes what approvers see clears their approvals', () => {
  it('clears an approval when the policy changed, audits it, and refuses approvals of the old content', async () => {
    env.aws.fake.account(ACCOUNT).buckets.set('locked-bucket', POLICY);
    const r = await submitRequest(env, ACCOUNT, { task: 'unlock-s3', target: 'locked-bucket' });
    expect(r.policyHash).toBe(policyHash(POLICY));
    expect((await actions().approve(r.id, APPROVER_A, r.contentHash)).ok).toBe(true);

    env.aws.fake.account(ACCOUNT).buckets.set('locked-bucket', OTHER_POLICY);
    await rerunPreview(r.id);
    const after = await current(r.id);
    expect(after.approvals).toEqual([]);
    expect(after.contentHash).not.toBe(r.contentHash);
    expect(after.policyHash).toBe(policyHash(OTHER_POLICY));
    const cleared = (await env.store.listAudit(r.id)).find((e) => e.action === 'approvals cleared');
    expect(cleared).toMatchObject({ actor: 'scheduler', details: { cleared: [APPROVER_A] } });
    expect(env.announcer.kinds()).toContain('thread:approvals-cleared');

    // An approval of what was shown before does not count; both must approve what is shown now.
    expect((await actions().approve(r.id, APPROVER_B, r.contentHash)).text).toMatch(
      /changed since you saw it/,
    );
    await approveByBoth(env, after);
    expect((await current(r.id)).state).toBe('completed');
    expect(env.aws.fake.account(ACCOUNT).buckets.get('locked-bucket')).toBeNull();
  });

  it('clears approvals when the root credentials shown changed, keeps them when nothing changed', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await actions().approve(r.id, APPROVER_A, r.contentHash);
    await rerunPreview(r.id);
    expect((await current(r.id)).approvals.map((a) => a.userId)).toEqual([APPROVER_A]);
    expect(await auditActions(r.id)).not.toContain('approvals cleared');

    env.aws.fake.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    await rerunPreview(r.id);
    expect((await current(r.id)).approvals).toEqual([]);
    expect(await auditActions(r.id)).toContain('approvals cleared');
  });
});

describe('an unlock removes only the policy approvers saw', () => {
  async function approvedUnlock(
    task: 'unlock-s3' | 'unlock-sqs',
    target: string,
  ): Promise<BreakglassRequest> {
    const r = await submitRequest(env, ACCOUNT, { task, target });
    expect((await actions().approve(r.id, APPROVER_A, r.contentHash)).ok).toBe(true);
    return r;
  }

  async function expectRefusedAndUntouched(id: string): Promise<void> {
    const failed = await current(id);
    expect(failed.state).toBe('failed');
    expect(failed.outcome?.summary).toMatch(/changed after approval/);
    expect(env.announcer.kinds()).toEqual(['thread:execution-failed', 'dm:execution-failed']);
    const entry = (await env.store.listAudit(id)).find((e) => e.action === 'execution failed');
    expect(entry?.details).toMatchObject({
      kind: 'changed-since-approval',
      remediation: 'The policy changed after approval; request again so approvers see the current policy.',
    });
    expect(await env.store.pendingJobs(id)).toEqual([]);
  }

  it('refuses before deleting when the bucket policy changed between approval and execution', async () => {
    const bucket = env.aws.fake.account(ACCOUNT).buckets;
    bucket.set('locked-bucket', POLICY);
    const r = await approvedUnlock('unlock-s3', 'locked-bucket');
    bucket.set('locked-bucket', OTHER_POLICY);
    env.announcer.said.length = 0;
    expect((await actions().approve(r.id, APPROVER_B, r.contentHash)).ok).toBe(true);
    await env.runDue();
    await expectRefusedAndUntouched(r.id);
    expect(bucket.get('locked-bucket')).toBe(OTHER_POLICY);
    expect(env.aws.fake.callsOf('DeleteBucketPolicy')).toEqual([]);
  });

  it('refuses to remove a policy that appeared after approvers saw none', async () => {
    const bucket = env.aws.fake.account(ACCOUNT).buckets;
    bucket.set('open-bucket', null);
    const r = await approvedUnlock('unlock-s3', 'open-bucket');
    expect(r.policyHash).toBeNull();
    bucket.set('open-bucket', POLICY);
    env.announcer.said.length = 0;
    await actions().approve(r.id, APPROVER_B, r.contentHash);
    await env.runDue();
    await expectRefusedAndUntouched(r.id);
    expect(bucket.get('open-bucket')).toBe(POLICY);
  });

  it('refuses before clearing when the queue policy changed between approval and execution', async () => {
    const queues = env.aws.fake.account(ACCOUNT).queues;
    queues.set('orders', POLICY);
    const r = await approvedUnlock('unlock-sqs', QUEUE_URL);
    queues.set('orders', OTHER_POLICY);
    env.announcer.said.length = 0;
    await actions().approve(r.id, APPROVER_B, r.contentHash);
    await env.runDue();
    await expectRefusedAndUntouched(r.id);
    expect(queues.get('orders')).toBe(OTHER_POLICY);
    expect(env.aws.fake.callsOf('SetQueueAttributes')).toEqual([]);
  });

  it('removes the queue policy approvers saw when it is unchanged', async () => {
    const queues = env.aws.fake.account(ACCOUNT).queues;
    queues.set('orders', POLICY);
    const r = await approvedUnlock('unlock-sqs', QUEUE_URL);
    await actions().approve(r.id, APPROVER_B, r.contentHash);
    await env.runDue();
    expect((await current(r.id)).state).toBe('completed');
    expect(queues.get('orders')).toBeNull();
  });

  it('cannot be approved, and removes nothing, when approvers never saw the policy (its read failed)', async () => {
    const bucket = env.aws.fake.account(ACCOUNT).buckets;
    bucket.set('locked-bucket', POLICY);
    env.aws.fake.failNext('GetBucketPolicy', 'AccessDenied', { status: 403 });
    const r = await submitRequest(env, ACCOUNT, { task: 'unlock-s3', target: 'locked-bucket' });
    expect(r.preview?.status).toBe('failed');
    expect(r.policyHash).toBeUndefined();
    for (const approver of [APPROVER_A, APPROVER_B])
      expect(await env.workflow.actions.approve(r.id, approver, r.contentHash)).toEqual({
        ok: false,
        text: "Not approved: the account's current state could not be read; press Read again on the request message and approve once it shows.",
      });
    await env.runDue();
    expect((await current(r.id)).state).toBe('pending');
    expect((await current(r.id)).approvals).toEqual([]);
    expect(bucket.get('locked-bucket')).toBe(POLICY);
  });

  it('reads the policy again on Read again, and then binds approvals to it', async () => {
    const bucket = env.aws.fake.account(ACCOUNT).buckets;
    bucket.set('locked-bucket', POLICY);
    env.aws.fake.failNext('GetBucketPolicy', 'AccessDenied', { status: 403 });
    const r = await submitRequest(env, ACCOUNT, { task: 'unlock-s3', target: 'locked-bucket' });
    expect(await env.workflow.actions.readAgain(r.id, REQUESTER)).toMatchObject({ ok: true });
    expect((await current(r.id)).preview?.status).toBe('loading');
    await env.runDue();
    const read = await current(r.id);
    expect(read.preview).toMatchObject({ status: 'ready', policy: POLICY });
    expect(read.policyHash).toBeDefined();
    expect(await env.workflow.actions.readAgain(r.id, REQUESTER)).toEqual({
      ok: true,
      text: "The account's state is already shown.",
    });
    await approveByBoth(env, read);
    expect((await current(r.id)).state).toBe('completed');
    expect(bucket.get('locked-bucket')).toBeNull();
  });

  it('lets only the requester and the approvers ask to read again, once, while the request is pending', async () => {
    env.aws.fake.account(ACCOUNT).buckets.set('locked-bucket', POLICY);
    env.aws.fake.failNext('GetBucketPolicy', 'AccessDenied', { status: 403 });
    const r = await submitRequest(env, ACCOUNT, { task: 'unlock-s3', target: 'locked-bucket' });
    expect(await actions().readAgain('BG-NOSUCH', REQUESTER)).toEqual({
      ok: false,
      text: 'There is no request BG-NOSUCH.',
    });
    expect(await actions().readAgain(r.id, OUTSIDER)).toEqual({
      ok: false,
      text: 'Only the requester or an approver can read the account again.',
    });
    expect((await current(r.id)).preview?.status).toBe('failed');
    expect(await actions().readAgain(r.id, APPROVER_A)).toEqual({
      ok: true,
      text: "Reading the account's current state again; Approve shows once it has loaded.",
    });
    // A second press before the read ran changes nothing and is not audited again.
    expect(await actions().readAgain(r.id, REQUESTER)).toEqual({
      ok: true,
      text: 'Already reading the account again.',
    });
    const previews = (await env.store.pendingJobs(r.id)).filter((j) => j.kind === 'preview');
    expect(previews).toHaveLength(1);
    const asked = (await env.store.listAudit(r.id)).filter((e) => e.action === 'preview requested again');
    expect(asked.map((e) => e.actor)).toEqual([APPROVER_A]);
    // Once the request is no longer pending there is nothing to read for.
    expect((await actions().cancel(r.id, REQUESTER)).ok).toBe(true);
    expect(await actions().readAgain(r.id, REQUESTER)).toEqual({
      ok: false,
      text: 'Not read again: it is already withdrawn.',
    });
  });
});

describe('submit', () => {
  it('refuses a window duration outside the configured list', async () => {
    const result = await actions().submit({
      requesterId: REQUESTER,
      accountId: ACCOUNT,
      task: 'password-recovery',
      durationSeconds: 5400,
      justification: 'Locked out',
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual({ duration: 'Choose one of 30m, 1h, 2h.' });
    expect(await env.store.listRequests({})).toEqual([]);
  });
});
