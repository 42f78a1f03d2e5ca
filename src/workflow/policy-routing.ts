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
  ) {
    this.choices = offeredChoices(policy, defaults);
    this.everyone = everyone(policy, defaults);
  }

  /** The rule for this account; rejects when its OUs are needed and cannot be read. */
  async ruleFor(accountId: string): Promise<EffectiveRule> {
    const ancestors = needsAncestors(this.policy, accountId) ? await this.ancestors(accountId) : [];
    return effectiveRule(this.policy, this.defaults, accountId, ancestors);
  }
}
