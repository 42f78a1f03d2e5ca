/**
 * Bulk hardening in the workflow, over the fake AWS and a real SQLite store:
 * approver routing across rules (an approver must be one under every rule of
 * its accounts), the requester's rights under each rule, expiry and withdrawal.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Hardening } from '../../src/domain/harden.js';
import type { Delivery } from '../../src/domain/notice.js';
import type { OrgAuditRow } from '../../src/domain/org-audit.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { OutboxItem } from '../../src/store/store.js';
import { DeliveryError } from '../../src/workflow/delivery-error.js';
import {
  clickKey,
  hardeningCsvFile,
  isHardeningListFile,
  startHardening,
} from '../../src/workflow/hardening.js';
import type { RootTasks } from '../../src/workflow/ports.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import type { FakeAwsEnv } from '../support/fake-aws-env.js';
import { orgAuditRowFixture, requestFixture } from '../support/fixtures.js';
import {
  AUDIT_ONLY_ACCOUNT,
  BOTH_1,
  BOTH_2,
  closeHardeningEnvs,
  DEFAULT_ONLY,
  type HardeningEnv,
  OUTSIDER,
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

/** What the outbox was asked to deliver for a hardening, oldest first. */
async function notices(store: SqliteStore, id: string): Promise<Delivery[]> {
  return (await store.listDeliveries(id)).map((d) => d.delivery);
}

/** The audit trail of a hardening: who did what, with its details. */
async function trail(store: SqliteStore, id: string) {
  return (await store.listAudit(id)).map(({ actor, action, details }) => ({ actor, action, details }));
}

const UPDATE: Delivery = { to: 'harden-update' };

/** A finished org-wide audit with these rows (no job left to run). */
async function orgAudit(store: SqliteStore, id: string, at: number, rows: Partial<OrgAuditRow>[]) {
  await store.startOrgAudit({ id, requestedBy: REQUESTER, startedAt: at, state: 'running', done: 0 }, []);
  await store.recordOrgAuditRows(
    id,
    rows.map((r) => orgAuditRowFixture('', { name: 'n', ...r })),
    { total: rows.length },
  );
  await store.finishOrgAudit(id, at, []);
  await store.cancelJobs(id);
}

