/**
 * The scheduled jobs through the workflow, with the real root-task service over
 * the fake AWS (its pauses recorded, not waited for): what each job decides from
 * what AWS answered, and what it leaves behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instantService } from '../aws/instant-service.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';
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
    expect(env.announcer.kinds()).toEqual(['thread:executed']);
    expect(env.announcer.said.at(-1)).toMatchObject({ requestId: r.id, state: 'failed' });
  });
});
