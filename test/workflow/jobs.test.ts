/**
 * The scheduled jobs through the workflow, with the real root-task service over
 * the fake AWS (its pauses recorded, not waited for): what each job decides from
 * what AWS answered, and what it leaves behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DryRunRootTasks } from '../../src/aws/dry-run-root-tasks.js';
import { RootTaskError } from '../../src/aws/errors.js';
import { silentLogger } from '../../src/log.js';
import type { JobKind } from '../../src/store/store.js';
import type { RootTasks } from '../../src/workflow/ports.js';
import { instantService } from '../aws/instant-service.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import type { FakeAwsEnv } from '../support/fake-aws-env.js';
import {
  APPROVER_A,
  REQUESTER,
  SETTINGS,
  startWorkflowEnv,
  type WorkflowEnv,
} from '../support/workflow-env.js';
import { approveByBoth, currentRequest, submitRequest } from '../support/workflow-flows.js';

const ACCOUNT = memberId(2);
const HOUR = 3_600_000;
let env: WorkflowEnv;
beforeEach(async () => {
  env = await startWorkflowEnv({ tasks: (aws) => instantService(aws).service });
});
afterEach(() => env.close());

const current = async (id: string) => (await currentRequest(env, id)).request;
const jobsOf = async (id: string) => (await env.store.pendingJobs(id)).map((j) => [j.kind, j.dueAt]);
const trail = async (id: string) => (await env.store.listAudit(id)).map((e) => e.action);

/** The real service over the fake, with some operations answered otherwise. */
function overriding(overrides: (service: RootTasks) => Partial<RootTasks>) {
  return (aws: FakeAwsEnv): RootTasks => {
    const service = instantService(aws).service;
    return {
      auditRootCredentials: (a) => service.auditRootCredentials(a),
      allowPasswordRecovery: (a) => service.allowPasswordRecovery(a),
      deleteRootCredentials: (a, o) => service.deleteRootCredentials(a, o),
      unlockS3BucketPolicy: (a, b, h) => service.unlockS3BucketPolicy(a, b, h),
      unlockSqsQueuePolicy: (a, q, h) => service.unlockSqsQueuePolicy(a, q, h),
      readPolicy: (a, t, x) => service.readPolicy(a, t, x),
      ...overrides(service),
    };
  };
}

async function restart(options: Parameters<typeof startWorkflowEnv>[0]) {
  await env.close();
  env = await startWorkflowEnv(options);
}

/** A job run again after its moment (a retry, a lapsed lease, a restart). */
async function runAgain(id: string, kind: JobKind) {
  await env.store.scheduleJob({ requestId: id, kind, dueAt: env.clock.now });
  await env.runDue();
}

/**
 * IAM keeps answering audit reads from before the deletion for longer than the
 * verification re-polls: the deletion reports no error, yet the audit session
 * still sees a credential.
 */
function auditKeepsSeeingCredentials(reads = 100) {
  env.aws.fake.options.staleAuditReads = reads;
}

