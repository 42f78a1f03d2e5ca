/**
 * The rules of what people may do to a request, through the workflow with the
 * fake AWS: what a submission must satisfy, who may approve, deny, cancel, end
 * or extend, and what each leaves behind (state, jobs, notices, audit trail).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import type { RequestInput } from '../../src/workflow/request-actions.js';
import { memberId } from '../fakes/aws/sample-org.js';
import {
  APPROVER_A,
  APPROVER_B,
  OUTSIDER,
  REQUESTER,
  startWorkflowEnv,
  type WorkflowEnv,
} from '../support/workflow-env.js';
import { approveByBoth, currentRequest, submitRequest } from '../support/workflow-flows.js';

const ACCOUNT = memberId(2);
const HOUR = 3_600_000;
let env: WorkflowEnv;
beforeEach(async () => {
  env = await startWorkflowEnv();
});
afterEach(() => env.close());

const actions = () => env.workflow.actions;
const current = async (id: string) => (await currentRequest(env, id)).request;
const jobsOf = async (id: string) => (await env.store.pendingJobs(id)).map((j) => [j.kind, j.dueAt]);
const trail = async (id: string) => (await env.store.listAudit(id)).map((e) => e.action);
/** The notices written since the last look, by where they go. */
const written = async (id: string, since: number) =>
  (await env.store.listDeliveries(id)).slice(since).map((d) => d.delivery.to);

function input(overrides: Partial<RequestInput> = {}): RequestInput {
  return {
    requesterId: REQUESTER,
    accountId: ACCOUNT,
    task: 'password-recovery',
    durationSeconds: 3600,
    justification: 'Locked out of the billing console',
    ...overrides,
  };
}

