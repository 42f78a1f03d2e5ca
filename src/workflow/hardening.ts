/**
 * Bulk hardening: "delete root credentials from N accounts" as one request;
 * this file is its request side, hardening-jobs.ts its jobs.
 * Started from `/breakglass harden`, the org-wide audit's summary and drift
 * alerts' Clean up through `startHardening` (each deduplicated by the command's
 * or the click's identity). Each account's credentials are read first (the
 * preview, in the bulk lane; an account with an open break-glass window is
 * shown held); two approvers (never the requester; approvers under every rule
 * of its accounts) approve what they saw, once the CSV of every account is in
 * the thread; then a durable job deletes account by account in the bulk lane
 * (never on an account whose window is open), storing each account's result as
 * it lands (a restart resumes only the unfinished ones), retries the failed and
 * held ones with back-off, runs a verification audit at the end and closes only
 * when every account is verified clean or an approver gave the failed and held
 * ones up (bound to those the message showed). Every notice goes through the outbox.
 */
import { randomBytes } from 'node:crypto';
import type { DeletionResult, RootCredentialAudit } from '../aws/root-task-results.js';
import {
  commonApprovers,
  decideGiveUp,
  decideHardeningApproval,
  decideHardeningDenial,
  type HardenAccount,
  type Hardening,
  type HardeningRule,
  MAX_HARDEN_ACCOUNTS,
} from '../domain/harden.js';
import type { Delivery } from '../domain/notice.js';
import type { Reply, WorkflowCore } from './core.js';
import { ACTOR, type Change, mutateHardening, UPDATE } from './hardening-change.js';

const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** Accounts named per rule when a request must be split by rule (the rest are counted). */
const LISTED_PER_RULE = 20;

/** Root tasks in the bulk lane (their own concurrency budget, backing off first under throttling). */
export interface BulkRootTasks {
  audit(accountId: string): Promise<RootCredentialAudit>;
  /**
   * undefined: nothing was done, `signal` was aborted before its turn came (a
   * shutdown) or `mayStart`, asked when its turn came, said no (an open window).
   * `mayStart` is asked again right before the password is deleted: no keeps it.
   */
  delete(
    accountId: string,
    signal?: AbortSignal,
    mayStart?: () => Promise<boolean>,
  ): Promise<DeletionResult | undefined>;
}

/** Which accounts: given ones, those the last org-wide audit found with credentials outside a window, or one audit's. */
export type HardenTarget = { accounts: string[] } | { allPresent: true } | { auditId: string };

export type StartHardening =
  | { ok: true; id: string; accounts: number; text: string }
  | { ok: false; text: string };