describe('cleanup', () => {
  it('does not close the window while the audit still sees a credential, though no step failed', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    auditKeepsSeeingCredentials(6);
    await env.advance(HOUR);

    const cleaning = await current(r.id);
    expect(cleaning.state).toBe('cleaning');
    expect(cleaning.cleanup).toEqual({
      failures: 1,
      lastError: 'verification found root credentials left',
      alerted: false,
    });
    expect(env.announcer.kinds()).not.toContain('channel:cleanup-verified');
    expect(env.announcer.kinds().at(-1)).toBe('thread:cleanup-failed');
    expect(await jobsOf(r.id)).toEqual([['cleanup', env.clock.now + 30_000]]);
    expect((await env.store.listAudit(r.id)).at(-1)).toMatchObject({
      action: 'cleanup failed',
      details: { removed: { loginProfile: true } },
    });

    // The next attempt's audit sees the truth: verified, closed, announced once.
    await env.advance(30_000);
    const closed = await current(r.id);
    expect(closed.state).toBe('closed');
    expect(closed.cleanup).toMatchObject({ failures: 1, verifiedAt: env.clock.now });
    expect(env.announcer.kinds().filter((k) => k === 'channel:cleanup-verified')).toHaveLength(1);
    expect(await jobsOf(r.id)).toEqual([]);
  });

  it('alerts the channel once, on the third failure in a row, and keeps trying', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    auditKeepsSeeingCredentials();
    await env.advance(HOUR);
    await env.advance(30_000);
    expect((await current(r.id)).cleanup).toMatchObject({ failures: 2, alerted: false });
    expect(env.announcer.kinds()).not.toContain('channel:cleanup-failed');
    await env.advance(60_000);
    expect((await current(r.id)).cleanup).toMatchObject({ failures: 3, alerted: true });
    await env.advance(120_000);
    expect((await current(r.id)).cleanup).toMatchObject({ failures: 4, alerted: true });
    expect(env.announcer.kinds().filter((k) => k === 'channel:cleanup-failed')).toHaveLength(1);
    expect(env.announcer.kinds().filter((k) => k === 'thread:cleanup-failed')).toHaveLength(3);
    expect(await jobsOf(r.id)).toEqual([['cleanup', env.clock.now + 240_000]]);
  });
});

describe('execute: delete root credentials', () => {
  it('completes only when the audit finds nothing left', async () => {
    env.aws.fake.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    const r = await submitRequest(env, ACCOUNT, { task: 'delete-credentials' });
    await approveByBoth(env, r);
    const done = await current(r.id);
    expect(done.state).toBe('completed');
    expect(done.outcome).toMatchObject({ ok: true, at: env.clock.now });
    expect(done.outcome?.summary).toContain('verified clean');
    const executed = (await env.store.listAudit(r.id)).find((e) => e.action === 'executed');
    expect(executed?.details).toMatchObject({
      removed: { loginProfile: true },
      verified: true,
      evidence: {
        rootSessions: [
          expect.objectContaining({ task: 'deleteCredentials' }),
          expect.objectContaining({ task: 'audit' }),
        ],
      },
    });
  });

  it('fails, saying credentials remain, when the audit still sees one though no step failed', async () => {
    env.aws.fake.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    const r = await submitRequest(env, ACCOUNT, { task: 'delete-credentials' });
    auditKeepsSeeingCredentials();
    await approveByBoth(env, r);
    const failed = await current(r.id);
    expect(failed.state).toBe('failed');
    expect(failed.outcome).toMatchObject({ ok: false });
    expect(failed.outcome?.summary).toContain('NOT verified: credentials remain');
    // The thread hears the failed state, and the requester a DM, as for a task that threw.
    expect(env.announcer.kinds()).toEqual(['thread:executed', 'dm:execution-failed']);
    expect(env.announcer.said.at(-1)).toMatchObject({ requestId: r.id, state: 'failed', userId: REQUESTER });
  });
});

