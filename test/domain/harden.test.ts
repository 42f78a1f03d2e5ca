import { describe, expect, it } from 'vitest';
import {
  accountStatus,
  commonApprovers,
  countHardening,
  decideGiveUp,
  decideHardeningApproval,
  decideHardeningDenial,
  failedVerification,
  giveUpDigest,
  type HardenAccount,
  type Hardening,
  hardeningHash,
  hardeningRetryDelayMs,
  heldAgain,
  rulesLabel,
  toGiveUp,
  unfinished,
} from '../../src/domain/harden.js';
import { hardeningFixture } from '../support/fixtures.js';

const base = hardeningFixture('BH-1', {
  requesterId: 'UREQ',
  createdAt: 0,
  accounts: 3,
  preview: 'ready',
  contentHash: 'H',
});
const row = (
  accountId: string,
  state: HardenAccount['state'],
  extra: Partial<HardenAccount> = {},
): HardenAccount => ({
  accountId,
  name: accountId,
  state,
  attempts: 0,
  ...extra,
});
const ctx = { isApprover: true, contentHash: 'H', now: 5 };

describe('bulk hardening rules', () => {
  it('applies the two-person rule, and waits for the preview', () => {
    expect(decideHardeningApproval({ ...base, preview: 'loading' }, 'UA', ctx)).toMatchObject({
      kind: 'refused',
    });
    // More accounts than the message lists: not before the CSV of all of them is in the thread.
    const many = { ...base, accounts: 16 };
    expect(decideHardeningApproval(many, 'UA', ctx)).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('not in the thread yet'),
    });
    expect(decideHardeningApproval({ ...many, listSharedAt: 5 }, 'UA', ctx)).toMatchObject({
      kind: 'recorded',
    });
    expect(decideHardeningApproval({ ...base, accounts: 15 }, 'UA', ctx)).toMatchObject({ kind: 'recorded' });
    expect(decideHardeningApproval(base, 'UREQ', ctx)).toEqual({
      kind: 'refused',
      reason: 'you cannot approve your own request',
    });
    expect(decideHardeningApproval(base, 'UA', { ...ctx, isApprover: false })).toEqual({
      kind: 'refused',
      reason: 'you are not an approver for break-glass requests',
    });
    const first = decideHardeningApproval(base, 'UA', ctx);
    expect(first).toEqual({ kind: 'recorded', approvals: [{ userId: 'UA', at: 5 }], complete: false });
    const once = { ...base, approvals: [{ userId: 'UA', at: 5 }] };
    expect(decideHardeningApproval(once, 'UA', ctx)).toEqual({ kind: 'duplicate' });
    expect(decideHardeningApproval(once, 'UB', ctx)).toMatchObject({ kind: 'recorded', complete: true });
    expect(decideHardeningApproval({ ...once, state: 'running' }, 'UB', ctx)).toEqual({
      kind: 'refused',
      reason: 'this request is already running',
    });
  });

  it('names every rule that decides', () => {
    expect(rulesLabel(base)).toBeUndefined();
    expect(rulesLabel({ rules: [{ rule: 'a', approvers: [] }] })).toBe('rule a');
    expect(
      rulesLabel({
        rules: [
          { rule: 'a', approvers: [] },
          { rule: 'b', approvers: [] },
        ],
      }),
    ).toBe('every rule of its accounts (a, b)');
  });

  it('lets approvers deny and the requester withdraw, only while pending', () => {
    expect(decideHardeningDenial(base, 'UX', { isApprover: false }).ok).toBe(false);
    expect(decideHardeningDenial(base, 'UREQ', { isApprover: false }).ok).toBe(true);
    expect(decideHardeningDenial(base, 'UA', { isApprover: true }).ok).toBe(true);
    expect(decideHardeningDenial({ ...base, state: 'running' }, 'UA', { isApprover: true }).ok).toBe(false);
  });

  it('gives up only failed accounts, only by an approver, only while running, adding to earlier ones', () => {
    const running: Hardening = { ...base, state: 'running' };
    const rows = [row('1', 'done'), row('2', 'failed'), row('3', 'pending'), row('4', 'failed')];
    const seen = giveUpDigest(['2', '4']);
    expect(decideGiveUp(running, rows, { isApprover: false, seen })).toMatchObject({ ok: false });
    expect(decideGiveUp(base, rows, { isApprover: true, seen })).toMatchObject({ ok: false });
    expect(decideGiveUp(running, rows, { isApprover: true, seen })).toEqual({
      ok: true,
      accounts: ['2', '4'],
    });
    const given = { ...running, givenUp: { userId: 'UA', at: 1, accounts: ['2', '4'] } };
    expect(decideGiveUp(given, rows, { isApprover: true, seen })).toEqual({
      ok: false,
      reason: 'no account has failed: nothing to give up on',
    });
    expect(
      decideGiveUp(given, [...rows, row('5', 'failed')], { isApprover: true, seen: giveUpDigest(['5']) }),
    ).toEqual({ ok: true, accounts: ['2', '4', '5'] });
  });

  it('gives up only the failed accounts the approver saw: another one failed since, refused', () => {
    const running: Hardening = { ...base, state: 'running' };
    const rows = [row('1', 'failed'), row('2', 'pending')];
    expect(toGiveUp(running, rows)).toEqual(['1']);
    const seen = giveUpDigest(toGiveUp(running, rows));
    const later = [row('1', 'failed'), row('2', 'failed')];
    expect(decideGiveUp(running, later, { isApprover: true, seen })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('the failed accounts changed since that message (2 now)'),
    });
    expect(decideGiveUp(running, rows, { isApprover: true, seen })).toEqual({ ok: true, accounts: ['1'] });
  });

  it('counts each state; a given-up account that later verified counts as done', () => {
    const h = { givenUp: { userId: 'UA', at: 1, accounts: ['2', '3'] } };
    const rows = [
      row('1', 'pending', { credentials: [{ kind: 'password' }, { kind: 'access-key' }] }),
      row('2', 'failed', { previewError: 'denied' }),
      row('3', 'done', { credentials: [] }),
      row('4', 'failed', { credentials: [{ kind: 'mfa-device' }] }),
    ];
    expect(accountStatus(h, rows[1] as HardenAccount)).toBe('given-up');
    expect(accountStatus(h, rows[2] as HardenAccount)).toBe('done');
    expect(countHardening(h, rows)).toEqual({
      total: 4,
      pending: 1,
      done: 1,
      failed: 1,
      givenUp: 1,
      held: 0,
      withPassword: 1,
      withAccessKeys: 1,
      withCertificates: 0,
      withMfa: 1,
      clean: 1,
      unreadable: 1,
    });
    expect(unfinished(h, rows).map((r) => r.accountId)).toEqual(['1', '4']);
  });

  it('holds an account with an open window: unfinished, counted apart, never done, given up like a failed one', () => {
    const h = { givenUp: undefined };
    const rows = [
      row('1', 'pending', { heldBy: 'BG-W1' }),
      row('2', 'failed', { heldBy: 'BG-W2' }),
      row('3', 'done', { heldBy: 'BG-OLD' }),
    ];
    expect(rows.map((r) => accountStatus(h, r))).toEqual(['held', 'held', 'done']);
    expect(countHardening(h, rows)).toMatchObject({ held: 2, pending: 0, failed: 0, done: 1 });
    expect(unfinished(h, rows).map((r) => r.accountId)).toEqual(['1', '2']);
    expect(
      accountStatus({ givenUp: { userId: 'UA', at: 1, accounts: ['1'] } }, rows[0] as HardenAccount),
    ).toBe('given-up');
    expect(
      decideGiveUp({ ...base, state: 'running' }, rows, { isApprover: true, seen: giveUpDigest(['1', '2']) }),
    ).toEqual({
      ok: true,
      accounts: ['1', '2'],
    });
    // Approvers see the window: it is part of what they approve.
    expect(hardeningHash(base, [row('1', 'pending')])).not.toBe(
      hardeningHash(base, [rows[0] as HardenAccount]),
    );
  });

  it('binds approvals to every account and what is on it', () => {
    const rows = [row('1', 'pending', { present: 'password' })];
    const hash = hardeningHash(base, rows);
    expect(hardeningHash(base, rows)).toBe(hash);
    expect(hardeningHash(base, [row('1', 'pending', { present: 'password, 1 access key(s)' })])).not.toBe(
      hash,
    );
    expect(hardeningHash(base, [...rows, row('2', 'pending')])).not.toBe(hash);
    // Progress does not change what was approved.
    expect(hardeningHash(base, [{ ...(rows[0] as HardenAccount), state: 'done', attempts: 1 }])).toBe(hash);
  });

  it('backs off retries, doubling, capped at 30x', () => {
    expect([1, 2, 3, 6, 20].map((r) => hardeningRetryDelayMs(r, 1000))).toEqual([
      1000, 2000, 4000, 30_000, 30_000,
    ]);
  });
});