describe('requesting a bulk hardening', () => {
  it('refuses, naming why, whoever may not request, no account, too many, or accounts it cannot target', async () => {
    const { workflow, store: s } = await setUp();
    expect(await workflow.hardenings.start(OUTSIDER, { accounts: [memberId(2)] })).toEqual({
      ok: false,
      text: 'You may not request break-glass work: only people on the requesters list may.',
    });
    expect(await workflow.hardenings.start(REQUESTER, { accounts: [] })).toEqual({
      ok: false,
      text: 'No account to harden.',
    });
    const unknown = [6, 5, 4, 3, 2, 1].map((n) => `99999999999${n}`);
    expect(await workflow.hardenings.start(REQUESTER, { accounts: unknown })).toEqual({
      ok: false,
      text: expect.stringMatching(
        /^Nothing was requested: 6 account\(s\) cannot be targeted \(999999999991: [^;]+; 999999999992: [^;]+; 999999999993: [^;]+; 999999999994: [^;]+; 999999999995: [^;]+; …\)\.$/,
      ),
    });
    const five = await workflow.hardenings.start(REQUESTER, { accounts: unknown.slice(1) });
    expect(five.text).toBe(
      `Nothing was requested: 5 account(s) cannot be targeted (${unknown
        .slice(1)
        .reverse()
        .map((a) => `${a}: ${a} is not an account of organization o-fake0example`)
        .join('; ')}).`,
    );
    expect(await s.listAudit()).toEqual([]);
  });

  it('takes at most 2000 distinct accounts, counting each once', async () => {
    const env = await startHardeningEnv({
      accounts: () => ({
        targetable: async (accountId) => ({ ok: false, reason: `${accountId} is made up` }),
        find: async () => undefined,
      }),
    });
    const ids = Array.from({ length: 2001 }, (_, i) => String(300_000_000_000 + i));
    expect(await env.workflow.hardenings.start(REQUESTER, { accounts: ids })).toEqual({
      ok: false,
      text: 'At most 2000 accounts per request (2001 given).',
    });
    // 2000 distinct (one given twice): past the limit check, to the accounts' own refusals.
    const refused = await env.workflow.hardenings.start(REQUESTER, {
      accounts: [...ids.slice(0, 2000), ids[0] as string],
    });
    expect(refused.text).toMatch(
      /^Nothing was requested: 2000 account\(s\) cannot be targeted \(300000000000: /,
    );
  });

  it('refuses accounts under a rule without the deletion, or whose OUs cannot be read', async () => {
    const env = await startHardeningEnv({
      ancestors: async (accountId) => {
        if (accountId === memberId(2)) throw new Error('AccessDenied');
        return [];
      },
    });
    expect(await env.workflow.hardenings.start(REQUESTER, { accounts: [AUDIT_ONLY_ACCOUNT] })).toEqual({
      ok: false,
      text: `Rule "audit-only" (account ${AUDIT_ONLY_ACCOUNT}) does not offer deleting root credentials.`,
    });
    expect(await env.workflow.hardenings.start(REQUESTER, { accounts: [memberId(1), memberId(2)] })).toEqual({
      ok: false,
      text: `Could not read the OU of ${memberId(2)} from AWS Organizations, so its approvers are unknown. Try again in a moment.`,
    });
    expect(await env.store.listAudit()).toEqual([]);
  });

  it('names at most 20 accounts per rule when it must be split by rule', async () => {
    const env = await startHardeningEnv({ members: 25 });
    const defaults = Array.from({ length: 21 }, (_, i) => memberId(i + 5));
    const refused = await env.workflow.hardenings.start(REQUESTER, { accounts: [memberId(4), ...defaults] });
    expect(refused).toEqual({
      ok: false,
      text: `Nothing was requested: no two people besides you approve under every rule of these accounts (default, island). Ask once per rule with \`/breakglass harden <accounts>\`: default: ${defaults.slice(0, 20).join(' ')} (+1 more); island: ${memberId(4)}.`,
    });
    // Exactly 20: all named, none counted.
    const twenty = await env.workflow.hardenings.start(REQUESTER, {
      accounts: [memberId(4), ...defaults.slice(0, 20)],
    });
    expect(twenty.text).toContain(`default: ${defaults.slice(0, 20).join(' ')}; island: ${memberId(4)}.`);
  });

  it('stores the request pending its preview, with its jobs, its message and the audit trail, once per command', async () => {
    const { workflow, store: s, clock, wakes } = await setUp();
    const started = await workflow.hardenings.start(
      REQUESTER,
      { accounts: [memberId(2), memberId(1), memberId(2)] },
      undefined,
      'cmd-1',
    );
    if (!started.ok) throw new Error(started.text);
    expect(started.id).toMatch(/^BH-[A-HJ-NP-Z2-9]{6}$/);
    expect(started).toEqual({
      ok: true,
      id: started.id,
      accounts: 2,
      text: `Requested deletion of root credentials from 2 account(s) (${started.id}). The approvals channel lists each account with what is present; two approvers must approve.`,
    });
    expect((await s.getHardening(started.id))?.hardening).toEqual({
      id: started.id,
      requesterId: REQUESTER,
      createdAt: clock.now,
      state: 'pending',
      accounts: 2,
      source: 'command',
      rules: [
        { rule: 'default', approvers: [BOTH_1, BOTH_2, DEFAULT_ONLY] },
        { rule: 'payments', approvers: [PAYMENTS_LEAD, BOTH_1, BOTH_2] },
      ],
      preview: 'loading',
      approvals: [],
      contentHash: '',
      rounds: 0,
    });
    expect((await s.hardenAccounts(started.id)).map((r) => [r.accountId, r.state, r.attempts])).toEqual([
      [memberId(1), 'pending', 0],
      [memberId(2), 'pending', 0],
    ]);
    expect((await s.pendingJobs(started.id)).map((j) => [j.kind, j.dueAt]).sort()).toEqual([
      ['harden-expire', clock.now + SETTINGS.pendingTtlSeconds * 1000],
      ['harden-preview', clock.now],
    ]);
    expect(await notices(s, started.id)).toEqual([{ to: 'harden-post' }]);
    expect(wakes).toEqual({ scheduler: 1, outbox: 1 });
    expect(await trail(s, started.id)).toEqual([
      {
        actor: REQUESTER,
        action: 'bulk hardening requested',
        details: { accounts: [memberId(1), memberId(2)], source: 'command', rules: ['default', 'payments'] },
      },
    ]);
    // Before the preview, nobody can approve.
    expect(await workflow.hardenings.approve(started.id, BOTH_1, '')).toEqual({
      ok: false,
      text: 'Not approved: the accounts are still being read; approve once the message lists them.',
    });

    // The same command again (a redelivery) requests nothing; another command, or the click helper's key, does.
    expect(
      await startHardening(workflow.hardenings, REQUESTER, { accounts: [memberId(2)] }, 'command', 'cmd-1'),
    ).toEqual({ ok: false, text: 'Already requested: Slack sent this twice. See the approvals channel.' });
    const click = clickKey(REQUESTER, '1800000100.000200');
    expect(click).toBe(`click:${REQUESTER}:1800000100.000200`);
    expect(clickKey(REQUESTER, undefined)).toBeUndefined();
    const other = await startHardening(
      workflow.hardenings,
      REQUESTER,
      { accounts: [memberId(2)] },
      'drift',
      click,
    );
    expect(other).toMatchObject({ ok: true, accounts: 1 });
    if (!other.ok) throw new Error(other.text);
    expect((await s.getHardening(other.id))?.hardening.source).toBe('drift');
    expect(
      await startHardening(workflow.hardenings, REQUESTER, { accounts: [memberId(2)] }, 'drift', click),
    ).toEqual({ ok: false, text: 'Already requested: Slack sent this twice. See the approvals channel.' });
    expect((await s.listAudit()).filter((a) => a.action === 'bulk hardening requested')).toHaveLength(2);
  });

  it('hardens what an org-wide audit found outside a window: the latest finished one, or the one named', async () => {
    const { workflow, store: s, clock } = await setUp();
    expect(await workflow.hardenings.start(REQUESTER, { allPresent: true })).toEqual({
      ok: false,
      text: 'No finished org-wide audit to harden from: run `/breakglass audit all` first.',
    });
    await orgAudit(s, 'OA-OLDER', clock.now - 60_000, [
      { accountId: memberId(3), status: 'clean' },
      { accountId: memberId(4), status: 'present' },
    ]);
    await orgAudit(s, 'OA-LATEST', clock.now, [
      { accountId: memberId(1), status: 'present', openWindow: 'BG-OPEN' },
      { accountId: memberId(2), status: 'present' },
      { accountId: memberId(3), status: 'clean' },
      { accountId: memberId(4), status: 'error', errorKind: 'blocked-by-scp' },
    ]);
    const latest = await workflow.hardenings.start(REQUESTER, { allPresent: true }, 'OA-LATEST');
    if (!latest.ok) throw new Error(latest.text);
    expect((await s.hardenAccounts(latest.id)).map((r) => r.accountId)).toEqual([memberId(2)]);
    const named = await workflow.hardenings.start(REQUESTER, { auditId: 'OA-OLDER' }, 'OA-OLDER');
    if (!named.ok) throw new Error(named.text);
    expect((await s.hardenAccounts(named.id)).map((r) => r.accountId)).toEqual([memberId(4)]);
    expect((await s.getHardening(named.id))?.hardening.source).toBe('OA-OLDER');

    await orgAudit(s, 'OA-CLEAN', clock.now + 1, [{ accountId: memberId(1), status: 'clean' }]);
    expect(await workflow.hardenings.start(REQUESTER, { allPresent: true })).toEqual({
      ok: false,
      text: 'The org-wide audit OA-CLEAN found no root credentials outside a window.',
    });
    expect(await workflow.hardenings.start(REQUESTER, { auditId: 'OA-NOPE' })).toMatchObject({
      ok: false,
      text: expect.stringMatching(/^No finished org-wide audit/),
    });
    await s.startOrgAudit(
      { id: 'OA-RUNNING', requestedBy: REQUESTER, startedAt: clock.now, state: 'running', done: 0 },
      [],
    );
    expect(await workflow.hardenings.start(REQUESTER, { auditId: 'OA-RUNNING' })).toMatchObject({
      ok: false,
      text: expect.stringMatching(/^No finished org-wide audit/),
    });
  });
});

/** Started and previewed: its id and the hash approvers saw. */
async function previewed(env: HardeningEnv, accounts: string[]) {
  const started = await env.workflow.hardenings.start(REQUESTER, { accounts });
  if (!started.ok) throw new Error(started.text);
  await env.runJobs();
  const h = (await env.store.getHardening(started.id))?.hardening;
  if (h?.preview !== 'ready') throw new Error('not previewed');
  return { id: started.id, hash: h.contentHash };
}

describe('approving, denying and expiring a bulk hardening', () => {
  it('records each approval in the audit trail and the message; the second starts the run', async () => {
    const env = await setUp();
    const { workflow, store: s, wakes, clock } = env;
    const { id, hash } = await previewed(env, [memberId(2)]);
    const before = (await notices(s, id)).length;
    const woken = { ...wakes };
    expect(await workflow.hardenings.approve(id, BOTH_1, hash)).toEqual({
      ok: true,
      text: 'Approved. One more approver is needed.',
    });
    expect(wakes).toEqual({ scheduler: woken.scheduler, outbox: woken.outbox + 1 });
    expect((await notices(s, id)).slice(before)).toEqual([UPDATE]);
    expect(await workflow.hardenings.approve(id, BOTH_1, hash)).toEqual({
      ok: true,
      text: 'You have already approved this request.',
    });
    expect((await notices(s, id)).slice(before)).toEqual([UPDATE]);
    expect((await s.getHardening(id))?.hardening).toMatchObject({
      state: 'pending',
      approvals: [{ userId: BOTH_1 }],
    });
    expect((await s.pendingJobs(id)).map((j) => j.kind)).toEqual(['harden-expire']);

    clock.now += 1_000;
    expect(await workflow.hardenings.approve(id, BOTH_2, hash)).toEqual({
      ok: true,
      text: 'Approved. Deleting root credentials from 1 account(s) now.',
    });
    expect(wakes).toEqual({ scheduler: woken.scheduler + 1, outbox: woken.outbox + 2 });
    expect((await notices(s, id)).slice(before)).toEqual([UPDATE, UPDATE]);
    expect((await s.getHardening(id))?.hardening).toMatchObject({ state: 'running', startedAt: clock.now });
    expect((await s.pendingJobs(id)).map((j) => [j.kind, j.dueAt])).toEqual([['harden-run', clock.now]]);
    expect(
      (await trail(s, id)).filter((e) => e.action !== 'bulk hardening requested' && e.action !== 'previewed'),
    ).toEqual([
      { actor: BOTH_1, action: 'approved', details: { contentHash: hash } },
      { actor: BOTH_2, action: 'approved', details: { contentHash: hash } },
      { actor: 'scheduler', action: 'bulk hardening started', details: { accounts: 1 } },
    ]);
  });

  it('answers for a request that does not exist', async () => {
    const { workflow, runJobs } = await setUp();
    expect(await workflow.hardenings.approve('BH-NOPE', BOTH_1, 'x')).toEqual({
      ok: false,
      text: 'There is no request BH-NOPE.',
    });
    expect(await workflow.hardenings.deny('BH-NOPE', BOTH_1)).toEqual({
      ok: false,
      text: 'There is no request BH-NOPE.',
    });
    expect(await workflow.hardenings.giveUp('BH-NOPE', BOTH_1, 'x')).toEqual({
      ok: false,
      text: 'There is no request BH-NOPE.',
    });
    await expect(
      workflow.delivered({
        id: 'o1',
        requestId: 'BH-NOPE',
        delivery: hardeningCsvFile({ id: 'BH-NOPE' } as Hardening, false),
        attempts: 1,
        createdAt: 0,
      }),
    ).rejects.toThrow('could not record the shared list of BH-NOPE: there is no request BH-NOPE');
    // Jobs of a request gone do nothing.
    expect(await runJobs()).toEqual([]);
  });

  it('is denied by an approver, withdrawn by its requester, and refused to anyone else or once decided', async () => {
    const env = await setUp();
    const { workflow, store: s } = env;
    const { id } = await previewed(env, [memberId(2)]);
    expect(await workflow.hardenings.deny(id, OUTSIDER)).toEqual({
      ok: false,
      text: 'Not denied: only approvers (or the requester, withdrawing) can deny it.',
    });
    const before = (await notices(s, id)).length;
    expect(await workflow.hardenings.deny(id, BOTH_1)).toEqual({ ok: true, text: 'Denied.' });
    expect((await notices(s, id)).slice(before)).toEqual([UPDATE]);
    expect(await s.pendingJobs(id)).toEqual([]);
    expect((await s.getHardening(id))?.hardening).toMatchObject({
      state: 'denied',
      denial: { userId: BOTH_1 },
    });
    expect(await workflow.hardenings.deny(id, REQUESTER)).toEqual({
      ok: false,
      text: 'Not denied: this request is already denied.',
    });
    expect((await trail(s, id)).at(-1)).toEqual({ actor: BOTH_1, action: 'denied', details: undefined });
    expect(
      (await trail(s, id)).filter((e) => e.action === 'denied' || e.action === 'withdrawn'),
    ).toHaveLength(1);

    // Withdrawn before its preview ran: its preview and expiry are cancelled.
    const other = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(2)] });
    if (!other.ok) throw new Error(other.text);
    expect(await workflow.hardenings.deny(other.id, REQUESTER)).toEqual({ ok: true, text: 'Withdrawn.' });
    expect(await s.pendingJobs(other.id)).toEqual([]);
    expect((await trail(s, other.id)).at(-1)).toEqual({
      actor: REQUESTER,
      action: 'withdrawn',
      details: undefined,
    });
  });

  it('without a policy file, the configured approvers decide', async () => {
    const env = await startHardeningEnv({ routing: false });
    const { id, hash } = await previewed(env, [memberId(1), memberId(2)]);
    expect((await env.store.getHardening(id))?.hardening.rules).toEqual([]);
    expect(await env.workflow.hardenings.approve(id, PAYMENTS_LEAD, hash)).toEqual({
      ok: false,
      text: 'Not approved: you are not an approver for break-glass requests.',
    });
    expect(await env.workflow.hardenings.approve(id, DEFAULT_ONLY, hash)).toMatchObject({ ok: true });
  });

  it('gives up after eight lost compare-and-sets, saying so', async () => {
    const env = await setUp();
    const { id } = await previewed(env, [memberId(2)]);
    const lost = vi.spyOn(env.store, 'updateHardening').mockResolvedValue(false);
    expect(await env.workflow.hardenings.deny(id, BOTH_1)).toEqual({
      ok: false,
      text: 'Not denied: the request is changing too fast; try again.',
    });
    expect(lost).toHaveBeenCalledTimes(8);
    lost.mockRestore();
    expect((await env.store.getHardening(id))?.hardening.state).toBe('pending');
  });

  it('expires unapproved, with its preview cancelled; a decided one never expires', async () => {
    const env = await setUp();
    const { workflow, store: s } = env;
    const started = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(2)] });
    if (!started.ok) throw new Error(started.text);
    const expire = await env.jobOf(started.id, 'harden-expire');
    expect(await workflow.runJob(expire)).toEqual({});
    expect((await s.getHardening(started.id))?.hardening).toMatchObject({
      state: 'expired',
      preview: 'loading',
    });
    // Its preview is cancelled (the expiry job itself is still claimed here).
    expect((await s.pendingJobs(started.id)).map((j) => j.kind)).toEqual(['harden-expire']);
    expect(await notices(s, started.id)).toEqual([{ to: 'harden-post' }, UPDATE]);
    // Run again (a redelivered job): nothing more.
    expect(await workflow.runJob(expire)).toEqual({});
    expect(await notices(s, started.id)).toEqual([{ to: 'harden-post' }, UPDATE]);
    expect((await trail(s, started.id)).map((e) => [e.actor, e.action])).toEqual([
      [REQUESTER, 'bulk hardening requested'],
      ['scheduler', 'expired'],
    ]);
    // A preview job that runs anyway reads nothing.
    const reads = env.fake.callsOf('GetAccountSummary').length;
    expect(await workflow.runJob({ ...expire, kind: 'harden-preview' })).toEqual({});
    expect(env.fake.callsOf('GetAccountSummary')).toHaveLength(reads);

    // Approved, then its expiry job runs (a late claim): it stays running.
    const { id, hash } = await previewed(env, [memberId(2)]);
    const late = await env.jobOf(id, 'harden-expire');
    await workflow.hardenings.approve(id, BOTH_1, hash);
    await workflow.hardenings.approve(id, BOTH_2, hash);
    expect(await workflow.runJob(late)).toEqual({});
    expect((await s.getHardening(id))?.hardening.state).toBe('running');
    expect((await trail(s, id)).map((e) => e.action)).not.toContain('expired');
  });
});

