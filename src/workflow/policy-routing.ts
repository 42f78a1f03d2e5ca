/**
 * Approver routing at run time: the checked policy file, the default rule from
 * the environment, and where to find an account's OUs. The matching itself is
 * pure (src/domain/policy.ts); this only fetches the OUs when a rule needs them.
 */
import {
  type DefaultRule,
  type EffectiveRule,
  effectiveRule,
  everyone,
  needsAncestors,
  offeredChoices,
  type Policy,
} from '../domain/policy.js';
import type { TaskKind } from '../domain/request.js';

/**
 * How long a submission waits for an account's OUs when they are not cached:
 * the modal must be answered within Slack's 3 s. The cache is warmed with the
 * account list, so this only bites when Organizations is slow or the account new.
 */
export const ROUTING_LOOKUP_TIMEOUT_MS = 1_500;

/** The account's OUs were not known in time; the lookup goes on and fills the cache. */
export class RoutingTimeout extends Error {
  override readonly name = 'RoutingTimeout';
}

export class PolicyRouting {
  /** what the request modal offers before an account is chosen */
  readonly choices: { durationsSeconds: number[]; tasks: TaskKind[] };
  /** everyone who approves, or may request, under some rule (for what they may see and open) */
  readonly everyone: { approvers: string[]; requesters: string[] };

  constructor(
    readonly policy: Policy,
    readonly defaults: DefaultRule,
    /** the account's parents, nearest first, up to the root */
    private readonly ancestors: (accountId: string) => Promise<string[]>,
    private readonly lookupTimeoutMs = ROUTING_LOOKUP_TIMEOUT_MS,
  ) {
    this.choices = offeredChoices(policy, defaults);
    this.everyone = everyone(policy, defaults);
  }

  /**
   * The rule for this account; rejects when its OUs are needed and cannot be
   * read, or are not known within the lookup timeout (RoutingTimeout).
   */
  async ruleFor(accountId: string): Promise<EffectiveRule> {
    const ancestors = needsAncestors(this.policy, accountId)
      ? await within(this.ancestors(accountId), this.lookupTimeoutMs, accountId)
      : [];
    return effectiveRule(this.policy, this.defaults, accountId, ancestors);
  }

  /** The accounts whose rule depends on their OUs: what is worth warming. */
  needsOus(accountId: string): boolean {
    return needsAncestors(this.policy, accountId);
  }
}

async function within<T>(lookup: Promise<T>, ms: number, accountId: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RoutingTimeout(`the OUs of ${accountId} were not known within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([lookup, late]);
  } finally {
    clearTimeout(timer);
  }
}