describe('a done account after the verification audit at the end', () => {
  const verified = row('1', 'done', { verifiedAt: 5, removed: 'password', attempts: 1 });

  it('fails again, with why, and no longer shows as verified', () => {
    expect(failedVerification(verified, 'the verification audit at the end found a password')).toEqual({
      accountId: '1',
      name: '1',
      state: 'failed',
      attempts: 1,
      removed: 'password',
      error: 'the verification audit at the end found a password',
    });
  });

  it('is held while a window opened since is open, no longer verified', () => {
    expect(heldAgain(verified, 'BG-7')).toEqual({
      accountId: '1',
      name: '1',
      state: 'pending',
      attempts: 1,
      removed: 'password',
      heldBy: 'BG-7',
    });
  });
});

describe('what a refusal says', () => {
  const running: Hardening = { ...base, state: 'running' };
  const ruled: Hardening = { ...running, rules: [{ rule: 'payments', approvers: ['UA'] }] };

  it('while the accounts are still being read', () => {
    expect(decideHardeningApproval({ ...base, preview: 'loading' }, 'UA', ctx)).toEqual({
      kind: 'refused',
      reason: 'the accounts are still being read; approve once the message lists them',
    });
    // Only a pending request waits for its preview and its list: a running one says it is running.
    expect(decideHardeningApproval({ ...running, preview: 'loading', accounts: 40 }, 'UA', ctx)).toEqual({
      kind: 'refused',
      reason: 'this request is already running',
    });
  });

  it('names the rule that decides, for a non-approver', () => {
    expect(
      decideHardeningApproval({ ...ruled, state: 'pending' }, 'UX', { ...ctx, isApprover: false }),
    ).toEqual({
      kind: 'refused',
      reason: 'you are not an approver under rule payments',
    });
  });

  it('to a deny out of turn', () => {
    expect(decideHardeningDenial(running, 'UA', { isApprover: true })).toEqual({
      ok: false,
      reason: 'this request is already running',
    });
    expect(decideHardeningDenial(base, 'UX', { isApprover: false })).toEqual({
      ok: false,
      reason: 'only approvers (or the requester, withdrawing) can deny it',
    });
  });

  it('to a give-up out of turn, naming the rule when there is one', () => {
    const seen = giveUpDigest(['1']);
    const rows = [row('1', 'failed')];
    expect(decideGiveUp(ruled, rows, { isApprover: false, seen })).toEqual({
      ok: false,
      reason: 'only approvers can give up on accounts (under rule payments)',
    });
    expect(decideGiveUp(running, rows, { isApprover: false, seen })).toEqual({
      ok: false,
      reason: 'only approvers can give up on accounts',
    });
    expect(decideGiveUp({ ...running, state: 'closed' }, rows, { isApprover: true, seen })).toEqual({
      ok: false,
      reason: 'this request is closed, not running',
    });
  });

  it('gives up in account order, earlier ones included', () => {
    const given = { ...running, givenUp: { userId: 'UA', at: 1, accounts: ['5'] } };
    const rows = [row('3', 'failed'), row('1', 'failed'), row('5', 'failed')];
    expect(decideGiveUp(given, rows, { isApprover: true, seen: giveUpDigest(['1', '3']) })).toEqual({
      ok: true,
      accounts: ['1', '3', '5'],
    });
    expect(
      toGiveUp({}, [row('9', 'failed'), row('2', 'pending', { heldBy: 'BG-1' }), row('4', 'failed')]),
    ).toEqual(['2', '4', '9']);
  });
});

