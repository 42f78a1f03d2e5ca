/**
 * Bulk hardening through signed Slack requests, the real bot, the fake Slack
 * (Block Kit limits, file uploads) and the fake AWS (throttling, SCP denials
 * inside the session): two approvals, per-account results, retries, give-up,
 * a restart half-way, and large requests within Slack's limits.
 */
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { giveUpDigest, type HardenAccount, type Hardening, toGiveUp } from '../../src/domain/harden.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import {
  APPROVER_A,
  APPROVER_B,
  type BotEnv,
  OUTSIDER,
  REQUESTER,
  startBotEnv,
  waitFor,
} from '../support/bot-env.js';
import { buttonValue, click, command } from '../support/bot-flows.js';
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

async function hardeningOf(e: BotEnv, reply: string): Promise<Hardening> {
  const id = /\((BH-[A-Z0-9]+)\)/.exec(reply)?.[1];
  if (!id) throw new Error(`no hardening id in: ${reply}`);
  return (await e.bot.store.getHardening(id))?.hardening as Hardening;
}

function until(e: BotEnv, id: string, ok: (h: Hardening) => boolean, what: string, timeoutMs = 60_000) {
  return waitFor(
    what,
    async () => {
      const h = (await e.bot.store.getHardening(id))?.hardening;
      return h && ok(h) ? h : undefined;
    },
    timeoutMs,
  );
}

/** Every file the bot shared in the hardening's thread, as CSV rows. */
function threadFiles(e: BotEnv): { title: string; rows: Record<string, string>[] }[] {
  return e.slack
    .callsOf('files.completeUploadExternal')
    .filter((c) => c.outcome?.ok)
    .map((c) => {
      const file = (c.args.files as { id: string; title?: string }[])[0];
      const content = e.slack.files.get(file?.id ?? '')?.content?.toString('utf8') ?? '';
      return {
        title: String(file?.title ?? ''),
        rows: parse(content, { columns: true }) as Record<string, string>[],
      };
    });
}

/** The Give up button's value for the accounts failed in `rows` (what its message would show). */
function giveUpValueOf(id: string, rows: readonly HardenAccount[]): string {
  return JSON.stringify({ id, f: giveUpDigest(toGiveUp({}, rows)) });
}

const hasRootCredentials = (fake: FakeAws, id: string) => {
  const root = fake.account(id).root;
  return Boolean(root.loginProfile || root.accessKeys.length || root.signingCertificates.length);
};

