/**
 * Bulk hardening: "delete root credentials from N accounts" as one request,
 * approved by two people like any break-glass request, then run account by
 * account with durable per-account state (pending, done, failed with its
 * attempts), retried until every account is verified clean or an approver
 * gives the failed ones up. Pure: the workflow stores and applies these.
 */
import { createHash } from 'node:crypto';
import {
  type Approval,
  type ApprovalDecision,
  type CredentialItem,
  decideTwoPersonApproval,
} from './request.js';

export type HardeningState = 'pending' | 'running' | 'closed' | 'denied' | 'expired' | 'cancelled';

/** The approver rule of some of its accounts: an approver must be one under every rule of the request. */
export interface HardeningRule {
  rule: string;
  approvers: string[];
}

export interface Hardening {
  /** `BH-…`: also the outbox key of its notices and the request id of its jobs */
  id: string;
  requesterId: string;
  createdAt: number;
  state: HardeningState;
  /** how many accounts (their rows are stored apart) */
  accounts: number;
  /** where it was asked for: "command", or the org-wide audit (`OA-…`) whose summary had the button */
  source: string;
  /** every rule involved (empty: no policy file; the configured approvers decide) */
  rules: HardeningRule[];
  /** each account's credentials are read first; approvals wait for it */
  preview: 'loading' | 'ready';
  /**
   * when the CSV of every account was in the message's thread (the outbox
   * delivered it): with more accounts than the message lists, approvals wait for it
   */
  listSharedAt?: number;
  approvals: Approval[];
  /** what approvers saw (every account with what is present); approvals bind to it */
  contentHash: string;
  denial?: { userId: string; at: number };
  /** when the second approval started the run */
  startedAt?: number;
  /** rounds run so far (the first, then retries of the failed accounts) */
  rounds: number;
  /** when failed accounts are tried again */
  nextRetryAt?: number;
  /** an approver gave up on these accounts (failed then); recorded in the audit trail */
  givenUp?: { userId: string; at: number; accounts: string[] };
  /** the verification audit at the end, in a separate audit session per account */
  finalAudit?: { at: number; clean: number; present: string[] };
  closedAt?: number;
  /** why the bot cancelled it (Slack refused its message for good: approvers never saw it) */
  cancelReason?: string;
}

export type HardenAccountState = 'pending' | 'done' | 'failed';

/** One account of a hardening, stored on its own row (a restart resumes the unfinished ones). */
export interface HardenAccount {
  accountId: string;
  name: string;
  /** what the preview's audit session saw (absent until read) */
  present?: string;
  credentials?: CredentialItem[];
  /** the preview could not be read: the deletion still runs, and approvers see why */
  previewError?: string;
  state: HardenAccountState;
  /** deletions tried */
  attempts: number;
  /** what the deletion removed (all attempts) */
  removed?: string;
  /** why the last attempt failed */
  error?: string;
  /** verified clean by a separate audit session */
  verifiedAt?: number;
  /**
   * The break-glass request whose window was open on the account when it was
   * last looked at (preview, round, verification): nothing is deleted while a
   * window is open; it is tried again once the window has closed, or given up.
   */
  heldBy?: string;
}

/** How people read an account's state: given up (or held by an open window) only while it is not done. */
export function accountStatus(
  h: Pick<Hardening, 'givenUp'>,
  a: HardenAccount,
): HardenAccountState | 'given-up' | 'held' {
  if (a.state === 'done') return 'done';
  if (h.givenUp?.accounts.includes(a.accountId)) return 'given-up';
  if (a.heldBy) return 'held';
  return a.state;
}

/** A done account the verification audit at the end did not find clean: failed again, and no longer verified. */
export function failedVerification(row: HardenAccount, error: string): HardenAccount {
  const { verifiedAt: _, ...rest } = row;
  return { ...rest, state: 'failed', error };
}

/** A done account whose break-glass window opened since: held (pending) until it closes, no longer verified. */
export function heldAgain(row: HardenAccount, heldBy: string): HardenAccount {
  const { verifiedAt: _, ...rest } = row;
  return { ...rest, state: 'pending', heldBy };
}

/** Who approves under every rule (each list: one rule's approvers as user ids), never the requester. */
export function commonApprovers(lists: readonly (readonly string[])[], requesterId: string): string[] {
  const [first = [], ...rest] = lists;
  return [...new Set(first)].filter((u) => u !== requesterId && rest.every((list) => list.includes(u)));
}

/** Short digest of what approvers see (every account and what is on it, the rules); buttons carry it. */
export function hardeningHash(h: Hardening, accounts: readonly HardenAccount[]): string {
  const content = [
    h.id,
    h.requesterId,
    h.rules,
    h.preview,
    accounts.map((a) => [
      a.accountId,
      a.name,
      a.present ?? null,
      a.previewError ?? null,
      a.credentials ?? null,
      a.heldBy ?? null,
    ]),
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 16);
}

/** Accounts the message lists by name; every one is in the CSV in its thread. */
export const HARDEN_LISTED = 15;

/** Approvers can see every account: the message lists them all, or the CSV is in the thread. */
export function fullyListed(h: Pick<Hardening, 'accounts' | 'listSharedAt'>): boolean {
  return h.accounts <= HARDEN_LISTED || h.listSharedAt !== undefined;
}

/** Who decides, for refusals: every rule of its accounts. */
export function rulesLabel(h: Pick<Hardening, 'rules'>): string | undefined {
  if (!h.rules.length) return undefined;
  const names = h.rules.map((r) => r.rule).join(', ');
  return h.rules.length === 1 ? `rule ${names}` : `every rule of its accounts (${names})`;
}

