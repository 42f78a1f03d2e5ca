/**
 * `/breakglass audit all` through signed Slack requests, the real bot, the fake
 * Slack (Block Kit limits, the external file upload flow) and the fake AWS
 * (throttling, SCP denials per account, suspended accounts).
 */
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrgAuditRun } from '../../src/domain/org-audit.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { APPROVER_A, type BotEnv, OUTSIDER, REQUESTER, startBotEnv, waitFor } from '../support/bot-env.js';
import { command } from '../support/bot-flows.js';
import { requestFixture } from '../support/fixtures.js';
import { CHANNEL } from '../support/slack-client.js';

let env: BotEnv | undefined;
let aws: FakeAws | undefined;

afterEach(async () => {
  await env?.close();
  await aws?.close();
  env = undefined;
  aws = undefined;
});

const SUMMARY = /^Org-wide audit/;
const summaryPosts = (e: BotEnv) =>
  e.slack.callsOf('chat.postMessage').filter((c) => SUMMARY.test(String(c.args.text)) && c.outcome?.ok);
const completions = (e: BotEnv) =>
  e.slack.callsOf('files.completeUploadExternal').filter((c) => c.outcome?.ok);

/** 300 members: every 10th with root credentials, 12 denied by an SCP inside the session, 3 before it, 2 suspended. */
async function organization(count: number, options: { throttlePerSecond?: number; latencyMs?: number } = {}) {
  const fake = await FakeAws.start(options);
  const members = seedMembers(fake, count, 10);
  for (let n = 25; n <= count; n += 25) fake.account(memberId(n)).scpDeniesInSession = true;
  for (const n of [7, 77, 177]) fake.account(memberId(n)).scpDeniesRoot = true;
  for (const n of [33, 133]) fake.account(memberId(n)).status = 'SUSPENDED';
  return { fake, members };
}

async function runOf(e: BotEnv, reply: string): Promise<OrgAuditRun> {
  const id = /audit (OA-[A-Z0-9]+)/.exec(reply)?.[1];
  if (!id) throw new Error(`no audit id in: ${reply}`);
  const run = await e.bot.store.getOrgAudit(id);
  if (!run) throw new Error(`no run ${id}`);
  return run;
}

async function finished(e: BotEnv, id: string, timeoutMs = 90_000): Promise<string> {
  const call = await waitFor('the CSV in the summary thread', () => completions(e)[0], timeoutMs);
  const run = await e.bot.store.getOrgAudit(id);
  expect(run?.state).toBe('done');
  const fileId = (call.args.files as { id: string }[])[0]?.id ?? '';
  return e.slack.files.get(fileId)?.content?.toString('utf8') ?? '';
}

function csvRows(csv: string): Record<string, string>[] {
  return parse(csv, { columns: true }) as Record<string, string>[];
}

function lastUpdate(e: BotEnv): SlackCall | undefined {
  return e.slack
    .callsOf('chat.update')
    .filter((c) => c.outcome?.ok)
    .at(-1);
}