describe('preview', () => {
  it('shows approvers the account as it is, updates the message and audits the read', async () => {
    const r = await submitRequest(env, ACCOUNT);
    expect(r.preview).toEqual({
      status: 'ready',
      rootCredentials: 'no root credentials',
      credentials: [],
      rootEmail: `aws+${ACCOUNT}@example.com`,
    });
    expect((await env.store.listDeliveries(r.id)).map((d) => d.delivery.to)).toEqual(['post', 'update']);
    expect(await trail(r.id)).toEqual(['requested', 'previewed']);
    expect((await env.store.listAudit(r.id))[1]?.actor).toBe('scheduler');
  });

  it('names the root mailbox only for password recovery: a deletion grants no sign-in', async () => {
    const r = await submitRequest(env, ACCOUNT, { task: 'delete-credentials' });
    expect(r.preview).toEqual({ status: 'ready', rootCredentials: 'no root credentials', credentials: [] });
    expect((await env.store.listAudit(r.id)).at(-1)?.details).not.toHaveProperty(
      'rootEmail',
      expect.anything(),
    );
  });

  it('previews the policy an SQS unlock would remove, and reads no policy for other tasks', async () => {
    const policy = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*"}]}';
    env.aws.fake.account(ACCOUNT).queues.set('orders', policy);
    const target = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/orders`;
    const r = await submitRequest(env, ACCOUNT, { task: 'unlock-sqs', target });
    // The queue's last change (LastModifiedTimestamp) bounds the policy's; the fake's queue last changed then.
    const lastChanged = '2024-01-02T03:04:05.000Z';
    expect(r.preview).toEqual({
      status: 'ready',
      rootCredentials: 'no root credentials',
      credentials: [],
      policy,
      queueLastModifiedAt: lastChanged,
    });
    expect((await env.store.listAudit(r.id)).at(-1)).toMatchObject({
      action: 'previewed',
      details: { policy, queueLastModifiedAt: lastChanged },
    });
    const recovery = await submitRequest(env, ACCOUNT);
    expect(recovery.preview).not.toHaveProperty('policy');
    expect(env.aws.fake.callsOf('GetQueueAttributes')).toHaveLength(1);
  });

  it('lists each root credential with the dates AWS gives, for approvers to see what will be deleted', async () => {
    env.aws.fake.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    const r = await submitRequest(env, ACCOUNT);
    const created = '2024-01-02T03:04:05.000Z';
    expect(r.preview?.credentials).toEqual([
      { kind: 'password', createdAt: created, lastUsedAt: '2025-07-01T00:00:00.000Z' },
      {
        kind: 'access-key',
        id: `AKIAROOT${ACCOUNT}A`,
        status: 'Active',
        createdAt: created,
        lastUsedAt: '2025-06-01T00:00:00.000Z',
        lastUsedWhere: 's3, eu-west-1',
      },
      { kind: 'access-key', id: `AKIAROOT${ACCOUNT}B`, status: 'Inactive', createdAt: created },
      { kind: 'signing-certificate', id: `CERT${ACCOUNT}`, status: 'Active', createdAt: created },
      { kind: 'mfa-device', id: `arn:aws:iam::${ACCOUNT}:mfa/root-account-mfa-device`, createdAt: created },
      { kind: 'mfa-device', id: `GAHT${ACCOUNT}`, createdAt: created },
    ]);
  });

  it('shows a failed read as failed, with its error, and audits it', async () => {
    env.aws.fake.failNext('AssumeRoot', 'AccessDenied', {
      status: 403,
      message: 'not allowed to assume root',
    });
    const r = await submitRequest(env, ACCOUNT);
    expect(r.preview?.status).toBe('failed');
    expect(r.preview?.error).toContain('not allowed to assume root');
    const failed = (await env.store.listAudit(r.id)).at(-1);
    expect(failed).toMatchObject({
      actor: 'scheduler',
      action: 'preview failed',
      details: { kind: 'not-authorized' },
    });
  });

  it('leaves a request that left pending alone, even when that happens during the read', async () => {
    let requestId = '';
    await restart({
      tasks: overriding((service) => ({
        auditRootCredentials: async (a) => {
          await env.workflow.actions.deny(requestId, APPROVER_A, 'no ticket');
          return service.auditRootCredentials(a);
        },
      })),
    });
    const result = await env.workflow.actions.submit({
      requesterId: REQUESTER,
      accountId: ACCOUNT,
      task: 'password-recovery',
      durationSeconds: 3600,
      justification: 'x',
    });
    if (!result.ok || !('request' in result)) throw new Error('not submitted');
    requestId = result.request.id;
    await env.runDue();
    expect(await current(requestId)).toMatchObject({ state: 'denied', preview: { status: 'loading' } });

    // A preview run again later does not even open a session.
    const sessions = env.aws.fake.sessions.size;
    await runAgain(requestId, 'preview');
    expect(env.aws.fake.sessions.size).toBe(sessions);
  });
});

describe('execute', () => {
  it('grants password recovery: outcome, window, reminder, notices with the root email', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    const now = env.clock.now;
    const active = await current(r.id);
    expect(active).toMatchObject({
      state: 'active',
      grantedAt: now,
      windowEndsAt: now + HOUR,
      executeAttempts: 1,
      outcome: { ok: true, summary: 'Root password recovery enabled for 1h.', at: now },
    });
    expect(await jobsOf(r.id)).toEqual([
      ['remind', now + HOUR - 600_000],
      ['cleanup', now + HOUR],
    ]);
    const granted = (await env.store.listDeliveries(r.id)).find((d) => d.delivery.to === 'dm');
    expect(granted?.delivery).toMatchObject({
      to: 'dm',
      userId: REQUESTER,
      notice: { kind: 'granted', rootEmail: `aws+${ACCOUNT}@example.com` },
    });
    expect((await env.store.listAudit(r.id)).find((e) => e.action === 'executed')?.details).toMatchObject({
      created: true,
    });
  });

  it('says so when recovery was already possible', async () => {
    env.aws.fake.account(ACCOUNT).root.loginProfile = { createDate: new Date() };
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    expect((await current(r.id)).outcome?.summary).toBe(
      'Root password recovery was already enabled; the window lasts 1h.',
    );
  });

  it('completes an unlock with the previous policy in the audit trail, and tells the thread', async () => {
    const policy = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}';
    env.aws.fake.account(ACCOUNT).buckets.set('locked-bucket', policy);
    const r = await submitRequest(env, ACCOUNT, { task: 'unlock-s3', target: 'locked-bucket' });
    await approveByBoth(env, r);
    const done = await current(r.id);
    expect(done.state).toBe('completed');
    expect(done.outcome).toEqual({
      ok: true,
      summary: 'Removed the policy of locked-bucket; the previous policy is in the audit trail for restore.',
      at: env.clock.now,
    });
    expect(env.announcer.kinds()).toEqual(['thread:executed']);
    const executed = (await env.store.listAudit(r.id)).find((e) => e.action === 'executed');
    expect(executed?.details).toMatchObject({
      resource: 'locked-bucket',
      removed: true,
      previousPolicy: policy,
    });
    expect(await jobsOf(r.id)).toEqual([]);
  });

  it('unlocks an SQS queue, and says when there was no policy to remove', async () => {
    env.aws.fake.account(ACCOUNT).queues.set('orders', '{"Statement":[]}');
    env.aws.fake.account(ACCOUNT).queues.set('open', null);
    const base = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}`;
    const locked = await submitRequest(env, ACCOUNT, { task: 'unlock-sqs', target: `${base}/orders` });
    await approveByBoth(env, locked);
    expect(env.aws.fake.account(ACCOUNT).queues.get('orders')).toBeNull();
    expect((await current(locked.id)).outcome?.summary).toMatch(/^Removed the policy of .*orders/);
    const open = await submitRequest(env, ACCOUNT, { task: 'unlock-sqs', target: `${base}/open` });
    await approveByBoth(env, open);
    expect((await current(open.id)).outcome?.summary).toMatch(/open had no policy: nothing to remove\.$/);
  });

  it('says "dry run" in every outcome when nothing is changed in AWS', async () => {
    await restart({ tasks: () => new DryRunRootTasks(silentLogger), settings: { dryRun: true } });
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    expect((await current(r.id)).outcome?.summary).toBe(
      'Root password recovery enabled for 1h. (dry run: nothing was changed in AWS)',
    );
    const unlock = await submitRequest(env, ACCOUNT, { task: 'unlock-s3', target: 'any-bucket' });
    await approveByBoth(env, unlock);
    expect((await current(unlock.id)).outcome?.summary).toMatch(/ \(dry run: nothing was changed in AWS\)$/);
    expect(SETTINGS.dryRun).toBe(false);
  });

  it('runs an approved task once: a re-run after it finished does nothing', async () => {
    env.aws.fake.account(ACCOUNT).buckets.set('locked-bucket', '{"Statement":[]}');
    const r = await submitRequest(env, ACCOUNT, { task: 'unlock-s3', target: 'locked-bucket' });
    await approveByBoth(env, r);
    const sessions = env.aws.fake.sessions.size;
    await runAgain(r.id, 'execute');
    expect(env.aws.fake.sessions.size).toBe(sessions);
    expect(await current(r.id)).toMatchObject({ state: 'completed', executeAttempts: 1 });
    expect(await jobsOf(r.id)).toEqual([]);
  });

  it('reports a grant refused before anything was granted, with its outcome and audit entry', async () => {
    const r = await submitRequest(env, ACCOUNT);
    env.aws.fake.failNext('AssumeRoot', 'AccessDenied', { status: 403, message: 'denied by policy' });
    await approveByBoth(env, r);
    const failed = await current(r.id);
    expect(failed.state).toBe('failed');
    expect(failed.outcome).toMatchObject({ ok: false, at: env.clock.now });
    expect(failed.outcome?.summary).toContain('denied by policy');
    expect((await env.store.listAudit(r.id)).at(-1)).toMatchObject({
      actor: 'scheduler',
      action: 'execution failed',
      details: { kind: 'not-authorized' },
    });
  });

  it('cleans up again when the grant lands after its fallback cleanup verified', async () => {
    let requestId = '';
    const cleanupNow = () =>
      env.workflow.runJob({ id: '0', requestId, kind: 'cleanup', dueAt: env.clock.now, attempts: 1 });
    await restart({
      tasks: overriding((service) => ({
        allowPasswordRecovery: async (a) => {
          // The process stalled long enough for the window's bound to pass.
          await cleanupNow();
          return service.allowPasswordRecovery(a);
        },
      })),
    });
    const r = await submitRequest(env, ACCOUNT);
    requestId = r.id;
    await approveByBoth(env, r);
    expect(await current(r.id)).toMatchObject({ state: 'closed' });
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
    expect((await trail(r.id)).filter((a) => a === 'cleanup verified')).toHaveLength(2);
    expect(await jobsOf(r.id)).toEqual([]);
  });

  it('leaves a window its fallback cleanup closed as it is when the grant then fails', async () => {
    let requestId = '';
    await restart({
      tasks: overriding(() => ({
        allowPasswordRecovery: async () => {
          await env.workflow.runJob({
            id: '0',
            requestId,
            kind: 'cleanup',
            dueAt: env.clock.now,
            attempts: 1,
          });
          throw new RootTaskError('throttled', 'Rate exceeded');
        },
      })),
    });
    const r = await submitRequest(env, ACCOUNT);
    requestId = r.id;
    await approveByBoth(env, r);
    expect((await current(r.id)).state).toBe('closed');
    // The execute job is done (not retried); only the now idle fallback cleanup is left.
    expect((await jobsOf(r.id)).map(([kind]) => kind)).toEqual(['cleanup']);
    expect(await trail(r.id)).toContain('execution failed');
  });
});

