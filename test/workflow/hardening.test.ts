/**
 * Bulk hardening in the workflow, over the fake AWS and a real SQLite store:
 * approver routing across rules (an approver must be one under every rule of
 * its accounts), the requester's rights under each rule, expiry and withdrawal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RootTasks } from '../../src/workflow/ports.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import type { FakeAwsEnv } from '../support/fake-aws-env.js';
import { requestFixture } from '../support/fixtures.js';
import {
  BOTH_1,
  BOTH_2,
  closeHardeningEnvs,
  DEFAULT_ONLY,
  PAYMENTS_LEAD,
  REQUESTER,
  startHardeningEnv,
} from '../support/hardening-env.js';
import { SETTINGS } from '../support/workflow-env.js';

let aws: FakeAwsEnv | undefined;

afterEach(async () => {
  await closeHardeningEnvs();
  aws = undefined;
});

async function setUp(wrap?: (tasks: RootTasks) => RootTasks) {
  const env = await startHardeningEnv(wrap ? { wrap } : {});
  aws = env.aws;
  return env;
}

describe('bulk hardening in the workflow', () => {
  it('needs approvers under every rule of its accounts, and records the rules approvers saw', async () => {
    const { workflow, runJobs, store: s } = await setUp();
    const started = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(1), memberId(2)] });
    if (!started.ok) throw new Error(started.text);
    await runJobs();
    const h = (await s.getHardening(started.id))?.hardening;
    expect(h?.rules.map((r) => r.rule)).toEqual(['default', 'payments']);
    expect(h?.preview).toBe('ready');
    const hash = h?.contentHash ?? '';
    // An approver under one rule only is refused, naming both.
    const payments = await workflow.hardenings.approve(started.id, PAYMENTS_LEAD, hash);
    expect(payments.text).toMatch(/not an approver under every rule of its accounts \(default, payments\)/);
    const defaultOnly = await workflow.hardenings.approve(started.id, DEFAULT_ONLY, hash);
    expect(defaultOnly.ok).toBe(false);
    // A stale hash is refused.
    expect((await workflow.hardenings.approve(started.id, BOTH_1, 'stale')).text).toMatch(
      /changed since you saw it/,
    );
    expect((await workflow.hardenings.approve(started.id, BOTH_1, hash)).text).toMatch(/One more approver/);
    expect((await workflow.hardenings.approve(started.id, BOTH_2, hash)).text).toMatch(
      /Deleting root credentials from 2/,
    );
    await runJobs();
    const closed = (await s.getHardening(started.id))?.hardening;
    expect(closed?.state).toBe('closed');
    expect(closed?.approvals.map((a) => a.userId)).toEqual([BOTH_1, BOTH_2]);
    const rows = await s.hardenAccounts(started.id);
    expect(rows.map((r) => [r.accountId, r.state, r.attempts])).toEqual([
      [memberId(1), 'done', 1],
      [memberId(2), 'done', 1],
    ]);
  });

  it("refuses, and stores nothing, when a rule does not let the requester request, or an account can't be targeted", async () => {
    const { workflow, store: s } = await setUp();
    const refused = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(1), memberId(3)] });
    expect(refused).toMatchObject({
      ok: false,
      text: expect.stringMatching(/Rule "sandbox" .* does not let you request/),
    });
    const unknown = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(1), '999999999999'] });
    expect(unknown).toMatchObject({
      ok: false,
      text: expect.stringMatching(/Nothing was requested: 1 account\(s\)/),
    });
    expect(await workflow.hardenings.start(REQUESTER, { allPresent: true })).toMatchObject({
      ok: false,
      text: expect.stringMatching(/No finished org-wide audit/),
    });
    expect(await s.listAudit()).toEqual([]);
  });

  it('refuses accounts whose rules share fewer than two approvers besides the requester, naming the split', async () => {
    const { workflow, store: s } = await setUp();
    const refused = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(2), memberId(4)] });
    expect(refused).toEqual({
      ok: false,
      text: `Nothing was requested: no two people besides you approve under every rule of these accounts (default, island). Ask once per rule with \`/breakglass harden <accounts>\`: default: ${memberId(2)}; island: ${memberId(4)}.`,
    });
    // The requester is not counted: BOTH_1 asking for payments and sandbox accounts leaves one approver.
    const self = await workflow.hardenings.start(BOTH_1, { accounts: [memberId(1), memberId(2)] });
    expect(self).toMatchObject({ ok: false, text: expect.stringContaining('(default, payments)') });
    expect(await s.listAudit()).toEqual([]);
    // Each rule alone, or rules sharing two approvers, is requested.
    expect(await workflow.hardenings.start(REQUESTER, { accounts: [memberId(4)] })).toMatchObject({
      ok: true,
    });
  });

  it('keeps the password a grant created while the account was being deleted on, and holds the account', async () => {
    const account = memberId(2);
    let grant: (() => Promise<void>) | undefined;
    const env = await setUp((tasks) => ({
      ...tasks,
      auditRootCredentials: (id) => tasks.auditRootCredentials(id),
      // The deletion has started (its turn was checked) when a break-glass grant on the account lands.
      deleteRootCredentials: async (id, options) => {
        await grant?.();
        return tasks.deleteRootCredentials(id, options);
      },
    }));
    const fake = aws?.fake;
    if (!fake) throw new Error('no fake');
    fake.account(account).root = {
      ...fake.account(account).root,
      accessKeys: fullyCredentialed(account).accessKeys,
    };
    const started = await env.workflow.hardenings.start(REQUESTER, { accounts: [account] });
    if (!started.ok) throw new Error(started.text);
    await env.runJobs();
    const hash = (await env.store.getHardening(started.id))?.hardening.contentHash ?? '';
    grant = async () => {
      grant = undefined;
      await env.store.createRequest(requestFixture('BG-GRANT', { accountId: account, state: 'active' }));
      fake.account(account).root = {
        ...fake.account(account).root,
        loginProfile: fullyCredentialed(account).loginProfile,
      };
    };
    await env.workflow.hardenings.approve(started.id, BOTH_1, hash);
    await env.workflow.hardenings.approve(started.id, BOTH_2, hash);
    await env.runJobs();
    expect(fake.account(account).root.loginProfile).not.toBeNull();
    expect(fake.account(account).root.accessKeys).toEqual([]);
    expect(fake.callsOf('DeleteLoginProfile')).toEqual([]);
    const [row] = await env.store.hardenAccounts(started.id);
    expect(row).toMatchObject({ state: 'pending', heldBy: 'BG-GRANT', removed: '2 access key(s)' });
  });

  it('marks an account the verification audit at the end finds unclean as failed, no longer verified', async () => {
    const account = memberId(2);
    let fake: FakeAwsEnv['fake'] | undefined;
    const env = await setUp((tasks) => ({
      ...tasks,
      auditRootCredentials: (id) => tasks.auditRootCredentials(id),
      // Verified by the deletion's own audit session; then someone sets a password again.
      deleteRootCredentials: async (id, options) => {
        const result = await tasks.deleteRootCredentials(id, options);
        if (fake)
          fake.account(id).root = {
            ...fake.account(id).root,
            loginProfile: fullyCredentialed(id).loginProfile,
          };
        return result;
      },
    }));
    fake = aws?.fake;
    const started = await env.workflow.hardenings.start(REQUESTER, { accounts: [account] });
    if (!started.ok) throw new Error(started.text);
    await env.runJobs();
    const hash = (await env.store.getHardening(started.id))?.hardening.contentHash ?? '';
    await env.workflow.hardenings.approve(started.id, BOTH_1, hash);
    await env.workflow.hardenings.approve(started.id, BOTH_2, hash);
    await env.runJobs();
    const [row] = await env.store.hardenAccounts(started.id);
    expect(row).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('the verification audit at the end found'),
    });
    expect(row?.verifiedAt).toBeUndefined();
  });

  it('expires unapproved; the requester withdraws; neither deletes anything', async () => {
    const { workflow, runJobs, clock, store: s } = await setUp();
    const a = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(2)] });
    const b = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(4)] });
    if (!a.ok || !b.ok) throw new Error('not started');
    await runJobs();
    expect((await workflow.hardenings.deny(b.id, REQUESTER)).text).toBe('Withdrawn.');
    clock.now += SETTINGS.pendingTtlSeconds * 1000;
    await runJobs();
    expect((await s.getHardening(a.id))?.hardening.state).toBe('expired');
    expect((await s.getHardening(b.id))?.hardening).toMatchObject({
      state: 'denied',
      denial: { userId: REQUESTER },
    });
    const hash = (await s.getHardening(a.id))?.hardening.contentHash ?? '';
    expect((await workflow.hardenings.approve(a.id, BOTH_1, hash)).text).toMatch(/already expired/);
    expect(aws?.fake.callsOf('DeleteLoginProfile')).toEqual([]);
  });
});