describe('/breakglass audit all', () => {
  it('reports every account exactly once, under throttling and SCP denials, with progress in place and one CSV', async () => {
    const org = await organization(300, { throttlePerSecond: 150, latencyMs: 5 });
    aws = org.fake;
    // One account AWS keeps throttling: throttled after retries.
    aws.failNext('GetAccountSummary', 'Throttling', {
      times: 50,
      accountId: memberId(151),
      message: 'Rate exceeded',
    });
    env = await startBotEnv({ BREAKGLASS_AWS_MAX_ATTEMPTS: '3', BREAKGLASS_REQUESTERS: REQUESTER }, { aws });
    // An open break-glass window on an account with credentials: expected there.
    await env.bot.store.createRequest(
      requestFixture('BG-OPENWIN1', { accountId: memberId(20), state: 'active', requesterId: REQUESTER }),
    );

    expect(await command(env, OUTSIDER, 'audit all')).toMatch(/Only break-glass requesters and approvers/);
    const reply = await command(env, REQUESTER, 'audit all');
    expect(reply).toMatch(/Auditing every member account \(audit OA-/);
    const run = await runOf(env, reply);

    // A second request while it runs: told when it will finish, nothing started.
    await waitFor('progress with a known total', async () => {
      const r = await env?.bot.store.getOrgAudit(run.id);
      return r?.total !== undefined && r.done > 0 && r.done < r.total ? r : undefined;
    });
    const second = await command(env, APPROVER_A, 'audit all');
    expect(second).toMatch(new RegExp(`already running \\(${run.id}, asked by <@${REQUESTER}>`));
    expect(second).toMatch(/should finish around <!date\^\d+\^.*\(in about \d+/);
    expect(second).toMatch(/Nothing new was started/);

    const csv = await finished(env, run.id);
    const rows = csvRows(csv);
    const ids = rows.map((r) => r.accountId);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    expect(new Set(ids)).toEqual(new Set(org.members.map((m) => m.id)));

    const byId = new Map(rows.map((r) => [r.accountId, r]));
    // Under this throttle (3 attempts) any audited account may run out of retries: then it is reported
    // as throttled, counted and never lost. How many depends on the machine's speed.
    const throttledIds = new Set(rows.filter((r) => r.errorKind === 'throttled').map((r) => r.accountId));
    const unlessThrottled = (n: number, expected: Record<string, string>) => {
      if (!throttledIds.has(memberId(n))) expect(byId.get(memberId(n))).toMatchObject(expected);
    };
    expect(throttledIds.size).toBeLessThan(150);
    // Reported throttled only when AWS said so, on every one of its 3 attempts.
    for (const row of rows.filter((r) => r.errorKind === 'throttled'))
      expect(row.detail).toMatch(/Rate exceeded/);
    expect(aws.refused.filter((r) => / Throttling(Exception)?$/.test(r)).length).toBeGreaterThanOrEqual(
      3 * throttledIds.size,
    );
    expect(byId.get(memberId(33))).toMatchObject({ status: 'error', errorKind: 'not-active' });
    expect(byId.get(memberId(151))).toMatchObject({ status: 'error', errorKind: 'throttled' });
    unlessThrottled(20, { status: 'present', password: 'yes', openWindow: 'BG-OPENWIN1' });
    unlessThrottled(10, { status: 'present', openWindow: '' });
    for (let n = 1; n <= 300; n += 1) {
      if (n % 25 === 0 || [7, 77, 177, 33, 133].includes(n)) continue;
      unlessThrottled(n, n % 10 === 0 ? { status: 'present' } : { status: 'clean' });
    }
    // AWS answered Throttling (the account it keeps throttling at least; the global throttle too when the machine is fast enough).
    expect(aws.refused.filter((r) => r.endsWith(' Throttling')).length).toBeGreaterThanOrEqual(3);

    // One summary, updated in place, with the same counts as the CSV.
    expect(summaryPosts(env)).toHaveLength(1);
    const summaryTs = summaryPosts(env).length
      ? env.slack.messages.get(CHANNEL)?.find((m) => SUMMARY.test(m.text ?? ''))?.ts
      : undefined;
    const final = JSON.stringify(lastUpdate(env)?.args.blocks);
    const scp = rows.filter((r) => r.errorKind === 'blocked-by-scp').length;
    const present = rows.filter((r) => r.status === 'present' && !r.openWindow).length;
    const clean = rows.filter((r) => r.status === 'clean').length;
    // The 15 SCP-denied accounts: denied, or (under this throttle) out of retries before AWS said so.
    const scpIds = [7, 77, 177, ...Array.from({ length: 12 }, (_, i) => 25 * (i + 1))].map(memberId);
    for (const id of scpIds) expect(['blocked-by-scp', 'throttled']).toContain(byId.get(id)?.errorKind);
    // How many run out of retries first depends on the machine's speed; only SCP-denied accounts are ever counted as denied.
    const deniedScpIds = scpIds.filter((id) => byId.get(id)?.errorKind === 'blocked-by-scp');
    expect(deniedScpIds.length).toBe(scp);
    expect(scp).toBeGreaterThanOrEqual(1);
    expect(final).toContain('*Done:* 300 accounts audited');
    expect(final).toContain(`*Clean*\\n${clean}`);
    expect(final).toContain(`*Root credentials outside a window*\\n${present}`);
    const expected = rows.filter((r) => r.status === 'present' && r.openWindow).length;
    expect(final).toContain(`*Expected (open break-glass window)*\\n${expected}`);
    const throttled = throttledIds.size;
    expect(throttled).toBeGreaterThanOrEqual(1);
    expect(final).toContain(`*Not auditable*\\n${scp + 2 + throttled}`);
    expect(final).toContain(`root sessions denied by an SCP: ${scp}`);
    expect(final).toContain(`throttled by AWS after retries: ${throttled}`);
    expect(final).toContain('not ACTIVE (suspended or closing): 2');
    expect(clean + present + expected + scp + 2 + throttled).toBe(300);
    // Progress updates are spaced: at most one per 3 s of running, plus the final one.
    const updates = env.slack.callsOf('chat.update').filter((c) => c.outcome?.ok);
    const ranMs = (updates.at(-1)?.at ?? 0) - (summaryPosts(env)[0]?.at ?? 0);
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(ranMs / 3000) + 1);
    // The CSV is in the summary's thread, once.
    expect(completions(env)).toHaveLength(1);
    expect(completions(env)[0]?.args).toMatchObject({ channel_id: CHANNEL, thread_ts: summaryTs });
    // In the audit trail.
    const trail = (await env.bot.store.listAudit(run.id)).map((e) => e.action);
    expect(trail).toEqual(['org-wide audit started', 'org-wide audit finished']);
    // A new audit may start once this one is done.
    expect(await command(env, APPROVER_A, 'audit all')).toMatch(/Auditing every member account/);
  }, 150_000);

  it('resumes after a restart half-way and still ends with one summary and one file, every account once', async () => {
    const org = await organization(300, { throttlePerSecond: 150, latencyMs: 10 });
    aws = org.fake;
    env = await startBotEnv({}, { aws });
    const run = await runOf(env, await command(env, REQUESTER, 'audit all'));
    await waitFor(
      'the audit half-way',
      async () => {
        const r = await env?.bot.store.getOrgAudit(run.id);
        return r && r.done >= 60 && r.done < 240 ? r : undefined;
      },
      60_000,
    );
    const sessionsBefore = aws.callsOf('AssumeRoot').length;
    await env.restart();
    const csv = await finished(env, run.id);
    const ids = csvRows(csv).map((r) => r.accountId);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    expect(summaryPosts(env)).toHaveLength(1);
    expect(completions(env)).toHaveLength(1);
    // Resumed, not restarted: only the accounts in flight at the stop were audited twice.
    const sessions = aws.callsOf('AssumeRoot').length;
    expect(sessions).toBeGreaterThan(sessionsBefore);
    expect(sessions).toBeLessThan(300 - 3 + 20);
    expect(lastUpdate(env)?.args.text).toMatch(/300 accounts/);
  }, 150_000);

  it('keeps the summary within Block Kit limits for 1,200 accounts with credentials and hostile names', async () => {
    aws = await FakeAws.start();
    const members = seedMembers(aws, 1200, 0);
    for (const [i, m] of members.entries()) {
      m.name = `<!channel> & <@U0EVIL> ${'x'.repeat(30)} ${i}`.slice(0, 50);
      if (i % 3 !== 0) m.root = fullyCredentialed(m.id);
    }
    env = await startBotEnv({}, { aws });
    const run = await runOf(env, await command(env, REQUESTER, 'audit all'));
    const csv = await finished(env, run.id, 120_000);
    expect(csvRows(csv)).toHaveLength(1200);
    const messages = [...summaryPosts(env), ...env.slack.callsOf('chat.update')];
    // Every post and update was accepted by the fake's Block Kit validator.
    expect(messages.every((c) => c.outcome?.ok)).toBe(true);
    const blocks = lastUpdate(env)?.args.blocks as unknown[];
    expect(blocks.length).toBeLessThanOrEqual(10);
    // Far below the ~13k characters at which Slack answers msg_blocks_too_long.
    expect(JSON.stringify(blocks).length).toBeLessThan(6_000);
    expect(JSON.stringify(blocks)).toContain('…and 785 more');
    // Names are escaped: no live mention reaches Slack.
    expect(env.slack.interpretedTexts().some((t) => t.includes('<!channel>'))).toBe(false);
  }, 180_000);
});