/** The two-person rule, as for any request; approvals wait for the preview. */
export function decideHardeningApproval(
  h: Hardening,
  userId: string,
  context: { isApprover: boolean; contentHash: string; now: number },
): ApprovalDecision {
  if (h.state === 'pending' && h.preview !== 'ready')
    return {
      kind: 'refused',
      reason: 'the accounts are still being read; approve once the message lists them',
    };
  if (h.state === 'pending' && !fullyListed(h))
    return {
      kind: 'refused',
      reason: 'the list of every account (the CSV) is not in the thread yet; approve once it is',
    };
  const label = rulesLabel(h);
  return decideTwoPersonApproval(
    {
      pending: h.state === 'pending',
      stateLabel: h.state,
      requesterId: h.requesterId,
      approvals: h.approvals,
      contentHash: h.contentHash,
      ...(label ? { ruleLabel: label } : {}),
    },
    userId,
    context,
  );
}

/** Approvers deny; the requester withdraws; only while pending. */
export function decideHardeningDenial(
  h: Hardening,
  userId: string,
  context: { isApprover: boolean },
): { ok: true } | { ok: false; reason: string } {
  if (h.state !== 'pending') return { ok: false, reason: `this request is already ${h.state}` };
  if (!context.isApprover && userId !== h.requesterId)
    return { ok: false, reason: 'only approvers (or the requester, withdrawing) can deny it' };
  return { ok: true };
}

/**
 * An approver gives up on the accounts that failed so far, and those held by an
 * open window: they are reported as given up and the request can close. Never
 * the accounts still pending.
 */
export function decideGiveUp(
  h: Hardening,
  accounts: readonly HardenAccount[],
  context: { isApprover: boolean; seen: string },
): { ok: true; accounts: string[] } | { ok: false; reason: string } {
  if (!context.isApprover) {
    const label = rulesLabel(h);
    return { ok: false, reason: `only approvers can give up on accounts${label ? ` (under ${label})` : ''}` };
  }
  if (h.state !== 'running') return { ok: false, reason: `this request is ${h.state}, not running` };
  const fresh = toGiveUp(h, accounts);
  if (!fresh.length) return { ok: false, reason: 'no account has failed: nothing to give up on' };
  // Bound to what the approver saw: the button carries the digest of the accounts it named.
  if (context.seen !== giveUpDigest(fresh))
    return {
      ok: false,
      reason: `the failed accounts changed since that message (${fresh.length} now); look at the updated message and give up again`,
    };
  return { ok: true, accounts: [...(h.givenUp?.accounts ?? []), ...fresh].sort() };
}

/** What Give up would give up now: failed or held accounts not given up yet, in id order. */
export function toGiveUp(h: Pick<Hardening, 'givenUp'>, accounts: readonly HardenAccount[]): string[] {
  const already = new Set(h.givenUp?.accounts ?? []);
  return accounts
    .filter((a) => a.state !== 'done' && (a.state === 'failed' || a.heldBy) && !already.has(a.accountId))
    .map((a) => a.accountId)
    .sort();
}

/** Short digest of the accounts a Give up button names (its value carries it). */
export function giveUpDigest(accountIds: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(accountIds)).digest('base64url').slice(0, 16);
}

export interface HardeningCounts {
  total: number;
  pending: number;
  done: number;
  failed: number;
  givenUp: number;
  /** not deleted on: a break-glass window is open on it */
  held: number;
  /** at request time, by credential */
  withPassword: number;
  withAccessKeys: number;
  withCertificates: number;
  withMfa: number;
  clean: number;
  unreadable: number;
}

export function countHardening(
  h: Pick<Hardening, 'givenUp'>,
  accounts: readonly HardenAccount[],
): HardeningCounts {
  const has = (a: HardenAccount, kind: CredentialItem['kind']) => a.credentials?.some((c) => c.kind === kind);
  const status = accounts.map((a) => accountStatus(h, a));
  return {
    total: accounts.length,
    pending: status.filter((s) => s === 'pending').length,
    done: status.filter((s) => s === 'done').length,
    failed: status.filter((s) => s === 'failed').length,
    givenUp: status.filter((s) => s === 'given-up').length,
    held: status.filter((s) => s === 'held').length,
    withPassword: accounts.filter((a) => has(a, 'password')).length,
    withAccessKeys: accounts.filter((a) => has(a, 'access-key')).length,
    withCertificates: accounts.filter((a) => has(a, 'signing-certificate')).length,
    withMfa: accounts.filter((a) => has(a, 'mfa-device')).length,
    clean: accounts.filter((a) => a.credentials !== undefined && a.credentials.length === 0).length,
    unreadable: accounts.filter((a) => a.previewError !== undefined).length,
  };
}

/** The accounts a round works on: not done, not given up. */
export function unfinished(
  h: Pick<Hardening, 'givenUp'>,
  accounts: readonly HardenAccount[],
): HardenAccount[] {
  return accounts.filter((a) => {
    const s = accountStatus(h, a);
    return s === 'pending' || s === 'failed' || s === 'held';
  });
}

/** Failed accounts are tried again after this (doubling per round, capped at 30x the base). */
export function hardeningRetryDelayMs(rounds: number, baseMs: number): number {
  return baseMs * Math.min(30, 2 ** Math.max(0, rounds - 1));
}

/** Progress updates of the message at most this often (chat.update is Tier 3; ~1 message/s per channel). */
export const HARDEN_PROGRESS_EVERY_MS = 3_000;
/** The most accounts one request takes. */
export const MAX_HARDEN_ACCOUNTS = 2_000;
