/**
 * A sliding-window rate limit: at most `limit` uses in any `windowMs`, per key
 * (a Slack user id). The decision is pure; RateLimiter keeps the uses in memory
 * (a restart forgets them, which is fine for a limit on read-only lookups).
 */

export interface RateRule {
  limit: number;
  windowMs: number;
}

export type RateDecision =
  /** allowed; `uses` are the recent uses including this one */
  | { ok: true; uses: number[] }
  /** refused (not counted as a use); allowed again from `retryAt` (epoch ms) */
  | { ok: false; uses: number[]; retryAt: number };

/** `uses`: earlier allowed uses, oldest first (epoch ms). A use counts until `windowMs` after it. */
export function decideRate(uses: readonly number[], now: number, rule: RateRule): RateDecision {
  const recent = uses.filter((at) => at > now - rule.windowMs);
  if (recent.length < rule.limit) return { ok: true, uses: [...recent, now] };
  // The oldest use that keeps the count at the limit must age out first.
  const blocking = recent[recent.length - rule.limit] ?? now;
  return { ok: false, uses: recent, retryAt: blocking + rule.windowMs };
}

export class RateLimiter {
  private readonly uses = new Map<string, number[]>();

  constructor(
    readonly rule: RateRule,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a use of `key` if the rule allows it. */
  take(key: string): { ok: true } | { ok: false; retryAt: number } {
    const decision = decideRate(this.uses.get(key) ?? [], this.now(), this.rule);
    this.uses.set(key, decision.uses);
    return decision.ok ? { ok: true } : { ok: false, retryAt: decision.retryAt };
  }
}
