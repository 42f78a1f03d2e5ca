/**
 * Drift detection end to end: the real bot with a short BREAKGLASS_AUDIT_EVERY
 * against the fake AWS (root credentials added and removed between runs) and
 * the fake Slack (Block Kit limits, threads), through signed requests for the
 * Clean up button; two bots on one database for "one schedule per deployment".
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bot, startBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config/app-config.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { createLogger } from '../../src/log.js';
import type { AuditEntry } from '../../src/store/store.js';
import { AUDIT_SCHEDULE_ID } from '../../src/workflow/drift.js';
import { emptyRootUser } from '../fakes/aws/model.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { APPROVER_A, type BotEnv, OUTSIDER, startBotEnv, waitFor } from '../support/bot-env.js';
import { requestFixture } from '../support/fixtures.js';

let env: BotEnv | undefined;
let aws: FakeAws | undefined;
let second: Bot | undefined;

afterEach(async () => {
  await second?.stop();
  await env?.close();
  await aws?.close();
  second = undefined;
  env = undefined;
  aws = undefined;
});

const DRIFTED = memberId(1);
const IN_WINDOW = memberId(2);

/** Four members: the first with root credentials outside any window, the second inside an open window. */
async function organization(): Promise<FakeAws> {
  const fake = await FakeAws.start();
  seedMembers(fake, 4, 0);
  fake.account(DRIFTED).root = fullyCredentialed(DRIFTED);
  fake.account(IN_WINDOW).root = fullyCredentialed(IN_WINDOW);
  return fake;
}

/** Starts the bot with the schedule off, opens a window on IN_WINDOW in the store, then restarts with the schedule on. */
async function driftBot(settings: Record<string, string>): Promise<BotEnv> {
  aws = await organization();
  const e = await startBotEnv({}, { aws });
  await e.bot.store.createRequest(
    requestFixture('BG-OPENWINDOW', { accountId: IN_WINDOW, state: 'active', createdAt: Date.now() }),
  );
  Object.assign(e.env, settings);
  await e.restart();
  return e;
}

const alertPosts = (e: BotEnv, pattern = /outside a break-glass window in/) =>
  e.slack
    .callsOf('chat.postMessage')
    .filter((c) => c.outcome?.ok && pattern.test(String(c.args.text)) && c.args.thread_ts);
const blocksText = (c: SlackCall) => JSON.stringify(c.args.blocks);
const trail = async (e: BotEnv, action: string): Promise<AuditEntry[]> =>
  (await e.bot.store.listAudit(undefined, 10_000))
    .filter((a) => a.action === action)
    .sort((a, b) => a.at - b.at);
const finishedRuns = (e: BotEnv) => trail(e, 'org-wide audit finished');

async function runsAfter(e: BotEnv, count: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `${count} scheduled runs`,
    async () => (await finishedRuns(e)).length >= count || undefined,
    timeoutMs,
  );
}