describe('cleanup, more', () => {
  it('records a first-time verified cleanup with what it removed', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    await env.advance(HOUR);
    expect((await current(r.id)).cleanup).toEqual({
      failures: 0,
      summary: `${ACCOUNT}: removed password; verified clean`,
      verifiedAt: env.clock.now,
    });
    expect((await env.store.listAudit(r.id)).at(-1)).toMatchObject({
      actor: 'scheduler',
      action: 'cleanup verified',
      details: { removed: { loginProfile: true } },
    });
  });

  it('never touches an account whose request never granted', async () => {
    const r = await submitRequest(env, ACCOUNT);
    env.aws.fake.failNext('AssumeRoot', 'AccessDenied', { status: 403 });
    await approveByBoth(env, r);
    expect((await current(r.id)).state).toBe('failed');
    env.aws.fake.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    await runAgain(r.id, 'cleanup');
    expect((await current(r.id)).state).toBe('failed');
    expect(await jobsOf(r.id)).toEqual([]);
    expect(env.aws.fake.callsOf('DeleteLoginProfile')).toEqual([]);
    expect(env.aws.fake.account(ACCOUNT).root).toEqual(fullyCredentialed(ACCOUNT));
  });

  it('takes over from a grant that never finished, and cancels it', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r, false);
    const execute = (await env.store.pendingJobs(r.id)).find((j) => j.kind === 'execute');
    // The execute job keeps failing and backing off past the window's bound.
    await env.store.retryJob(execute?.id ?? '', env.clock.now + 2 * HOUR);
    await env.advance(HOUR);
    expect((await current(r.id)).state).toBe('closed');
    expect(await jobsOf(r.id)).toEqual([]);
    expect(env.aws.fake.callsOf('CreateLoginProfile')).toEqual([]);
  });

  it('counts a failed step as a failure even when the audit then finds nothing', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    env.aws.fake.failNext('ListSigningCertificates', 'ServiceFailure', { status: 500, times: 10 });
    await env.advance(HOUR);
    const cleaning = await current(r.id);
    expect(cleaning.state).toBe('cleaning');
    expect(cleaning.cleanup?.lastError).toContain('ServiceFailure injected by the fake');
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
  });

  it('records a deletion that could not start as a failure, and retries it', async () => {
    let failures = 1;
    await restart({
      tasks: overriding((service) => ({
        deleteRootCredentials: async (a) => {
          if (failures-- > 0) throw new Error('socket hang up');
          return service.deleteRootCredentials(a);
        },
      })),
    });
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    await env.advance(HOUR);
    expect((await current(r.id)).cleanup).toMatchObject({ failures: 1, lastError: 'socket hang up' });
    expect((await env.store.listAudit(r.id)).at(-1)).toMatchObject({
      action: 'cleanup failed',
      details: {
        error: { kind: 'unexpected', message: 'socket hang up' },
        removed: { loginProfile: false, accessKeys: [], signingCertificates: [], mfaDevices: [] },
        evidence: { requestIds: [], rootSessions: [] },
      },
    });
    await env.advance(30_000);
    expect((await current(r.id)).state).toBe('closed');
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
  });

  it("tells the thread AWS's own words when a step is refused", async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    env.aws.fake.failNext('DeleteLoginProfile', 'AccessDenied', {
      status: 403,
      message: 'explicit deny in an SCP',
    });
    await env.advance(HOUR);
    expect((await current(r.id)).cleanup?.lastError).toContain('explicit deny in an SCP');
    const failed = (await env.store.listDeliveries(r.id)).at(-1)?.delivery;
    expect(failed).toMatchObject({ to: 'thread', notice: { kind: 'cleanup-failed', alert: false } });
    expect(
      failed && 'notice' in failed && failed.notice.kind === 'cleanup-failed' && failed.notice.error,
    ).toContain('explicit deny in an SCP');
  });
});

