/**
 * The log lines operators and alarms read (`metric` lines match CloudWatch metric
 * filters; infra/lib/alarms.ts alarms on CleanupFailed): one per grant and per
 * cleanup outcome, never again when a job runs twice.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { JobKind } from '../../src/store/store.js';
import { instantService } from '../aws/instant-service.js';
import { memberId } from '../fakes/aws/sample-org.js';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';
import { approveByBoth, submitRequest } from '../support/workflow-flows.js';

const ACCOUNT = memberId(2);
const HOUR = 3_600_000;
let env: WorkflowEnv;
let lines: Record<string, unknown>[];

beforeEach(async () => {
  lines = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  env = await startWorkflowEnv({
    tasks: (aws) => instantService(aws).service,
    log: createLogger({ level: 'info' }, sink),
  });
});
afterEach(() => env.close());

const said = (msg: string) => lines.filter((l) => l.msg === msg);
const metric = (name: string) => lines.filter((l) => l.metric === name);

/** The request's due job of `kind` run twice at once (a lease that lapsed mid-run), then the notices. */
async function runTwiceAtOnce(id: string, kind: JobKind) {
  const job = (await env.store.pendingJobs(id)).find((j) => j.kind === kind);
  if (!job) throw new Error(`no ${kind} job for ${id}`);
  await Promise.all([env.workflow.runJob(job), env.workflow.runJob(job)]);
  await env.runDue();
}

describe('log lines and metrics of the jobs', () => {
  it('says a grant once, with its window, and counts it once, though two runs of the execute job race', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r, false);
    await runTwiceAtOnce(r.id, 'execute');
    expect(env.announcer.kinds().filter((k) => k === 'dm:granted')).toHaveLength(1);

    expect(said('root access granted')).toEqual([
      expect.objectContaining({
        level: 30,
        requestId: r.id,
        accountId: ACCOUNT,
        task: 'password-recovery',
        windowEndsAt: new Date(env.clock.now + HOUR).toISOString(),
      }),
    ]);
    expect(metric('Granted')).toEqual([
      expect.objectContaining({
        requestId: r.id,
        value: 1,
        Granted: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            { Namespace: 'Breakglass', Dimensions: [[]], Metrics: [{ Name: 'Granted', Unit: 'Count' }] },
          ],
        }),
      }),
    ]);
    expect(metric('CleanupVerified')).toEqual([]);
  });

  it('says a verified cleanup once, with what it removed, though two runs of the cleanup job race', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    env.clock.now += HOUR;
    await runTwiceAtOnce(r.id, 'cleanup');
    expect(env.announcer.kinds().filter((k) => k === 'channel:cleanup-verified')).toHaveLength(1);

    expect(said('cleanup verified')).toEqual([
      expect.objectContaining({
        level: 30,
        requestId: r.id,
        accountId: ACCOUNT,
        removed: expect.objectContaining({ loginProfile: true }),
      }),
    ]);
    expect(metric('CleanupVerified')).toEqual([
      expect.objectContaining({ requestId: r.id, CleanupVerified: 1 }),
    ]);
    expect(metric('CleanupFailed')).toEqual([]);
  });

  it('says every failed cleanup at error level, and counts each for the alarm', async () => {
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    env.aws.fake.options.staleAuditReads = 100; // the audit session keeps seeing the password
    await env.advance(HOUR);
    await env.advance(30_000);

    expect(said('cleanup failed; will retry')).toEqual([
      expect.objectContaining({
        level: 50,
        requestId: r.id,
        accountId: ACCOUNT,
        error: 'verification found root credentials left',
        removed: expect.objectContaining({ loginProfile: true }),
      }),
      expect.objectContaining({ level: 50, requestId: r.id }),
    ]);
    expect(metric('CleanupFailed')).toEqual([
      expect.objectContaining({ requestId: r.id, value: 1, CleanupFailed: 1 }),
      expect.objectContaining({ requestId: r.id, value: 1, CleanupFailed: 1 }),
    ]);
    expect(said('cleanup verified')).toEqual([]);
  });
});