describe('drift detection', () => {
  it('alerts credentials outside a window once, again when they change, reminds, and says when they are gone', async () => {
    env = await driftBot({ BREAKGLASS_AUDIT_EVERY: '1s', BREAKGLASS_DRIFT_REMIND: '6s' });
    const e = env;
    // Run 1: one alert, for the account outside a window; none for the one inside.
    const first = await waitFor('the first drift alert', () => alertPosts(e)[0]);
    expect(blocksText(first)).toContain(DRIFTED);
    expect(blocksText(first)).toContain('bg_drift_cleanup');
    expect(blocksText(first)).toContain(`AKIAROOT${DRIFTED}A`);
    expect(blocksText(first)).toContain('created 2024-01-02');
    expect(blocksText(first)).toContain('login profile created 2024-01-02');
    // In the thread of the run's summary (posted because it had something to alert).
    const [alerted] = await trail(e, 'drift alerted');
    const run = await e.bot.store.getOrgAudit(alerted?.requestId ?? '');
    expect(run?.scheduled).toBe(true);
    expect(run?.message?.ts).toBe(first.args.thread_ts);
    expect(alertPosts(e).some((c) => blocksText(c).includes(IN_WINDOW))).toBe(false);

    // Run 2 (unchanged): nothing new in Slack, not even a summary.
    const before = await finishedRuns(e);
    await runsAfter(e, before.length + 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(alertPosts(e)).toHaveLength(1);
    expect(
      e.slack.callsOf('chat.postMessage').filter((c) => /^Org-wide audit/.test(String(c.args.text))),
    ).toHaveLength(1);

    // A new key: alerted again, saying what is new.
    e.aws
      .account(DRIFTED)
      .root.accessKeys.push({ id: 'AKIAROOTNEWKEY01', status: 'Active', createDate: new Date() });
    const changed = await waitFor('the changed alert', () =>
      alertPosts(e, /changed|outside/).find((c) => blocksText(c).includes('AKIAROOTNEWKEY01')),
    );
    expect(blocksText(changed)).toContain('changed outside a break-glass window');
    expect(blocksText(changed)).toContain('new: key:AKIAROOTNEWKEY01');

    // Unchanged for the remind interval: a reminder.
    const reminder = await waitFor(
      'the reminder',
      () => alertPosts(e).find((c) => blocksText(c).includes('Still there')),
      20_000,
    );
    expect(blocksText(reminder)).toContain(DRIFTED);
    expect(alertPosts(e)).toHaveLength(3);

    // Gone: resolved, in the thread of the alert that last named it.
    e.aws.account(DRIFTED).root = emptyRootUser();
    const resolved = await waitFor('the resolution', () =>
      e.slack.callsOf('chat.postMessage').find((c) => c.outcome?.ok && /^Resolved/.test(String(c.args.text))),
    );
    expect(resolved.args.thread_ts).toBe(reminder.args.thread_ts);
    expect(await e.bot.store.driftRecords()).toEqual([]);

    // Every step is in the audit trail, keyed by the org-wide audit that found it.
    for (const action of ['drift alerted', 'drift changed', 'drift reminded', 'drift resolved']) {
      const [entry] = await trail(e, action);
      expect(entry?.requestId).toMatch(/^OA-/);
      expect(entry?.details).toMatchObject({ accountId: DRIFTED });
    }
    expect(await trail(e, 'drift alerted')).toHaveLength(1);
  }, 60_000);

  it('does not alert an account whose window opened while the run audited it', async () => {
    aws = await organization();
    const e = await startBotEnv({}, { aws });
    env = e;
    // Each account's audit session is slow, so its row lands after the window below has opened.
    aws.delay('AssumeRoot', 1_500);
    Object.assign(e.env, { BREAKGLASS_AUDIT_EVERY: '1h' });
    await e.restart();
    await waitFor(
      'the run to start',
      async () => (await trail(e, 'scheduled org-wide audit started')).length > 0,
    );
    await new Promise((r) => setTimeout(r, 300));
    await e.bot.store.createRequest(
      requestFixture('BG-LATEWINDOW', { accountId: DRIFTED, state: 'active', createdAt: Date.now() }),
    );
    await runsAfter(e, 1);
    await new Promise((r) => setTimeout(r, 500));
    expect((await e.bot.store.driftRecords()).map((r) => r.accountId)).not.toContain(DRIFTED);
    expect(alertPosts(e).filter((c) => blocksText(c).includes(DRIFTED))).toHaveLength(0);
  }, 60_000);

  it('keeps the schedule across a restart, and Clean up asks for a bulk hardening, requesters only', async () => {
    env = await driftBot({ BREAKGLASS_AUDIT_EVERY: '30s' });
    const e = env;
    await runsAfter(e, 1);
    const [job] = await waitFor('the next run scheduled', async () => {
      const jobs = await e.bot.store.pendingJobs(AUDIT_SCHEDULE_ID);
      return jobs.length ? jobs : undefined;
    });
    const [finished] = await finishedRuns(e);
    expect(job?.dueAt).toBeGreaterThanOrEqual((finished?.at ?? 0) + 29_000);
    await e.restart();
    await new Promise((r) => setTimeout(r, 500));
    expect((await e.bot.store.pendingJobs(AUDIT_SCHEDULE_ID)).map((j) => j.dueAt)).toEqual([job?.dueAt]);
    expect(await trail(e, 'scheduled org-wide audit started')).toHaveLength(1);

    // Clean up, by someone who may not request: refused, nothing asked for.
    const requesters = { BREAKGLASS_REQUESTERS: APPROVER_A };
    Object.assign(e.env, requesters);
    await e.restart();
    const replyTo = async (user: string) => {
      const before = e.slack.callsOf('response_url').length;
      const res = await e.client.blockAction(user, { action_id: 'bg_drift_cleanup', value: DRIFTED });
      expect(res.status).toBe(200);
      return String((await waitFor('the reply', () => e.slack.callsOf('response_url')[before])).args.text);
    };
    expect(await replyTo(OUTSIDER)).toMatch(/You may not request break-glass work/);
    // A requester: one bulk hardening of this account, posted for two approvals.
    const asked = await replyTo(APPROVER_A);
    expect(asked).toMatch(/^Requested deletion of root credentials from 1 account\(s\)/);
    const id = /\(([A-Z]+-[A-Z0-9]+)\)/.exec(asked)?.[1] ?? '';
    const stored = await waitFor('the hardening', async () => e.bot.store.getHardening(id));
    expect(stored.hardening).toMatchObject({
      requesterId: APPROVER_A,
      accounts: 1,
      source: 'drift',
      state: 'pending',
    });
    expect((await e.bot.store.hardenAccounts(id)).map((a) => a.accountId)).toEqual([DRIFTED]);
  }, 60_000);

  it('runs the schedule once per deployment with two bots on one database', async () => {
    env = await driftBot({ BREAKGLASS_AUDIT_EVERY: '1s' });
    const e = env;
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    second = await startBot({
      config: loadConfig(e.env),
      aws: awsSettingsFromEnv(e.env),
      log: createLogger({ level: 'info' }, sink),
      slackClientOptions: { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
      startupDoctor: false,
    });
    const from = (await finishedRuns(e)).length;
    await runsAfter(e, from + 4, 30_000);
    const started = await trail(e, 'scheduled org-wide audit started');
    const finished = await finishedRuns(e);
    // Each run starts a full interval after the one before ended: one schedule, not one per replica.
    for (let i = 1; i < started.length; i++) {
      const previousEnd = finished[i - 1]?.at ?? 0;
      expect((started[i]?.at ?? 0) - previousEnd).toBeGreaterThanOrEqual(900);
    }
    expect((await e.bot.store.pendingJobs(AUDIT_SCHEDULE_ID)).length).toBeLessThanOrEqual(1);
    // And the drift was alerted once, whichever replica ran the audit.
    expect(alertPosts(e)).toHaveLength(1);
  }, 60_000);
});