describe('bulk hardening', () => {
  it('needs two approvals, retries and reports an SCP-denied account, and closes only when an approver gives it up', async () => {
    aws = await FakeAws.start();
    seedMembers(aws, 8, 0);
    for (const n of [1, 2, 3, 4, 5, 6]) aws.account(memberId(n)).root = fullyCredentialed(memberId(n));
    aws.account(memberId(6)).scpDeniesInSession = true;
    env = await startBotEnv({ BREAKGLASS_REQUESTERS: REQUESTER, BREAKGLASS_CLEANUP_RETRY: '1s' }, { aws });
    const accounts = [1, 2, 3, 4, 5, 6, 7].map(memberId);

    expect(await command(env, OUTSIDER, `harden ${accounts.join(' ')}`)).toMatch(/may not request/);
    const reply = await command(env, REQUESTER, `harden ${accounts.join(' ')}`);
    expect(reply).toMatch(/from 7 account\(s\) \(BH-/);
    const { id } = await hardeningOf(env, reply);
    const e = env;
    const value = await waitFor(
      'the Approve button',
      () => buttonValue(e.slack, 'bg_harden_approve'),
      30_000,
    );

    // What approvers see: each account with what is present (the SCP one: not readable).
    const message = JSON.stringify(e.slack.callsOf('chat.update').at(-1)?.args.blocks);
    expect(message).toContain(`\`${memberId(1)}\``);
    expect(message).toMatch(/password, 2 access key\(s\), 1 signing certificate\(s\), 2 MFA device\(s\)/);
    expect(message).toContain('*With a password*\\n5');
    expect(message).toContain('*Not readable now*\\n1');
    expect(message).toContain('*Clean already*\\n1');

    expect(await click(e, REQUESTER, 'bg_harden_approve', value)).toMatch(/cannot approve your own request/);
    expect(await click(e, OUTSIDER, 'bg_harden_approve', value)).toMatch(/not an approver/);
    expect(await click(e, APPROVER_A, 'bg_harden_approve', value)).toMatch(/One more approver/);
    expect(await click(e, APPROVER_A, 'bg_harden_approve', value)).toMatch(/already approved/);
    // One approval starts nothing.
    await new Promise((r) => setTimeout(r, 500));
    expect((await e.bot.store.getHardening(id))?.hardening.state).toBe('pending');
    expect(aws.callsOf('DeleteLoginProfile')).toHaveLength(0);
    expect(await click(e, APPROVER_B, 'bg_harden_approve', value)).toMatch(
      /Deleting root credentials from 7/,
    );

    // Retried: the SCP account fails at least twice; the others are verified and stay so.
    await waitFor(
      'the SCP-denied account to fail twice',
      async () => {
        const rows = await e.bot.store.hardenAccounts(id);
        const scp = rows.find((r) => r.accountId === memberId(6));
        return scp?.state === 'failed' && scp.attempts >= 2 ? rows : undefined;
      },
      60_000,
    );
    const rows = await e.bot.store.hardenAccounts(id);
    for (const n of [1, 2, 3, 4, 5, 7])
      expect(rows.find((r) => r.accountId === memberId(n))?.state).toBe('done');
    for (const n of [1, 2, 3, 4, 5]) expect(hasRootCredentials(aws, memberId(n))).toBe(false);
    expect(hasRootCredentials(aws, memberId(6))).toBe(true);
    expect(rows.find((r) => r.accountId === memberId(6))?.error).toMatch(/blocked-by-scp/);
    expect(rows.find((r) => r.accountId === memberId(1))?.removed).toMatch(/password, 2 access key\(s\)/);
    // Still open: a failed account keeps the request running.
    expect((await e.bot.store.getHardening(id))?.hardening.state).toBe('running');
    await waitFor('the failure in the message', () =>
      JSON.stringify(e.slack.callsOf('chat.update').at(-1)?.args.blocks).includes('failed (attempt'),
    );
    const giveUp = await waitFor('the give-up button', () => buttonValue(e.slack, 'bg_harden_give_up'));

    // Only an approver gives up; it is recorded and the request closes after the verification audit.
    expect(await click(e, REQUESTER, 'bg_harden_give_up', giveUp)).toMatch(/only approvers can give up/);
    expect((await e.bot.store.getHardening(id))?.hardening.state).toBe('running');
    expect(await click(e, APPROVER_A, 'bg_harden_give_up', giveUp)).toMatch(/Gave up on 1 account/);
    const closed = await until(e, id, (h) => h.state === 'closed', 'the hardening to close');
    expect(closed.givenUp).toMatchObject({ userId: APPROVER_A, accounts: [memberId(6)] });
    expect(closed.finalAudit?.clean).toBe(6);
    const trail = (await e.bot.store.listAudit(id)).map((a) => a.action);
    expect(trail).toContain('gave up on failed accounts');
    expect(trail.at(-1)).toBe('bulk hardening closed');

    // A summary in the channel, and the per-account CSV in the thread.
    const summary = await waitFor('the summary', () =>
      e.slack
        .callsOf('chat.postMessage')
        .find(
          (c) =>
            c.outcome?.ok && /closed: 6 of 7 accounts verified clean, 1 given up/.test(String(c.args.text)),
        ),
    );
    expect(summary.args.channel).toBe(CHANNEL);
    const final = await waitFor('the result CSV', () =>
      threadFiles(e).find((f) => /result per account/.test(f.title)),
    );
    const byId = new Map(final.rows.map((r) => [r.accountId, r]));
    expect(byId.get(memberId(6))).toMatchObject({ state: 'given-up' });
    expect(Number(byId.get(memberId(6))?.attempts)).toBeGreaterThanOrEqual(2);
    expect(byId.get(memberId(1))).toMatchObject({ state: 'done', attempts: '1' });
    // Each account was deleted on once (the SCP one was tried again).
    for (const n of [1, 2, 3, 4, 5])
      expect(aws.callsOf('DeleteLoginProfile').filter((c) => c.endsWith(memberId(n)))).toHaveLength(1);
  }, 120_000);

  it('gives up while a round runs without a second run of the job: each account deleted on once', async () => {
    aws = await FakeAws.start();
    seedMembers(aws, 4, 0);
    for (const n of [1, 2, 3, 4]) aws.account(memberId(n)).root = fullyCredentialed(memberId(n));
    // The SCP-denied account fails at once (its ListAccessKeys is refused); the others are slow.
    aws.account(memberId(4)).scpDeniesInSession = true;
    aws.delay('DeleteAccessKey', 1_500);
    env = await startBotEnv({ BREAKGLASS_CLEANUP_RETRY: '1s' }, { aws });
    const e = env;
    const accounts = [1, 2, 3, 4].map(memberId);
    const { id } = await hardeningOf(e, await command(e, REQUESTER, `harden ${accounts.join(' ')}`));
    const value = await waitFor(
      'the Approve button',
      () => buttonValue(e.slack, 'bg_harden_approve'),
      30_000,
    );
    await click(e, APPROVER_A, 'bg_harden_approve', value);
    await click(e, APPROVER_B, 'bg_harden_approve', value);
    // Round one still runs (the slow accounts are pending) when the SCP one has failed.
    const rows = await waitFor('the SCP-denied account to fail in round one', async () => {
      const r = await e.bot.store.hardenAccounts(id);
      return r.find((a) => a.accountId === memberId(4))?.state === 'failed' ? r : undefined;
    });
    expect(rows.filter((r) => r.state === 'pending')).toHaveLength(3);
    // A button naming other accounts than those failed now (a stale message) gives up nothing.
    const stale = JSON.stringify({ id, f: giveUpDigest([memberId(3), memberId(4)]) });
    expect(await click(e, APPROVER_A, 'bg_harden_give_up', stale)).toMatch(/failed accounts changed/);
    expect(await click(e, APPROVER_A, 'bg_harden_give_up', id)).toMatch(/not valid any more/);
    expect(await click(e, APPROVER_A, 'bg_harden_give_up', giveUpValueOf(id, rows))).toMatch(
      /Gave up on 1 account/,
    );
    const closed = await until(e, id, (h) => h.state === 'closed', 'the hardening to close');
    expect(closed.finalAudit?.clean).toBe(3);
    // Whatever still runs for it ends before counting: no job of it is left open.
    await waitFor('no job left', async () => ((await e.bot.store.pendingJobs(id)).length ? undefined : true));
    await new Promise((r) => setTimeout(r, 500));
    const deletions = (await e.bot.store.listAudit(id)).filter(
      (a) => a.action === 'bulk hardening: root credentials deleted',
    );
    expect(deletions.map((d) => d.details?.accountId).sort()).toEqual(accounts);
    for (const n of [1, 2, 3])
      expect(aws.callsOf('DeleteLoginProfile').filter((c) => c.endsWith(memberId(n)))).toHaveLength(1);
    expect((await e.bot.store.hardenAccounts(id)).every((r) => r.attempts === 1)).toBe(true);
  }, 60_000);

  it('never deletes on an account whose window is open: held in the preview and in every round, deleted once it closes', async () => {
    aws = await FakeAws.start();
    seedMembers(aws, 3, 0);
    for (const n of [1, 2, 3]) aws.account(memberId(n)).root = fullyCredentialed(memberId(n));
    aws.account(memberId(2)).scpDeniesInSession = true;
    env = await startBotEnv({ BREAKGLASS_CLEANUP_RETRY: '1s' }, { aws });
    const e = env;
    const store = e.bot.store;
    // Account 1: named explicitly while its break-glass window is open.
    const window1 = requestFixture('BG-WINDOW1', {
      state: 'active',
      accountId: memberId(1),
      createdAt: Date.now(),
    });
    await store.createRequest(window1);
    const { id } = await hardeningOf(
      e,
      await command(e, REQUESTER, `harden ${[1, 2, 3].map(memberId).join(' ')}`),
    );
    const value = await waitFor(
      'the Approve button',
      () => buttonValue(e.slack, 'bg_harden_approve'),
      30_000,
    );
    const preview = JSON.stringify(e.slack.callsOf('chat.update').at(-1)?.args.blocks);
    expect(preview).toContain('open window BG-WINDOW1: held');
    expect(preview).toContain('*Open window: held*\\n1');
    await click(e, APPROVER_A, 'bg_harden_approve', value);
    await click(e, APPROVER_B, 'bg_harden_approve', value);
    await waitFor('round one', async () => {
      const rows = await store.hardenAccounts(id);
      return rows.find((r) => r.accountId === memberId(2))?.state === 'failed' ? rows : undefined;
    });
    // Account 2 failed; then a window opens on it and its requester sets a new password.
    aws.account(memberId(2)).scpDeniesInSession = false;
    await store.createRequest(
      requestFixture('BG-WINDOW2', { state: 'active', accountId: memberId(2), createdAt: Date.now() }),
    );
    aws.account(memberId(2)).root = {
      ...aws.account(memberId(2)).root,
      loginProfile: { createDate: new Date() },
    };
    await waitFor('account 2 held in a later round', async () => {
      const rows = await store.hardenAccounts(id);
      return rows.find((r) => r.accountId === memberId(2))?.heldBy === 'BG-WINDOW2' ? rows : undefined;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(aws.account(memberId(2)).root.loginProfile).toBeDefined();
    expect(hasRootCredentials(aws, memberId(1))).toBe(true);
    expect(aws.callsOf('DeleteLoginProfile').filter((c) => c.endsWith(memberId(1)))).toHaveLength(0);
    expect(hasRootCredentials(aws, memberId(3))).toBe(false);
    expect((await store.getHardening(id))?.hardening.state).toBe('running');
    // The windows close: the next round deletes on both, and the request closes verified.
    for (const w of ['BG-WINDOW1', 'BG-WINDOW2']) {
      const stored = await store.getRequest(w);
      if (!stored) throw new Error(w);
      await store.updateRequest(w, stored.version, { ...stored.request, state: 'closed' });
    }
    const closed = await until(e, id, (h) => h.state === 'closed', 'the hardening to close', 60_000);
    expect(closed.finalAudit?.clean).toBe(3);
    for (const n of [1, 2, 3]) expect(hasRootCredentials(aws, memberId(n))).toBe(false);
  }, 90_000);

  it('requests once when Slack delivers the same command or Clean up click twice', async () => {
    aws = await FakeAws.start();
    seedMembers(aws, 2, 0);
    env = await startBotEnv({}, { aws });
    const e = env;
    const requested = async () =>
      (await e.bot.store.listAudit()).filter((a) => a.action === 'bulk hardening requested').length;
    const replyTo = (responseId: string) =>
      waitFor(`the reply ${responseId}`, () =>
        e.slack.callsOf('response_url').find((c) => c.path.endsWith(`/${responseId}`)),
      );
    for (const responseId of ['cmd-first', 'cmd-again'])
      await e.client.command(REQUESTER, `harden ${memberId(1)}`, { responseId, triggerId: 'trigger-1' });
    expect(String((await replyTo('cmd-first')).args.text)).toMatch(/Requested deletion/);
    expect(String((await replyTo('cmd-again')).args.text)).toMatch(/Already requested/);
    expect(await requested()).toBe(1);
    // A new command (another trigger) is another request.
    expect(await command(e, REQUESTER, `harden ${memberId(1)}`)).toMatch(/Requested deletion/);
    expect(await requested()).toBe(2);

    // A drift alert's Clean up, the same click twice.
    const before = e.slack.callsOf('response_url').length;
    for (let i = 0; i < 2; i++)
      await e.client.blockAction(REQUESTER, {
        action_id: 'bg_drift_cleanup',
        value: memberId(2),
        action_ts: '1800000100.000200',
      });
    const answers = await waitFor('both answers', () => {
      const calls = e.slack.callsOf('response_url').slice(before);
      return calls.length >= 2 ? calls.map((c) => String(c.args.text)) : undefined;
    });
    expect(answers.filter((t) => /Requested deletion/.test(t))).toHaveLength(1);
    expect(answers.filter((t) => /Already requested/.test(t))).toHaveLength(1);
    expect(await requested()).toBe(3);
  }, 60_000);

  it('resumes after a restart half-way: only the unfinished accounts, each deleted once, and ends verified', async () => {
    aws = await FakeAws.start({ throttlePerSecond: 150, latencyMs: 25 });
    const members = seedMembers(aws, 60, 0);
    for (const m of members) m.root = fullyCredentialed(m.id);
    env = await startBotEnv({ BREAKGLASS_CLEANUP_RETRY: '1s' }, { aws });
    const reply = await command(env, REQUESTER, `harden ${members.map((m) => m.id).join(',')}`);
    const { id } = await hardeningOf(env, reply);
    const e = env;
    const value = await waitFor(
      'the Approve button',
      () => buttonValue(e.slack, 'bg_harden_approve'),
      60_000,
    );
    await click(e, APPROVER_A, 'bg_harden_approve', value);
    await click(e, APPROVER_B, 'bg_harden_approve', value);
    await waitFor(
      'the hardening half-way',
      async () => {
        const rows = await e.bot.store.hardenAccounts(id);
        const done = rows.filter((r) => r.state !== 'pending').length;
        return done >= 5 && done <= 40 ? rows : undefined;
      },
      60_000,
    );
    await e.restart();
    const doneAtRestart = (await e.bot.store.hardenAccounts(id)).filter((r) => r.state === 'done').length;
    expect(doneAtRestart).toBeGreaterThanOrEqual(5);
    expect(doneAtRestart).toBeLessThan(60);
    await until(e, id, (h) => h.state === 'closed', 'the hardening to close', 90_000);
    const rows = await e.bot.store.hardenAccounts(id);
    expect(rows.every((r) => r.state === 'done' && r.attempts === 1)).toBe(true);
    for (const m of members) {
      expect(hasRootCredentials(aws, m.id)).toBe(false);
      expect(aws.callsOf('DeleteLoginProfile').filter((c) => c.endsWith(m.id))).toHaveLength(1);
    }
    expect(
      e.slack
        .callsOf('chat.postMessage')
        .filter((c) => /^Delete root credentials from 60/.test(String(c.args.text))),
    ).toHaveLength(1);
    // Progress in the message while it ran, spaced: at most one update per 3 s, plus the state changes.
    await waitFor('the closed message', () =>
      e.slack
        .callsOf('chat.update')
        .some((c) => c.outcome?.ok && String(c.args.text).includes(`(${id}): Closed`)),
    );
    const updates = e.slack
      .callsOf('chat.update')
      .filter((c) => c.outcome?.ok && String(c.args.text).includes(id));
    const progress = updates
      .map((c) => /\*Verified clean:\* (\d+)/.exec(JSON.stringify(c.args.blocks))?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    expect(progress.some((n) => n > 0 && n < 60)).toBe(true);
    expect(progress.at(-1)).toBe(60);
    const ranMs = (updates.at(-1)?.at ?? 0) - (updates[0]?.at ?? 0);
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(ranMs / 3000) + 6);
  }, 150_000);

  it('from the audit summary: 400 accounts with hostile names stay within Block Kit limits, the full list in a CSV', async () => {
    aws = await FakeAws.start();
    const members = seedMembers(aws, 420, 0);
    for (const [i, m] of members.entries()) {
      m.name = `<!channel> & <@U0EVIL> ${'x'.repeat(30)} ${i}`.slice(0, 50);
      if (i < 400) m.root = fullyCredentialed(m.id);
    }
    env = await startBotEnv({}, { aws });
    const e = env;
    await command(e, REQUESTER, 'audit all');
    const auditButton = await waitFor(
      'the Harden button',
      () => buttonValue(e.slack, 'bg_audit_harden'),
      90_000,
    );
    const audit = JSON.stringify(e.slack.callsOf('chat.update').at(-1)?.args.blocks);
    expect(audit).toContain('Harden 400 accounts');
    const before = e.slack.callsOf('response_url').length;
    await e.client.blockAction(REQUESTER, { action_id: 'bg_audit_harden', value: auditButton });
    const answer = await waitFor('the answer', () => e.slack.callsOf('response_url')[before]);
    const { id } = await hardeningOf(e, String(answer.args.text));
    await until(e, id, (h) => h.preview === 'ready', 'the preview', 90_000);
    await waitFor('the Approve button', () => buttonValue(e.slack, 'bg_harden_approve'), 30_000);
    // Approve only once the full list is in the thread: before, the message says it is on its way.
    const calls = e.slack.calls;
    const firstApprove = calls.findIndex(
      (c) =>
        c.outcome?.ok &&
        String(c.args.text).includes(id) &&
        String(JSON.stringify(c.args.blocks)).includes('bg_harden_approve'),
    );
    const listShared = calls.findIndex(
      (c) =>
        c.method === 'files.completeUploadExternal' &&
        c.outcome?.ok &&
        String((c.args.files as { title?: string }[])[0]?.title).includes(id),
    );
    expect(listShared).toBeGreaterThan(-1);
    expect(firstApprove).toBeGreaterThan(listShared);
    expect(
      calls.some(
        (c) =>
          String(c.args.text).includes(id) &&
          String(JSON.stringify(c.args.blocks)).includes('on its way to this thread'),
      ),
    ).toBe(true);
    const renders = e.slack
      .callsOf('chat.postMessage')
      .concat(e.slack.callsOf('chat.update'))
      .filter((c) => String(c.args.text).includes(id));
    expect(renders.length).toBeGreaterThan(1);
    // Every post and update was accepted by the fake's Block Kit validator.
    expect(renders.every((c) => c.outcome?.ok)).toBe(true);
    const last = renders.at(-1)?.args.blocks as unknown[];
    expect(last.length).toBeLessThanOrEqual(10);
    expect(JSON.stringify(last).length).toBeLessThan(8_000);
    expect(JSON.stringify(last)).toContain('…and 385 more (all in the CSV)');
    expect(e.slack.interpretedTexts().some((t) => t.includes('<!channel>'))).toBe(false);
    const csv = await waitFor('the CSV', () => threadFiles(e).find((f) => f.title.includes(id)));
    expect(csv.rows).toHaveLength(400);
    expect(new Set(csv.rows.map((r) => r.accountId)).size).toBe(400);
  }, 180_000);

  it('is cancelled, never left pending, when Slack refuses its message for good', async () => {
    aws = await FakeAws.start();
    seedMembers(aws, 3, 1);
    env = await startBotEnv({}, { aws });
    env.slack.failChannel(CHANNEL, 'not_in_channel');
    const { id } = await hardeningOf(env, await command(env, REQUESTER, `harden ${memberId(1)}`));
    const cancelled = await until(env, id, (h) => h.state === 'cancelled', 'the hardening to be cancelled');
    expect(cancelled.cancelReason).toContain('not_in_channel');
    expect((await env.bot.store.listAudit(id)).map((a) => a.action)).toContain('cancelled: not shown');
    expect(await env.bot.store.pendingJobs(id)).toEqual([]);
  }, 60_000);
});

describe('click replies', () => {
  it('escape what they echo once: a hostile button value reads as typed, no live mention', async () => {
    env = await startBotEnv();
    const reply = await click(env, APPROVER_A, 'bg_harden_deny', 'BH-<!channel>&x');
    expect(reply).toBe('There is no request BH-&lt;!channel&gt;&amp;x.');
  });
});