export function newHardeningId(): string {
  return `BH-${[...randomBytes(6)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}

export function hardeningCsvFile(h: Hardening, final: boolean): Delivery {
  return {
    to: 'file',
    file: {
      source: 'harden-csv',
      filename: `${final ? 'hardened' : 'to-harden'}-${h.id}.csv`,
      title: final ? `Bulk hardening ${h.id}: result per account` : `Bulk hardening ${h.id}: every account`,
    },
  };
}

/** The CSV of every account queued with the preview: approvals wait for it (see `fullyListed`). */
export function isHardeningListFile(d: Delivery): boolean {
  return d.to === 'file' && d.file.source === 'harden-csv' && d.file.filename.startsWith('to-harden-');
}

export class Hardenings {
  constructor(private readonly core: WorkflowCore) {}

  private get deps() {
    return this.core.deps;
  }

  /** The one way in (command, audit summary button, drift alerts): a request for two approvals. */
  async start(
    userId: string,
    target: HardenTarget,
    source = 'command',
    /** the command's or the click's identity: the same one again (a redelivery) requests nothing more */
    dedupeKey?: string,
  ): Promise<StartHardening> {
    if (!(await this.deps.auth.mayRequest(userId)))
      return {
        ok: false,
        text: 'You may not request break-glass work: only people on the requesters list may.',
      };
    const ids = await this.resolve(target);
    if (!ids.ok) return ids;
    const unique = [...new Set(ids.accounts)].sort();
    if (!unique.length) return { ok: false, text: 'No account to harden.' };
    if (unique.length > MAX_HARDEN_ACCOUNTS)
      return {
        ok: false,
        text: `At most ${MAX_HARDEN_ACCOUNTS} accounts per request (${unique.length} given).`,
      };
    const refused: string[] = [];
    const rows: HardenAccount[] = [];
    for (const accountId of unique) {
      const t = await this.deps.accounts.targetable(accountId);
      if (t.ok) rows.push({ accountId, name: t.account.name, state: 'pending', attempts: 0 });
      else refused.push(`${accountId}: ${t.reason}`);
    }
    if (refused.length)
      return {
        ok: false,
        text: `Nothing was requested: ${refused.length} account(s) cannot be targeted (${refused.slice(0, 5).join('; ')}${refused.length > 5 ? '; …' : ''}).`,
      };
    const rules = await this.rulesOf(userId, unique);
    if ('refuse' in rules) return { ok: false, text: rules.refuse };
    const unapprovable = await this.withoutTwoApprovers(userId, rules.rules, rules.accountsByRule);
    if (unapprovable) return { ok: false, text: unapprovable };
    const now = this.core.now();
    if (dedupeKey && !(await this.store.firstTime(`harden:${dedupeKey}`, now)))
      return { ok: false, text: 'Already requested: Slack sent this twice. See the approvals channel.' };
    const hardening: Hardening = {
      id: newHardeningId(),
      requesterId: userId,
      createdAt: now,
      state: 'pending',
      accounts: rows.length,
      source,
      rules: rules.rules,
      preview: 'loading',
      approvals: [],
      contentHash: '',
      rounds: 0,
    };
    await this.store.createHardening(hardening, rows, {
      schedule: [
        { kind: 'harden-preview', dueAt: now },
        { kind: 'harden-expire', dueAt: now + this.deps.settings.pendingTtlSeconds * 1000 },
      ],
      notify: [{ to: 'harden-post' }],
    });
    this.deps.wake?.();
    this.deps.wakeOutbox?.();
    await this.core.audit(hardening.id, userId, 'bulk hardening requested', {
      accounts: unique,
      source,
      rules: rules.rules.map((r) => r.rule),
    });
    return {
      ok: true,
      id: hardening.id,
      accounts: rows.length,
      text: `Requested deletion of root credentials from ${rows.length} account(s) (${hardening.id}). The approvals channel lists each account with what is present; two approvers must approve.`,
    };
  }

  private get store() {
    return this.deps.store;
  }

  private mutate<T>(id: string, decide: (h: Hardening) => Change<T> | Promise<Change<T>>) {
    return mutateHardening(this.core, id, decide);
  }

  private async resolve(
    target: HardenTarget,
  ): Promise<{ ok: true; accounts: string[] } | { ok: false; text: string }> {
    if ('accounts' in target) return { ok: true, accounts: target.accounts };
    const run =
      'auditId' in target ? await this.store.getOrgAudit(target.auditId) : await this.store.latestOrgAudit();
    if (run?.state !== 'done')
      return {
        ok: false,
        text: 'No finished org-wide audit to harden from: run `/breakglass audit all` first.',
      };
    const rows = await this.store.orgAuditRows(run.id);
    const present = rows.filter((r) => r.status === 'present' && !r.openWindow).map((r) => r.accountId);
    if (!present.length)
      return { ok: false, text: `The org-wide audit ${run.id} found no root credentials outside a window.` };
    return { ok: true, accounts: present };
  }

  /**
   * The rule of every account. The requester must be allowed by each, each must
   * offer the deletion; approvers must then be approvers under every one of them.
   */
  private async rulesOf(
    userId: string,
    accountIds: string[],
  ): Promise<{ rules: HardeningRule[]; accountsByRule: Map<string, string[]> } | { refuse: string }> {
    const routing = this.deps.routing;
    const accountsByRule = new Map<string, string[]>();
    if (!routing) return { rules: [], accountsByRule };
    const byName = new Map<string, HardeningRule>();
    for (const accountId of accountIds) {
      let rule: Awaited<ReturnType<typeof routing.ruleFor>>;
      try {
        rule = await routing.ruleFor(accountId);
      } catch {
        return {
          refuse: `Could not read the OU of ${accountId} from AWS Organizations, so its approvers are unknown. Try again in a moment.`,
        };
      }
      accountsByRule.set(rule.name, [...(accountsByRule.get(rule.name) ?? []), accountId]);
      if (byName.has(rule.name)) continue;
      if (!(await this.deps.auth.mayRequest(userId, rule.requesters)))
        return { refuse: `Rule "${rule.name}" (account ${accountId}) does not let you request.` };
      if (!rule.tasks.includes('delete-credentials'))
        return {
          refuse: `Rule "${rule.name}" (account ${accountId}) does not offer deleting root credentials.`,
        };
      byName.set(rule.name, { rule: rule.name, approvers: rule.approvers });
    }
    return { rules: [...byName.values()].sort((a, b) => a.rule.localeCompare(b.rule)), accountsByRule };
  }

  /**
   * Accounts under several rules need two approvers (not the requester) under
   * every one of them: refused up front, with the split that works, rather than
   * left to expire with every Approve refused.
   */
  private async withoutTwoApprovers(
    userId: string,
    rules: readonly HardeningRule[],
    accountsByRule: ReadonlyMap<string, string[]>,
  ): Promise<string | undefined> {
    const people = this.deps.auth.people?.bind(this.deps.auth);
    if (rules.length < 2 || !people) return undefined;
    const lists = await Promise.all(rules.map((r) => people(r.approvers)));
    if (commonApprovers(lists, userId).length >= 2) return undefined;
    const split = rules
      .map((r) => {
        const ids = accountsByRule.get(r.rule) ?? [];
        const more = ids.length > LISTED_PER_RULE ? ` (+${ids.length - LISTED_PER_RULE} more)` : '';
        return `${r.rule}: ${ids.slice(0, LISTED_PER_RULE).join(' ')}${more}`;
      })
      .join('; ');
    return `Nothing was requested: no two people besides you approve under every rule of these accounts (${rules.map((r) => r.rule).join(', ')}). Ask once per rule with \`/breakglass harden <accounts>\`: ${split}.`;
  }

  /** An approver of this hardening: under every rule of its accounts (no policy file: the configured approvers). */
  async approves(h: Hardening, userId: string): Promise<boolean> {
    if (!h.rules.length) return this.deps.auth.isApprover(userId);
    for (const rule of h.rules) if (!(await this.deps.auth.isApprover(userId, rule.approvers))) return false;
    return true;
  }

  async approve(id: string, userId: string, seenHash: string): Promise<Reply> {
    const stored = await this.store.getHardening(id);
    if (!stored) return { ok: false, text: `There is no request ${id}.` };
    const isApprover = await this.approves(stored.hardening, userId);
    const done = await this.mutate<'recorded' | 'started' | 'duplicate'>(id, (h) => {
      const d = decideHardeningApproval(h, userId, {
        isApprover,
        contentHash: seenHash,
        now: this.core.now(),
      });
      if (d.kind === 'refused') return { refuse: d.reason };
      if (d.kind === 'duplicate') return { unchanged: 'duplicate' };
      const now = this.core.now();
      if (!d.complete)
        return { next: { ...h, approvals: d.approvals }, effects: { notify: [UPDATE] }, value: 'recorded' };
      return {
        next: { ...h, approvals: d.approvals, state: 'running', startedAt: now },
        effects: {
          cancel: ['harden-expire'],
          schedule: [{ kind: 'harden-run', dueAt: now }],
          notify: [UPDATE],
        },
        value: 'started',
      };
    });
    if (!done.ok) return { ok: false, text: `Not approved: ${done.reason}.` };
    if (done.value === 'duplicate') return { ok: true, text: 'You have already approved this request.' };
    await this.core.audit(id, userId, 'approved', { contentHash: seenHash });
    if (done.value === 'recorded') return { ok: true, text: 'Approved. One more approver is needed.' };
    await this.core.audit(id, ACTOR, 'bulk hardening started', { accounts: done.hardening.accounts });
    return {
      ok: true,
      text: `Approved. Deleting root credentials from ${done.hardening.accounts} account(s) now.`,
    };
  }

  async deny(id: string, userId: string): Promise<Reply> {
    const stored = await this.store.getHardening(id);
    if (!stored) return { ok: false, text: `There is no request ${id}.` };
    const isApprover = await this.approves(stored.hardening, userId);
    const done = await this.mutate(id, (h) => {
      const d = decideHardeningDenial(h, userId, { isApprover });
      if (!d.ok) return { refuse: d.reason };
      return {
        next: { ...h, state: 'denied' as const, denial: { userId, at: this.core.now() } },
        effects: { cancel: ['harden-preview', 'harden-expire'], notify: [UPDATE] },
        value: true,
      };
    });
    if (!done.ok) return { ok: false, text: `Not denied: ${done.reason}.` };
    const withdrawn = userId === stored.hardening.requesterId;
    await this.core.audit(id, userId, withdrawn ? 'withdrawn' : 'denied');
    return { ok: true, text: withdrawn ? 'Withdrawn.' : 'Denied.' };
  }

  /** An approver gives up on the accounts that failed: reported as given up; the request may close. */
  async giveUp(id: string, userId: string, seen: string): Promise<Reply> {
    const stored = await this.store.getHardening(id);
    if (!stored) return { ok: false, text: `There is no request ${id}.` };
    const isApprover = await this.approves(stored.hardening, userId);
    const done = await this.mutate<string[]>(id, async (h) => {
      const d = decideGiveUp(h, await this.store.hardenAccounts(id), { isApprover, seen });
      if (!d.ok) return { refuse: d.reason };
      const now = this.core.now();
      return {
        next: { ...h, givenUp: { userId, at: now, accounts: d.accounts } },
        // Never a schedule here: rescheduling would release a round that is running, and a
        // second worker would delete on the same accounts at once. The run job closes the
        // request once nothing is left to do (a running round reads the request again at its end).
        effects: { notify: [UPDATE] },
        value: d.accounts,
      };
    });
    if (!done.ok) return { ok: false, text: `Nothing given up: ${done.reason}.` };
    // Waiting for its next retry: brought forward, to close now (a claimed job is left alone).
    if (await this.store.expediteJob({ requestId: id, kind: 'harden-run', dueAt: this.core.now() }))
      this.deps.wake?.();
    await this.core.audit(id, userId, 'gave up on failed accounts', { accounts: done.value });
    return {
      ok: true,
      text: `Gave up on ${done.value.length} account(s); their root credentials stay as they are.`,
    };
  }

  /** The outbox delivered the CSV of every account: approvers can now see them all, and may approve. */
  async listShared(id: string): Promise<void> {
    const done = await this.mutate(id, (h) =>
      h.state === 'pending' && h.listSharedAt === undefined
        ? { next: { ...h, listSharedAt: this.core.now() }, effects: { notify: [UPDATE] }, value: true }
        : { unchanged: false },
    );
    if (!done.ok) throw new Error(`could not record the shared list of ${id}: ${done.reason}`);
  }

  /** Slack refused its message for good: a pending hardening nobody can see is cancelled, never left to expire. */
  async notShown(id: string, slackError: string): Promise<void> {
    const done = await this.mutate(id, (h) =>
      h.state === 'pending'
        ? {
            next: {
              ...h,
              state: 'cancelled' as const,
              cancelReason: `Slack refused to show it in the approvals channel (${slackError})`,
            },
            effects: {
              cancel: ['harden-preview', 'harden-expire'],
              notify: [{ to: 'harden-dm', userId: h.requesterId, slackError }],
            },
            value: true,
          }
        : { unchanged: false },
    );
    if (done.ok && done.changed) await this.core.audit(id, 'outbox', 'cancelled: not shown', { slackError });
  }
}

/** Starts a bulk-hardening request for given accounts (the command, the audit summary's button, drift alerts). */
export function startHardening(
  hardenings: Hardenings,
  userId: string,
  target: HardenTarget,
  source?: string,
  dedupeKey?: string,
): Promise<StartHardening> {
  return hardenings.start(userId, target, source, dedupeKey);
}

/** A click's identity: the clicker and Slack's timestamp of that click (the same in a redelivery). */
export function clickKey(userId: string, actionTs: string | undefined): string | undefined {
  return actionTs ? `click:${userId}:${actionTs}` : undefined;
}