async function refused(overrides: Partial<RequestInput>): Promise<Record<string, string | undefined>> {
  const before = (await env.store.listRequests({})).length;
  const result = await actions().submit(input(overrides));
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result)}`);
  expect(await env.store.listRequests({})).toHaveLength(before);
  return result.errors;
}

async function accepted(overrides: Partial<RequestInput> = {}): Promise<BreakglassRequest> {
  const result = await actions().submit(input(overrides));
  if (!result.ok || !('request' in result)) throw new Error(JSON.stringify(result));
  return result.request;
}

describe('submit', () => {
  it('refuses a window length outside the configured durations', async () => {
    expect(await refused({ durationSeconds: 5400 })).toEqual({ duration: 'Choose one of 30m, 1h, 2h.' });
    expect(await refused({ durationSeconds: 4 * 3600 })).toHaveProperty('duration');
    expect(await refused({ durationSeconds: 0 })).toHaveProperty('duration');
  });

  it('takes each configured duration, and the first one when none is given', async () => {
    for (const seconds of [1800, 3600, 7200])
      expect((await accepted({ durationSeconds: seconds })).durationSeconds).toBe(seconds);
    const { durationSeconds: _, ...withoutDuration } = input();
    const result = await actions().submit(withoutDuration);
    expect(result.ok && 'request' in result && result.request.durationSeconds).toBe(1800);
  });

  it('ignores the duration of a task that opens no window', async () => {
    const r = await accepted({ task: 'unlock-s3', target: 'locked-bucket', durationSeconds: 5400 });
    expect(r).toMatchObject({ task: 'unlock-s3', target: 'locked-bucket' });
  });

  it('stores a valid request as typed, with its jobs, its post and the audit entry', async () => {
    const r = await accepted({
      justification: '  Locked out  ',
      link: ' https://tickets.example.com/INC-1 ',
    });
    expect(r).toMatchObject({
      requesterId: REQUESTER,
      accountId: ACCOUNT,
      accountName: 'workload-0002',
      task: 'password-recovery',
      durationSeconds: 3600,
      justification: 'Locked out',
      link: 'https://tickets.example.com/INC-1',
      createdAt: env.clock.now,
      state: 'pending',
      approvals: [],
      preview: { status: 'loading' },
    });
    expect(r.id).toMatch(/^BG-[A-Z2-9]{6}$/);
    expect(r.contentHash).toMatch(/^[\w-]{16}$/);
    expect(r).not.toHaveProperty('target');
    const now = env.clock.now;
    expect(await jobsOf(r.id)).toEqual([
      ['preview', now],
      ['nudge', now + HOUR / 2],
      ['expire', now + HOUR],
    ]);
    expect((await env.store.listDeliveries(r.id)).map((d) => d.delivery)).toEqual([{ to: 'post' }]);
    const [requested] = await env.store.listAudit(r.id);
    expect(requested).toMatchObject({
      actor: REQUESTER,
      action: 'requested',
      details: {
        accountId: ACCOUNT,
        task: 'password-recovery',
        durationSeconds: 3600,
        justification: 'Locked out',
        link: 'https://tickets.example.com/INC-1',
      },
    });
  });

  it('refuses people who may not request, before looking at anything else', async () => {
    expect(await refused({ requesterId: OUTSIDER, task: 'nonsense', justification: '' })).toEqual({
      account: 'You are not on the list of people who may request break-glass access.',
    });
  });

  it('refuses each bad field with its own reason', async () => {
    expect(await refused({ task: 'delete-everything' })).toEqual({
      task: 'Choose one of the tasks offered.',
    });
    expect(await refused({ justification: '   ' })).toEqual({
      justification: 'Say why root access is needed.',
    });
    expect(await refused({ justification: 'x'.repeat(2001) })).toEqual({
      justification: 'Keep it under 2000 characters.',
    });
    expect(await refused({ link: 'ftp://tickets.example.com/1' })).toHaveProperty('link');
    expect(await refused({ accountId: '999999999999' })).toHaveProperty('account');
    expect(await refused({ task: 'unlock-s3', target: 'Bad_Bucket' })).toHaveProperty('target');
    expect(await refused({ task: 'unlock-s3' })).toEqual({
      target: '"" is not a valid S3 bucket name: it must be 3 to 63 characters long',
    });
    expect(await refused({ task: 'unlock-sqs' })).toEqual({
      target:
        '"" is not an SQS queue URL: expected https://sqs.<region>.amazonaws.com/<account-id>/<queue-name>',
    });
    expect(await refused({ task: 'unlock-sqs', target: 'not a url' })).toHaveProperty('target');
  });

  it('accepts a justification of exactly the maximum length', async () => {
    expect((await accepted({ justification: 'x'.repeat(2000) })).justification).toHaveLength(2000);
  });

  it('stores the queue URL as checked, and refuses a queue of another account', async () => {
    const url = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/orders`;
    expect((await accepted({ task: 'unlock-sqs', target: ` ${url}/ ` })).target).toBe(url);
    const other = `https://sqs.eu-west-1.amazonaws.com/${memberId(3)}/orders`;
    expect(await refused({ task: 'unlock-sqs', target: other })).toEqual({
      target: `That queue belongs to account ${memberId(3)}, not ${ACCOUNT}.`,
    });
  });

  it('stores a Slack retry of the same submission once', async () => {
    const first = await actions().submit(input(), 'view:V1');
    const again = await actions().submit(input(), 'view:V1');
    expect(first.ok && 'request' in first).toBe(true);
    expect(again).toEqual({ ok: true, duplicate: true });
    expect(await env.store.listRequests({})).toHaveLength(1);
  });
});

