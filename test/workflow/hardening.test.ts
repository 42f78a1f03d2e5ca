/**
 * Bulk hardening in the workflow, over the fake AWS and a real SQLite store:
 * approver routing across rules (an approver must be one under every rule of
 * its accounts), the requester's rights under each rule, expiry and withdrawal.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPolicy, type Policy } from '../../src/domain/policy.js';
import { TASK_KINDS } from '../../src/domain/request.js';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { organizationAccounts } from '../../src/workflow/organization-accounts.js';
import { PolicyRouting } from '../../src/workflow/policy-routing.js';
import type { Authorizer, RootTasks } from '../../src/workflow/ports.js';
import { BreakglassWorkflow } from '../../src/workflow/workflow.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';
import { requestFixture } from '../support/fixtures.js';
import { SETTINGS } from '../support/workflow-env.js';

const PAYMENTS_LEAD = 'UPAYLEAD01';
const BOTH_1 = 'UBOTH00001';
const BOTH_2 = 'UBOTH00002';
const DEFAULT_ONLY = 'UDEFAULT01';
const REQUESTER = 'UREQUEST01';
const ISLAND_1 = 'UISLAND001';
const ISLAND_2 = 'UISLAND002';
const SANDBOX_ONLY_REQUESTER = 'USANDREQ01';

let aws: FakeAwsEnv | undefined;
let store: SqliteStore | undefined;

afterEach(async () => {
  await store?.close();
  await aws?.close();
  aws = undefined;
  store = undefined;
});

function policy(): Policy {
  const checked = checkPolicy({
    version: 1,
    rules: [
      {
        name: 'payments',
        match: { accounts: [memberId(1)] },
        approvers: { users: [PAYMENTS_LEAD, BOTH_1, BOTH_2] },
      },
      {
        name: 'island',
        match: { accounts: [memberId(4)] },
        approvers: { users: [ISLAND_1, ISLAND_2] },
      },
      {
        name: 'sandbox',
        match: { accounts: [memberId(3)] },
        approvers: { users: [BOTH_1, BOTH_2] },
        requesters: { users: [SANDBOX_ONLY_REQUESTER] },
      },
    ],
  });
  if (!checked.policy) throw new Error(checked.problems.join('; '));
  return checked.policy;
}

/** Users only: an approver list names its approvers. */
const auth: Authorizer = {
  isApprover: async (userId, approvers = [BOTH_1, BOTH_2, DEFAULT_ONLY]) => approvers.includes(userId),
  mayRequest: async (userId, requesters = []) => requesters.length === 0 || requesters.includes(userId),
  people: async (ids) => [...ids],
};

async function setUp(wrap: (tasks: RootTasks) => RootTasks = (tasks) => tasks) {
  aws = await startFakeAwsEnv();
  seedMembers(aws.fake, 4, 1);
  store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bg-harden-')), 'breakglass.db'));
  const clock = { now: Date.parse('2026-11-26T10:00:00Z') };
  const routing = new PolicyRouting(
    policy(),
    {
      approvers: [BOTH_1, BOTH_2, DEFAULT_ONLY],
      requesters: [],
      durationsSeconds: [1800],
      tasks: TASK_KINDS,
    },
    async () => [],
  );
  const workflow = new BreakglassWorkflow({
    store,
    tasks: wrap(aws.service),
    accounts: organizationAccounts(aws.organization),
    auth,
    log: silentLogger,
    routing,
    settings: SETTINGS,
    now: () => clock.now,
  });
  const runJobs = async () => {
    for (;;) {
      const job = await store?.claimDueJob('w', clock.now, 60_000);
      if (!job || !store) return;
      const { retryAt } = await workflow.runJob(job);
      if (retryAt !== undefined) await store.retryJob(job.id, retryAt, 'w');
      else await store.completeJob(job.id, 'w');
    }
  };
  return { workflow, clock, runJobs, store };
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
