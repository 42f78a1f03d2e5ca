/**
 * The fault matrix, part two: the running bot (signed HTTP, real WebClient and
 * SDK clients) against fakes that fail as Slack and AWS do, across the window's
 * end. Every case ends with the account verified clean (or, for a request that
 * never granted, untouched), the requester and the channel told once, and the
 * process alive.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import type { FakeRootUser } from '../fakes/aws/model.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import { APPROVER_A, APPROVER_B, type BotEnv, REQUESTER, startBotEnv, waitFor } from '../support/bot-env.js';
import { approveValue, click, dmsTo, submitRequest, waitForState } from '../support/bot-flows.js';
import { CHANNEL } from '../support/slack-client.js';

const ACCOUNT = memberId(2);
const FAST = {
  BREAKGLASS_DURATIONS: '2s,4s',
  BREAKGLASS_REMIND_BEFORE: '1s',
  BREAKGLASS_CLEANUP_RETRY: '1s',
  BREAKGLASS_JOB_LEASE: '2s',
};
let env: BotEnv;
afterEach(() => env?.close());

/** Request, two approvals, window open; returns the active request. */
async function openWindow(duration = '2'): Promise<BreakglassRequest> {
  const request = await submitRequest(env, { account: ACCOUNT, duration, justification: 'fault matrix' });
  const value = approveValue(env.slack, request.id) ?? '';
  await click(env, APPROVER_A, 'bg_approve', value);
  await click(env, APPROVER_B, 'bg_approve', value);
  return waitForState(env, request.id, 'active');
}

/** Posts Slack accepted, to `channel`, whose text contains `marker`. */
function delivered(channel: string, marker: string): number {
  return env.slack
    .callsOf('chat.postMessage')
    .filter(
      (c) => c.outcome?.ok !== false && c.args.channel === channel && String(c.args.text).includes(marker),
    ).length;
}

async function announcedOnce(): Promise<void> {
  await waitFor(
    'the cleanup announcement',
    () => (delivered(CHANNEL, 'is closed') ? true : undefined),
    25_000,
  );
  expect(delivered(CHANNEL, 'is closed')).toBe(1);
}

async function health(
  path: '/healthz' | '/readyz',
): Promise<{ status: number; body: { ok: boolean; checks: Record<string, unknown> } }> {
  const res = await fetch(`http://127.0.0.1:${env.bot.port}${path}`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; checks: Record<string, unknown> } };
}

function clean(root: FakeRootUser): boolean {
  return (
    !root.loginProfile &&
    !root.accessKeys.length &&
    !root.signingCertificates.length &&
    !root.mfaDevices.length
  );
}

describe('Slack failing', () => {
  it('deletes the password within a tick of the window end while Slack is down, and announces once after', {
    timeout: 40_000,
  }, async () => {
    env = await startBotEnv(FAST);
    const active = await openWindow();
    env.slack.down();
    await waitForState(env, active.id, 'closed', 10_000);
    expect(clean(env.aws.account(ACCOUNT).root)).toBe(true);
    // Verified while every Slack call still fails: cleanup never waits on Slack (the lag is in `npm run bench`).
    expect(delivered(CHANNEL, 'is closed')).toBe(0);
    expect((await health('/readyz')).body.checks.deliveryBacklog).toBeGreaterThan(0);

    env.slack.up();
    await announcedOnce();
    expect(delivered(REQUESTER, 'Root password recovery is enabled')).toBe(1);
    expect((await health('/healthz')).status).toBe(200);
  });

  it('rides out a 429 storm: everything delivered once, nothing held up', { timeout: 40_000 }, async () => {
    env = await startBotEnv(FAST);
    const active = await openWindow();
    env.slack.rateLimitNext('chat.postMessage', 1, { times: 6 });
    env.slack.rateLimitNext('chat.update', 1, { times: 6 });
    await waitForState(env, active.id, 'closed', 10_000);
    await announcedOnce();
    await waitFor(
      'an empty outbox',
      async () => ((await health('/readyz')).body.checks.deliveryBacklog === 0 ? true : undefined),
      20_000,
    );
  });

  it('cancels a request Slack refuses to post, tells the requester, and reports it', async () => {
    env = await startBotEnv(FAST);
    env.slack.failChannel(CHANNEL, 'not_in_channel');
    const res = await env.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: {
        account: { bg_account_select: { type: 'external_select', selected_option: { value: ACCOUNT } } },
        task: { bg_task_select: { type: 'static_select', selected_option: { value: 'password-recovery' } } },
        duration: { bg_duration: { type: 'static_select', selected_option: { value: '2' } } },
        justification: { bg_justification: { type: 'plain_text_input', value: 'no channel' } },
      },
    });
    expect(res.status).toBe(200);
    const [request] = await env.bot.workflow.list(1);
    if (!request) throw new Error('no request');
    const cancelled = await waitForState(env, request.id, 'cancelled');
    expect(cancelled.cancelReason).toContain('not_in_channel');
    await waitFor('the DM', () =>
      dmsTo(env.slack, REQUESTER).some((t) => t.includes('not_in_channel')) ? true : undefined,
    );
    expect(dmsTo(env.slack, REQUESTER).filter((t) => t.includes('not_in_channel'))).toHaveLength(1);
    expect(env.logLines.some((l) => l.includes('"level":50') && l.includes('not_in_channel'))).toBe(true);
    const ready = await health('/readyz');
    expect(ready.body.checks.lastPermanentSlackError).toMatchObject({
      code: 'not_in_channel',
      requestId: request.id,
    });
    expect((await health('/healthz')).status).toBe(200);
  });
});

