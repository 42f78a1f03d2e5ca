/**
 * The promise that matters most: a root credential never outlives its window,
 * whatever Slack does, and nobody is left uninformed. Slack is faked at the
 * Announcer port here (down, or refusing for good); the delivery worker's
 * handling of each real Slack answer is tested over HTTP in test/slack.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memberId } from '../fakes/aws/sample-org.js';
import { REQUESTER, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';
import { approveByBoth, currentRequest, submitRequest } from '../support/workflow-flows.js';

const ACCOUNT = memberId(2);
const HOUR = 3_600_000;
let env: WorkflowEnv;
beforeEach(async () => {
  env = await startWorkflowEnv();
});
afterEach(() => env.close());

const state = async (id: string) => (await currentRequest(env, id)).request.state;

describe('Slack down across the window end', () => {
  it('deletes the root password at the window end, then announces once when Slack is back', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).not.toBeNull();

    env.announcer.down = true;
    await env.advance(HOUR);
    // Deleted and verified while every Slack call fails.
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
    expect(await state(r.id)).toBe('closed');
    expect(env.announcer.failedCalls).toBeGreaterThan(0);
    expect(env.announcer.kinds()).not.toContain('channel:cleanup-verified');

    env.announcer.down = false;
    await env.advance(20_000);
    await env.advance(20_000);
    const announced = env.announcer.kinds().filter((k) => k === 'channel:cleanup-verified');
    expect(announced).toHaveLength(1);
    expect((await env.store.deliveryBacklog()).pending).toBe(0);
  });

  it('keeps the repeated-failure alert until Slack takes it', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    env.announcer.down = true;
    env.aws.fake.failNext('DeleteLoginProfile', 'AccessDenied', { status: 403, times: 3 });
    await env.advance(HOUR);
    await env.advance(30_000);
    await env.advance(60_000);
    expect((await currentRequest(env, r.id)).request.cleanup).toMatchObject({ failures: 3, alerted: true });
    env.announcer.down = false;
    await env.advance(20_000);
    await env.advance(20_000);
    expect(env.announcer.kinds().filter((k) => k === 'channel:cleanup-failed')).toHaveLength(1);
  });
});

describe('Slack refusing for good', () => {
  it('cancels a request whose message cannot be posted and tells the requester', async () => {
    env.announcer.refuse.set('post', 'not_in_channel');
    const r = await submitRequest(env, ACCOUNT);
    const stored = (await currentRequest(env, r.id)).request;
    expect(stored.state).toBe('cancelled');
    expect(stored.cancelReason).toBe('Slack refused to post it to the approvals channel (not_in_channel)');
    expect(env.announcer.said).toContainEqual(
      expect.objectContaining({ to: 'dm', userId: REQUESTER, kind: 'not-delivered' }),
    );
    // Nothing left to expire it silently later, and nobody can approve it.
    expect((await env.store.pendingJobs(r.id)).map((j) => j.kind)).toEqual([]);
    expect((await env.workflow.actions.approve(r.id, 'UAPPROVERA', stored.contentHash)).ok).toBe(false);
  });

  it('cancels a pending request whose message cannot be updated (approvers would not see the preview)', async () => {
    env.announcer.refuse.set('update', 'message_not_found');
    const r = await submitRequest(env, ACCOUNT);
    const stored = (await currentRequest(env, r.id)).request;
    expect(stored.state).toBe('cancelled');
    expect(stored.cancelReason).toBe(
      'Slack refused to update its message in the approvals channel (message_not_found)',
    );
    expect(env.announcer.said.filter((s) => s.kind === 'not-delivered').map((s) => s.to)).toEqual(['dm']);
    // Refused again later (the request is no longer pending): nothing changes, nothing more is said.
    expect((await env.store.listAudit(r.id)).filter((e) => e.action === 'cancelled: not shown')).toHaveLength(
      1,
    );
  });

  it('tells the requester by DM when a channel notice is refused, and the thread when the DM is', async () => {
    env.announcer.refuse.set('channel:cleanup-verified', 'is_archived');
    env.announcer.refuse.set('dm:granted', 'invalid_blocks');
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    await env.advance(HOUR);
    expect(await state(r.id)).toBe('closed');
    const fallbacks = env.announcer.said.filter((s) => s.kind === 'not-delivered').map((s) => s.to);
    expect(fallbacks).toEqual(['thread', 'dm']);
  });

  it('does not escalate a refused fallback again', async () => {
    env.announcer.refuse.set('post', 'channel_not_found');
    env.announcer.refuse.set('dm', 'invalid_auth');
    const r = await submitRequest(env, ACCOUNT);
    await env.advance(60_000);
    expect(await state(r.id)).toBe('cancelled');
    const deliveries = await env.store.listDeliveries(r.id);
    const said = deliveries.filter((d) => d.delivery.to !== 'update');
    expect(said.map((d) => `${d.delivery.to}:${d.status}`)).toEqual(['post:failed', 'dm:failed']);
    const trail = (await env.store.listAudit(r.id)).map((e) => e.action);
    expect(trail.filter((a) => a === 'notice undeliverable')).toHaveLength(2);
  });
});

describe('grant safety', () => {
  it('writes the fallback cleanup with the second approval, before any AWS call', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r, false);
    const jobs = await env.store.pendingJobs(r.id);
    expect(jobs.map((j) => [j.kind, j.dueAt])).toEqual([
      ['execute', env.clock.now],
      ['cleanup', env.clock.now + HOUR],
    ]);
    expect(env.aws.fake.sessions.size).toBe(1); // the preview's audit session only
  });

  it('cleans up when a re-run after an unrecorded grant fails before any root session', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r, false);
    // A first attempt granted (the password exists) and the process died before recording it.
    await env.workflow.core.mutate(r.id, (cur) => ({
      next: { ...cur, executeAttempts: 1 },
      value: undefined,
    }));
    env.aws.fake.account(ACCOUNT).root.loginProfile = { createDate: new Date() };
    // The re-run's AssumeRoot is refused, once; cleanup's sessions go through.
    env.aws.fake.failNext('AssumeRoot', 'AccessDenied', { status: 403, times: 1 });
    await env.runDue();
    expect(await state(r.id)).toBe('closed');
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
  });

  it('leaves the account untouched when the first attempt is refused at AssumeRoot', async () => {
    const r = await submitRequest(env, ACCOUNT);
    env.aws.fake.failNext('AssumeRoot', 'AccessDenied', { status: 403, times: 1 });
    await approveByBoth(env, r);
    expect(await state(r.id)).toBe('failed');
    expect(await env.store.pendingJobs(r.id)).toEqual([]);
  });

  it('cleans up at the approved bound when the grant never finished', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r, false);
    // The execute job is stuck (a crash loop, say): take it away and let the bound pass.
    await env.store.cancelJobs(r.id, ['execute']);
    env.aws.fake.account(ACCOUNT).root.loginProfile = { createDate: new Date() };
    await env.advance(HOUR);
    expect(await state(r.id)).toBe('closed');
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
  });
});

describe('grant races (review findings)', () => {
  /** Holds the grant call until `release`; resolves `reached` when the call is waiting. */
  function gateGrant() {
    const service = env.aws.service;
    const real = service.allowPasswordRecovery.bind(service);
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached = () => {};
    const waiting = new Promise<void>((resolve) => {
      reached = resolve;
    });
    service.allowPasswordRecovery = async (accountId) => {
      reached();
      await gate;
      return real(accountId);
    };
    return { release, waiting };
  }

  async function job(id: string, kind: 'execute' | 'cleanup') {
    const found = (await env.store.pendingJobs(id)).find((j) => j.kind === kind);
    if (!found) throw new Error(`no ${kind} job`);
    return found;
  }

  it('cleans up again when a grant lands while the fallback cleanup runs', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r, false);
    const grant = gateGrant();
    const execute = env.workflow.runJob(await job(r.id, 'execute'));
    await grant.waiting;
    // The fallback cleanup runs while the grant is in flight; the grant lands after it verified.
    const service = env.aws.service;
    const realDelete = service.deleteRootCredentials.bind(service);
    service.deleteRootCredentials = async (accountId, options) => {
      const result = await realDelete(accountId, options);
      service.deleteRootCredentials = realDelete;
      grant.release();
      await execute;
      return result;
    };
    env.clock.now += HOUR;
    const first = await env.workflow.runJob(await job(r.id, 'cleanup'));
    expect(first.retryAt).toBeDefined();
    expect(await state(r.id)).toBe('cleaning');
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).not.toBeNull();
    await env.runDue();
    expect(await state(r.id)).toBe('closed');
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
  });

  it('keeps the window of the first attempt when a re-run grants after a crash', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r, false);
    const firstAt = env.clock.now;
    await env.workflow.core.mutate(r.id, (cur) => ({
      next: { ...cur, executeAttempts: 1, firstExecuteAt: firstAt },
      value: undefined,
    }));
    env.clock.now += 50 * 60_000; // the process was down for 50 minutes
    await env.runDue();
    const active = (await currentRequest(env, r.id)).request;
    expect(active.state).toBe('active');
    expect(active.windowEndsAt).toBe(firstAt + HOUR);
  });

  it('lets only the latest attempt decide that nothing was granted', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r, false);
    const grant = gateGrant();
    env.aws.fake.failNext('AssumeRoot', 'AccessDenied', { status: 403, times: 1 });
    const older = env.workflow.runJob(await job(r.id, 'execute'));
    await grant.waiting;
    // Its lease lapsed and a newer attempt started meanwhile.
    await env.workflow.core.mutate(r.id, (cur) => ({
      next: { ...cur, executeAttempts: 2 },
      value: undefined,
    }));
    grant.release();
    await older;
    expect(await state(r.id)).toBe('cleaning');
    expect((await env.store.pendingJobs(r.id)).map((j) => j.kind)).toContain('cleanup');
  });

  it('closes a window without asking Organizations anything', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    const before = env.aws.fake.calls.filter((c) => c.startsWith('organizations:')).length;
    env.aws.fake.failNext('ListAccounts', 'TooManyRequestsException', { times: 50 });
    env.aws.organization.refresh();
    await env.advance(HOUR);
    expect(await state(r.id)).toBe('closed');
    expect(env.aws.fake.calls.filter((c) => c.startsWith('organizations:')).length).toBe(before);
  });
});