describe('approve', () => {
  it('waits until approvers can see the current state of the account', async () => {
    const r = await accepted();
    const reply = await actions().approve(r.id, APPROVER_A, r.contentHash);
    expect(reply).toEqual({
      ok: false,
      text: 'Not approved: wait until the current state of the account has loaded.',
    });
    expect((await current(r.id)).approvals).toEqual([]);
  });

  it('records the first approval, then runs the task on the second', async () => {
    const r = await submitRequest(env, ACCOUNT);
    expect(await actions().approve(r.id, APPROVER_A, r.contentHash)).toEqual({
      ok: true,
      text: 'Approval recorded (1/2).',
    });
    expect(await current(r.id)).toMatchObject({
      state: 'pending',
      approvals: [{ userId: APPROVER_A, at: env.clock.now }],
    });
    expect(await actions().approve(r.id, APPROVER_B, r.contentHash)).toEqual({
      ok: true,
      text: 'Second approval recorded: running the task now.',
    });
    expect((await current(r.id)).state).toBe('executing');
    // The nudge and the expiry no longer apply.
    expect((await jobsOf(r.id)).map(([kind]) => kind)).toEqual(['execute', 'cleanup']);
    const approvals = (await env.store.listAudit(r.id)).filter((e) => e.action === 'approved');
    expect(approvals.map((e) => [e.actor, e.details])).toEqual([
      [APPROVER_A, { approvals: 1 }],
      [APPROVER_B, { approvals: 2 }],
    ]);
  });

  it('schedules no fallback cleanup for a task that opens no window', async () => {
    env.aws.fake.account(ACCOUNT).buckets.set('locked-bucket', '{"Statement":[]}');
    const r = await submitRequest(env, ACCOUNT, { task: 'unlock-s3', target: 'locked-bucket' });
    await approveByBoth(env, r, false);
    expect(await jobsOf(r.id)).toEqual([['execute', env.clock.now]]);
  });

  it('says why it refuses, and leaves no trace', async () => {
    const r = await submitRequest(env, ACCOUNT);
    expect(await actions().approve(r.id, OUTSIDER, r.contentHash)).toEqual({
      ok: false,
      text: 'Not approved: you are not an approver for break-glass requests.',
    });
    expect(await actions().approve('BG-NOPE', APPROVER_A, r.contentHash)).toEqual({
      ok: false,
      text: 'Not approved: there is no request BG-NOPE.',
    });
    expect(await trail(r.id)).toEqual(['requested', 'previewed']);
  });

  it('counts a double click once and audits it once', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await actions().approve(r.id, APPROVER_A, r.contentHash);
    expect(await actions().approve(r.id, APPROVER_A, r.contentHash)).toEqual({
      ok: true,
      text: 'Your approval was already counted.',
    });
    expect((await trail(r.id)).filter((a) => a === 'approved')).toHaveLength(1);
  });
});

describe('deny', () => {
  it('tells the requester when an approver denies, not when the requester withdraws', async () => {
    const denied = await submitRequest(env, ACCOUNT);
    expect(await actions().deny(denied.id, APPROVER_A, '  no ticket  ')).toEqual({
      ok: true,
      text: 'Request denied.',
    });
    expect(await current(denied.id)).toMatchObject({
      state: 'denied',
      denial: { userId: APPROVER_A, reason: 'no ticket', at: env.clock.now },
    });
    expect(await jobsOf(denied.id)).toEqual([]);
    expect((await env.store.listAudit(denied.id)).at(-1)).toMatchObject({
      actor: APPROVER_A,
      action: 'denied',
      details: { reason: 'no ticket' },
    });

    const withdrawn = await submitRequest(env, ACCOUNT);
    expect((await actions().deny(withdrawn.id, REQUESTER, 'not needed')).ok).toBe(true);
    await env.runDue();
    const dms = env.announcer.said.filter((s) => s.to === 'dm');
    expect(dms.map((s) => [s.requestId, s.kind, s.userId])).toEqual([[denied.id, 'denied', REQUESTER]]);
  });

  it('refuses outsiders with a reason', async () => {
    const r = await submitRequest(env, ACCOUNT);
    expect(await actions().deny(r.id, OUTSIDER, 'no')).toEqual({
      ok: false,
      text: 'Not denied: only approvers can deny break-glass requests.',
    });
    expect((await current(r.id)).state).toBe('pending');
  });
});

