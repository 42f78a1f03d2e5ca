/** Schedule arithmetic for requests and windows. Times are epoch milliseconds. Pure. */

export interface SchedulePolicy {
  pendingTtlSeconds: number;
  remindBeforeSeconds: number;
}

/** Unapproved requests expire after the TTL, and nudge approvers once halfway there. */
export function pendingSchedule(
  createdAt: number,
  policy: SchedulePolicy,
): { nudgeAt: number; expireAt: number } {
  const ttl = policy.pendingTtlSeconds * 1000;
  return { nudgeAt: createdAt + Math.floor(ttl / 2), expireAt: createdAt + ttl };
}

/**
 * The reminder goes out `remindBefore` ahead of the window's end; for a window
 * shorter than that, halfway through it, so the requester still has time to act.
 */
export function reminderAt(grantedAt: number, windowEndsAt: number, policy: SchedulePolicy): number {
  const before = windowEndsAt - policy.remindBeforeSeconds * 1000;
  return before > grantedAt ? before : grantedAt + Math.floor((windowEndsAt - grantedAt) / 2);
}

export const CLEANUP_ALERT_AFTER_FAILURES = 3;

/**
 * Cleanup retries back off exponentially from `baseMs` (30 s, 1 min, 2 min ...)
 * up to 30 times the base, and never stop: a root credential must not be left behind.
 */
export function cleanupRetryDelayMs(failures: number, baseMs = 30_000): number {
  return Math.min(30 * baseMs, baseMs * 2 ** Math.max(0, failures - 1));
}