describe('reminders, nudges and expiry', () => {
  it('does nothing when run after its moment has passed', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    await runAgain(r.id, 'nudge');
    await runAgain(r.id, 'expire');
    expect((await current(r.id)).state).toBe('active');
    // The reminder, then the window's end (a cleanup due with it runs first and makes it moot).
    await env.advance(50 * 60_000);
    await env.advance(10 * 60_000);
    await runAgain(r.id, 'remind');
    expect(env.announcer.kinds().filter((k) => k === 'dm:reminder' || k === 'thread:nudge')).toEqual([
      'dm:reminder',
    ]);
    expect(await trail(r.id)).not.toContain('expired');
    expect((await trail(r.id)).filter((a) => a === 'reminded')).toHaveLength(1);
  });

  it('expires once, telling the requester, and cancels what no longer applies', async () => {
    const r = await submitRequest(env, ACCOUNT);
    // A nudge and a preview retried past the expiry are cancelled with it.
    await env.store.scheduleJob({ requestId: r.id, kind: 'nudge', dueAt: env.clock.now + 2 * HOUR });
    await env.store.scheduleJob({ requestId: r.id, kind: 'preview', dueAt: env.clock.now + 2 * HOUR });
    await env.advance(HOUR);
    expect((await current(r.id)).state).toBe('expired');
    expect(await jobsOf(r.id)).toEqual([]);
    expect(env.announcer.said.at(-1)).toMatchObject({
      to: 'dm',
      userId: REQUESTER,
      kind: 'expired',
      state: 'expired',
    });
    await runAgain(r.id, 'expire');
    expect((await env.store.listAudit(r.id)).filter((e) => e.action === 'expired')).toEqual([
      expect.objectContaining({ actor: 'scheduler' }),
    ]);
  });
});