describe('cancel and finish', () => {
  it('lets an approver cancel a pending request, and audits who did', async () => {
    const r = await submitRequest(env, ACCOUNT);
    expect(await actions().cancel(r.id, APPROVER_B)).toEqual({
      ok: true,
      text: `Request ${r.id} cancelled.`,
    });
    expect((await env.store.listAudit(r.id)).at(-1)).toMatchObject({
      actor: APPROVER_B,
      action: 'cancelled',
    });
    expect(await actions().cancel(r.id, REQUESTER)).toEqual({
      ok: false,
      text: 'Not cancelled: it is already cancelled.',
    });
    expect(await actions().cancel('BG-NOPE', REQUESTER)).toEqual({
      ok: false,
      text: 'There is no request BG-NOPE.',
    });
    expect(await actions().cancel(r.id, OUTSIDER)).toEqual({
      ok: false,
      text: 'Only the requester or an approver can cancel a request.',
    });
  });

  it('ends an active window when cancelled, like Done', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    expect((await actions().cancel(r.id, APPROVER_A)).text).toBe(
      'Cleaning up now: root credentials will be deleted and verified.',
    );
    expect((await current(r.id)).state).toBe('cleaning');
    expect(await jobsOf(r.id)).toEqual([['cleanup', env.clock.now]]);
    expect((await env.store.listAudit(r.id)).at(-1)).toMatchObject({
      actor: APPROVER_A,
      action: 'finished early',
    });
  });

  it('lets only the requester or an approver end a window, and only an active one', async () => {
    const r = await submitRequest(env, ACCOUNT);
    expect(await actions().finish(r.id, REQUESTER)).toMatchObject({
      ok: false,
      text: 'Not done: the request is pending, not active.',
    });
    await approveByBoth(env, r);
    expect(await actions().finish(r.id, OUTSIDER)).toMatchObject({
      ok: false,
      text: 'Not done: only the requester or an approver can end the window.',
    });
    expect((await current(r.id)).state).toBe('active');
    expect((await actions().finish(r.id, APPROVER_B)).ok).toBe(true);
    expect(await actions().finish(r.id, REQUESTER)).toMatchObject({
      ok: true,
      text: 'Cleanup is already under way.',
    });
    expect((await trail(r.id)).filter((a) => a === 'finished early')).toHaveLength(1);
    await env.runDue();
    expect(await actions().finish(r.id, REQUESTER)).toMatchObject({
      ok: true,
      text: 'Cleanup is already under way.',
    });
  });
});

describe('extensions', () => {
  async function activeWindow(): Promise<BreakglassRequest> {
    const r = await submitRequest(env, ACCOUNT, { durationSeconds: 3600 });
    await approveByBoth(env, r);
    return current(r.id);
  }

  /** What the extension buttons carry: the pending ask's seconds and nonce (none: a stale button). */
  async function ask(id: string) {
    const pending = (await current(id)).extensionRequest;
    return { seconds: pending?.seconds ?? 0, nonce: pending?.nonce ?? '' };
  }

  it('refuses an extension approved by someone who is not an approver', async () => {
    const r = await activeWindow();
    expect((await actions().requestExtension(r.id, REQUESTER, 1800)).ok).toBe(true);
    expect(await actions().approveExtension(r.id, OUTSIDER, await ask(r.id))).toMatchObject({
      ok: false,
      text: 'Not extended: you are not an approver.',
    });
    const after = await current(r.id);
    expect(after.windowEndsAt).toBe(r.windowEndsAt);
    expect(after.extensionRequest).toMatchObject({ seconds: 1800, at: env.clock.now });
    expect((await env.store.pendingJobs(r.id)).find((j) => j.kind === 'cleanup')?.dueAt).toBe(r.windowEndsAt);
    expect(await trail(r.id)).not.toContain('extension approved');
  });

  it('moves the cleanup and the reminder, and tells the thread and the requester', async () => {
    const r = await activeWindow();
    const endsAt = r.windowEndsAt ?? 0;
    expect(await actions().requestExtension(r.id, REQUESTER, 1800)).toMatchObject({
      ok: true,
      text: 'Asked the approvers for 30m more.',
    });
    env.clock.now += 60_000;
    expect(await actions().approveExtension(r.id, APPROVER_B, await ask(r.id))).toMatchObject({
      ok: true,
      text: 'Extension approved.',
    });
    const after = await current(r.id);
    expect(after.windowEndsAt).toBe(endsAt + 1_800_000);
    expect(after).not.toHaveProperty('extensionRequest');
    const jobs = Object.fromEntries(await jobsOf(r.id));
    expect(jobs).toEqual({ cleanup: endsAt + 1_800_000, remind: endsAt + 1_800_000 - 600_000 });
    await env.runDue();
    expect(env.announcer.kinds().slice(-3)).toEqual([
      'thread:extension-requested',
      'thread:extended',
      'dm:extended',
    ]);
    expect((await env.store.listAudit(r.id)).slice(-2)).toMatchObject([
      { actor: REQUESTER, action: 'extension requested', details: { seconds: 1800 } },
      { actor: APPROVER_B, action: 'extension approved', details: { windowEndsAt: endsAt + 1_800_000 } },
    ]);
  });

  it('refuses what is not an extension of an active window by its requester', async () => {
    const pending = await submitRequest(env, ACCOUNT);
    expect(await actions().requestExtension(pending.id, REQUESTER, 60)).toMatchObject({
      ok: false,
      text: 'No extension: only an active window can be extended (this one is pending).',
    });
    const r = await activeWindow();
    expect(await actions().requestExtension(r.id, APPROVER_A, 60)).toMatchObject({
      ok: false,
      text: 'No extension: only the requester can ask for more time.',
    });
    expect(await actions().approveExtension(r.id, APPROVER_A, await ask(r.id))).toMatchObject({
      ok: false,
      text: 'Not extended: there is no extension waiting for approval.',
    });
    // 1h granted, 2h at most in total.
    expect((await actions().requestExtension(r.id, REQUESTER, 3601)).ok).toBe(false);
    expect((await actions().requestExtension(r.id, REQUESTER, 3600)).ok).toBe(true);
    expect(await actions().approveExtension(r.id, REQUESTER, await ask(r.id))).toMatchObject({
      ok: false,
      text: 'Not extended: you cannot approve your own extension.',
    });
    expect(await trail(r.id)).not.toContain('extension approved');
  });
});