describe('AWS failing mid-cleanup', () => {
  it('retries throttling and an AccessDenied, then verifies', { timeout: 30_000 }, async () => {
    env = await startBotEnv(FAST);
    const active = await openWindow();
    env.aws.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    env.aws.failNext('DeleteAccessKey', 'Throttling', { message: 'Rate exceeded', times: 2 });
    env.aws.failNext('DeleteSigningCertificate', 'AccessDenied', { status: 403, times: 1 });
    const closed = await waitForState(env, active.id, 'closed', 15_000);
    expect(closed.cleanup?.failures).toBe(1);
    expect(clean(env.aws.account(ACCOUNT).root)).toBe(true);
    await announcedOnce();
    // One structured line per grant and cleanup outcome, metrics for the alarms, the audit trail as log lines.
    const lines = env.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l.requestId === active.id);
    expect(mine.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['root access granted', 'cleanup failed; will retry', 'cleanup verified']),
    );
    const failed = lines.find((l) => l.metric === 'CleanupFailed' && l.requestId === active.id);
    expect(failed).toMatchObject({
      value: 1,
      CleanupFailed: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'Breakglass' }] },
    });
    const audited = lines.filter(
      (l) => (l.audit as { requestId?: string } | undefined)?.requestId === active.id,
    );
    expect(audited.map((l) => (l.audit as { action: string }).action)).toEqual(
      expect.arrayContaining(['requested', 'approved', 'executed', 'cleanup failed', 'cleanup verified']),
    );
  });

  it('reopens a root session that expires mid-cleanup', { timeout: 30_000 }, async () => {
    env = await startBotEnv(FAST);
    const active = await openWindow();
    env.aws.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    env.aws.options.expiringRootSessions = { afterCalls: 2, sessions: 1 };
    const closed = await waitForState(env, active.id, 'closed', 15_000);
    expect(closed.cleanup?.failures ?? 0).toBe(0);
    expect(clean(env.aws.account(ACCOUNT).root)).toBe(true);
  });
});

describe('the store failing', () => {
  it('survives SQLITE_BUSY in the scheduler and still cleans up', { timeout: 40_000 }, async () => {
    env = await startBotEnv(FAST);
    const active = await openWindow('2');
    // Another connection holds the write lock across the window's end, longer than busy_timeout.
    const locker = new Database(env.dbFile);
    locker.exec('BEGIN EXCLUSIVE');
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    locker.exec('COMMIT');
    locker.close();
    await waitForState(env, active.id, 'closed', 15_000);
    expect(clean(env.aws.account(ACCOUNT).root)).toBe(true);
    expect(env.logLines.some((l) => l.includes('could not claim work') && l.includes('locked'))).toBe(true);
    expect((await health('/healthz')).status).toBe(200);
  });
});

describe('deleting each mix of root credentials, with and without the MFA rule', () => {
  const created = new Date('2025-01-01T00:00:00Z');
  const virtual = { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/root`, virtual: true, enableDate: created };
  const hardware = { serialNumber: `GAHT${ACCOUNT}`, virtual: false, enableDate: created };
  const mixes: [string, boolean, Partial<FakeRootUser>][] = [
    ['password, keys, certificates, virtual and hardware MFA', false, fullyCredentialed(ACCOUNT)],
    ['password, keys, certificates, virtual and hardware MFA', true, fullyCredentialed(ACCOUNT)],
    ['password and virtual MFA', true, { mfaDevices: [virtual] }],
    ['hardware MFA only', false, { loginProfile: null, mfaDevices: [hardware] }],
  ];
  it.each(mixes)('%s (MFA blocks password deletion: %s)', { timeout: 30_000 }, async (_name, rule, root) => {
    env = await startBotEnv(FAST);
    env.aws.options.mfaBlocksLoginProfileDeletion = rule;
    const active = await openWindow();
    const account = env.aws.account(ACCOUNT);
    account.root = { ...account.root, ...root };
    await waitForState(env, active.id, 'closed', 15_000);
    expect(clean(env.aws.account(ACCOUNT).root)).toBe(true);
    expect(env.aws.refused.some((r) => r.includes('DeleteVirtualMFADevice'))).toBe(false);
    await announcedOnce();
  });
});