describe('races and leftovers', () => {
  it('cleans up again when the grant lands while its fallback cleanup is running', async () => {
    let requestId = '';
    await restart({
      tasks: overriding((service) => ({
        allowPasswordRecovery: async (a) => {
          // Another process started the fallback cleanup meanwhile.
          await env.workflow.core.mutate(requestId, (cur) => ({
            next: { ...cur, state: 'cleaning' },
            value: 0,
          }));
          return service.allowPasswordRecovery(a);
        },
      })),
    });
    const r = await submitRequest(env, ACCOUNT);
    requestId = r.id;
    await approveByBoth(env, r);
    expect((await current(r.id)).state).toBe('closed');
    expect(env.aws.fake.account(ACCOUNT).root.loginProfile).toBeNull();
  });

  it('announces a window closed once when two cleanups race', async () => {
    let nested = true;
    let requestId = '';
    await restart({
      tasks: overriding((service) => ({
        deleteRootCredentials: async (a) => {
          if (nested) {
            nested = false;
            // The same cleanup runs in another process and finishes first.
            await env.workflow.runJob({
              id: 'race',
              requestId,
              kind: 'cleanup',
              dueAt: env.clock.now,
              attempts: 1,
            });
          }
          return service.deleteRootCredentials(a);
        },
      })),
    });
    const r = await submitRequest(env, ACCOUNT);
    requestId = r.id;
    await approveByBoth(env, r);
    await env.advance(HOUR);
    expect((await current(r.id)).state).toBe('closed');
    expect(env.announcer.kinds().filter((k) => k === 'channel:cleanup-verified')).toHaveLength(1);
  });

  it('does not report a failure for a window another cleanup has closed meanwhile', async () => {
    let nested = true;
    let requestId = '';
    await restart({
      tasks: overriding((service) => ({
        deleteRootCredentials: async (a) => {
          if (!nested) return service.deleteRootCredentials(a);
          nested = false;
          await env.workflow.runJob({
            id: 'race',
            requestId,
            kind: 'cleanup',
            dueAt: env.clock.now,
            attempts: 1,
          });
          throw new RootTaskError('throttled', 'Rate exceeded');
        },
      })),
    });
    const r = await submitRequest(env, ACCOUNT);
    requestId = r.id;
    await approveByBoth(env, r);
    await env.advance(HOUR);
    const closed = await current(r.id);
    expect(closed.state).toBe('closed');
    expect(closed.cleanup?.failures).toBe(0);
    expect(env.announcer.kinds()).not.toContain('thread:cleanup-failed');
  });

  it('leaves no job behind once a window is closed', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    // A reminder pushed back past the window's end (retried after a store error, say).
    await env.store.scheduleJob({ requestId: r.id, kind: 'remind', dueAt: env.clock.now + HOUR + 60_000 });
    await env.advance(HOUR);
    expect((await current(r.id)).state).toBe('closed');
    expect(await jobsOf(r.id)).toEqual([]);
  });

  it('drops a job whose request is gone', async () => {
    for (const kind of ['preview', 'remind', 'nudge', 'execute', 'cleanup', 'expire'] as const) {
      await runAgain('BG-GONE', kind);
      expect([kind, await jobsOf('BG-GONE')]).toEqual([kind, []]);
    }
  });
});