describe('what each action updates', () => {
  it('rewrites the request message after every change people make', async () => {
    const r = await submitRequest(env, ACCOUNT);
    let seen = (await env.store.listDeliveries(r.id)).length;
    const step = async (action: () => Promise<unknown>, expected: string[]) => {
      await action();
      expect(await written(r.id, seen)).toEqual(expected);
      seen = (await env.store.listDeliveries(r.id)).length;
    };
    await step(() => actions().approve(r.id, APPROVER_A, r.contentHash), ['update']);
    await step(() => actions().approve(r.id, APPROVER_B, r.contentHash), ['update']);
    await env.runDue();
    seen = (await env.store.listDeliveries(r.id)).length;
    await step(() => actions().finish(r.id, REQUESTER), ['update']);

    const denied = await submitRequest(env, ACCOUNT);
    const before = (await env.store.listDeliveries(denied.id)).length;
    await actions().deny(denied.id, APPROVER_A, 'no');
    expect(await written(denied.id, before)).toEqual(['update', 'dm']);
    const cancelled = await submitRequest(env, ACCOUNT);
    const earlier = (await env.store.listDeliveries(cancelled.id)).length;
    await actions().cancel(cancelled.id, REQUESTER);
    expect(await written(cancelled.id, earlier)).toEqual(['update']);
  });

  it('stops the preview of a request denied or cancelled before it loaded', async () => {
    const denied = await accepted();
    await actions().deny(denied.id, APPROVER_A, 'wrong account');
    const cancelled = await accepted();
    await actions().cancel(cancelled.id, REQUESTER);
    expect(await jobsOf(denied.id)).toEqual([]);
    expect(await jobsOf(cancelled.id)).toEqual([]);
    await env.runDue();
    expect(env.aws.fake.sessions.size).toBe(0);
  });

  it('refuses an extension asked for in time but approved after the window ended', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    expect((await actions().requestExtension(r.id, REQUESTER, 1800)).ok).toBe(true);
    const pending = (await current(r.id)).extensionRequest;
    const click = { seconds: pending?.seconds ?? 0, nonce: pending?.nonce ?? '' };
    await env.advance(HOUR);
    expect((await current(r.id)).state).toBe('closed');
    expect(await actions().approveExtension(r.id, APPROVER_A, click)).toEqual({
      ok: false,
      text: 'Not extended: only an active window can be extended (this one is closed).',
    });
    expect(await jobsOf(r.id)).toEqual([]);
  });
});