describe('digests and counts', () => {
  it('are 16 characters of base64url', () => {
    expect(giveUpDigest(['1'])).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(hardeningHash(base, [row('1', 'pending')])).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('bind to a preview error and to what was read on each account', () => {
    const read = hardeningHash(base, [row('1', 'pending', { credentials: [{ kind: 'password' }] })]);
    expect(hardeningHash(base, [row('1', 'pending', { credentials: [] })])).not.toBe(read);
    expect(hardeningHash(base, [row('1', 'pending', { previewError: 'AccessDenied' })])).not.toBe(
      hardeningHash(base, [row('1', 'pending', { previewError: 'Throttling' })]),
    );
  });

  it('count signing certificates apart from the other kinds', () => {
    const counts = countHardening(base, [
      row('1', 'pending', { credentials: [{ kind: 'signing-certificate', id: 'C1' }] }),
      row('2', 'pending', { credentials: [{ kind: 'password' }] }),
    ]);
    expect(counts).toMatchObject({ withCertificates: 1, withPassword: 1, withAccessKeys: 0, withMfa: 0 });
  });
});

describe('who approves under every rule', () => {
  it('is in every list, once, and never the requester', () => {
    expect(
      commonApprovers(
        [
          ['UA', 'UB', 'UR', 'UA'],
          ['UB', 'UA', 'UR'],
          ['UA', 'UB', 'UC'],
        ],
        'UR',
      ),
    ).toEqual(['UA', 'UB']);
    expect(commonApprovers([['UA', 'UB'], ['UC']], 'UR')).toEqual([]);
    expect(commonApprovers([['UA', 'UR']], 'UR')).toEqual(['UA']);
    expect(commonApprovers([], 'UR')).toEqual([]);
  });
});