/** The outbox item of a notice of the hardening (as the worker hands it back). */
async function itemOf(store: SqliteStore, id: string, match: (d: Delivery) => boolean): Promise<OutboxItem> {
  const item = (await store.listDeliveries(id)).find((d) => match(d.delivery));
  if (!item) throw new Error(`no such notice of ${id}`);
  return item;
}

describe('what approvers are shown', () => {
  it('waits for the CSV of every account in the thread before anyone approves more than the message lists', async () => {
    const env = await startHardeningEnv({ members: 18 });
    const { workflow, store: s, clock, wakes } = env;
    // 16 accounts: one under "payments", the others under the default rule.
    const accounts = [1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].map(memberId);
    const { id, hash } = await previewed(env, accounts);
    const list: Delivery = {
      to: 'file',
      file: {
        source: 'harden-csv',
        filename: `to-harden-${id}.csv`,
        title: `Bulk hardening ${id}: every account`,
      },
    };
    expect(await notices(s, id)).toEqual([{ to: 'harden-post' }, UPDATE, list]);
    expect(await workflow.hardenings.approve(id, BOTH_1, hash)).toEqual({
      ok: false,
      text: 'Not approved: the list of every account (the CSV) is not in the thread yet; approve once it is.',
    });
    // Other notices delivered move nothing.
    await workflow.delivered(await itemOf(s, id, (d) => d.to === 'harden-update'));
    expect((await s.getHardening(id))?.hardening.listSharedAt).toBeUndefined();

    clock.now += 5_000;
    const outbox = wakes.outbox;
    await workflow.delivered(await itemOf(s, id, isHardeningListFile));
    expect((await s.getHardening(id))?.hardening.listSharedAt).toBe(clock.now);
    expect(await notices(s, id)).toEqual([{ to: 'harden-post' }, UPDATE, list, UPDATE]);
    expect(wakes.outbox).toBe(outbox + 1);
    // Delivered again (a retried upload): recorded once.
    const sharedAt = clock.now;
    clock.now += 5_000;
    await workflow.delivered(await itemOf(s, id, isHardeningListFile));
    expect((await s.getHardening(id))?.hardening.listSharedAt).toBe(sharedAt);
    expect(await notices(s, id)).toHaveLength(4);
    expect(await workflow.hardenings.approve(id, BOTH_1, hash)).toEqual({
      ok: true,
      text: 'Approved. One more approver is needed.',
    });

    // A withdrawn one records no list.
    const other = await previewed(env, accounts);
    await workflow.hardenings.deny(other.id, REQUESTER);
    await workflow.delivered(await itemOf(s, other.id, isHardeningListFile));
    expect((await s.getHardening(other.id))?.hardening.listSharedAt).toBeUndefined();
  });

  it('tells the list of every account from the other files and notices', () => {
    const h = { id: 'BH-ABCDEF' } as Hardening;
    expect(isHardeningListFile(hardeningCsvFile(h, false))).toBe(true);
    expect(hardeningCsvFile(h, true)).toEqual({
      to: 'file',
      file: {
        source: 'harden-csv',
        filename: 'hardened-BH-ABCDEF.csv',
        title: 'Bulk hardening BH-ABCDEF: result per account',
      },
    });
    expect(isHardeningListFile(hardeningCsvFile(h, true))).toBe(false);
    expect(
      isHardeningListFile({
        to: 'file',
        file: { source: 'org-audit-csv', filename: 'to-harden-BH-ABCDEF.csv', title: 't' },
      }),
    ).toBe(false);
    expect(isHardeningListFile(UPDATE)).toBe(false);
  });

  it('is cancelled, its requester told by DM, when Slack refuses its message for good', async () => {
    const env = await setUp();
    const { workflow, store: s } = env;
    const started = await workflow.hardenings.start(REQUESTER, { accounts: [memberId(2)] });
    if (!started.ok) throw new Error(started.text);
    const post = await itemOf(s, started.id, (d) => d.to === 'harden-post');
    await workflow.undeliverable(post, new DeliveryError('permanent', 'not_in_channel'));
    expect((await s.getHardening(started.id))?.hardening).toMatchObject({
      state: 'cancelled',
      cancelReason: 'Slack refused to show it in the approvals channel (not_in_channel)',
    });
    expect(await s.pendingJobs(started.id)).toEqual([]);
    expect(await notices(s, started.id)).toEqual([
      { to: 'harden-post' },
      { to: 'harden-dm', userId: REQUESTER, slackError: 'not_in_channel' },
    ]);
    // Refused again (a later notice): told once.
    await workflow.undeliverable(post, new DeliveryError('permanent', 'channel_not_found'));
    expect(await notices(s, started.id)).toHaveLength(2);
    expect((await trail(s, started.id)).filter((e) => e.action === 'cancelled: not shown')).toEqual([
      { actor: 'outbox', action: 'cancelled: not shown', details: { slackError: 'not_in_channel' } },
    ]);

    // Once running, a refused update cancels nothing.
    const { id, hash } = await previewed(env, [memberId(2)]);
    await workflow.hardenings.approve(id, BOTH_1, hash);
    await workflow.hardenings.approve(id, BOTH_2, hash);
    await workflow.undeliverable(
      await itemOf(s, id, (d) => d.to === 'harden-update'),
      new DeliveryError('permanent', 'x'),
    );
    expect((await s.getHardening(id))?.hardening.state).toBe('running');
    expect((await trail(s, id)).map((e) => e.action)).not.toContain('cancelled: not shown');
  });
});
