/**
 * Who may approve and who may request, from configured user ids (U…) and user
 * groups (S…). Group members come from usergroups.users.list, a low-tier method,
 * so they are cached; a failed lookup is not cached and counts as "not a member".
 * After the TTL the last good answer is served while a fresh one loads (for at
 * most one more TTL), so a modal submission or a click never waits on Slack.
 * Guests (single- and multi-channel) may neither request nor approve; whether a
 * user is a guest comes from users.info, cached too, and an unknown answer counts
 * as "guest": access to root fails closed.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import type { Authorizer } from '../workflow/ports.js';
import { toDeliveryError } from './delivery-errors.js';

const CACHE_TTL_MS = 5 * 60_000;

/** A full member of the workspace (users.info): not a guest, not deactivated, not a bot. */
export function mayActFor(
  user:
    | { is_restricted?: boolean; is_ultra_restricted?: boolean; deleted?: boolean; is_bot?: boolean }
    | undefined,
): boolean {
  return Boolean(user && !user.is_restricted && !user.is_ultra_restricted && !user.deleted && !user.is_bot);
}

interface Cached<T> {
  value: Promise<T>;
  expires: number;
  /** the last answer that loaded, served while a refresh runs */
  good?: { value: T; until: number };
  refreshing?: boolean;
}

/** How long a check that hit an unanswered lookup is remembered, for the reply to the click that made it. */
const UNSURE_MS = 60_000;

export class SlackPeople implements Authorizer {
  private readonly groups = new Map<string, Cached<Set<string>>>();
  private readonly members = new Map<string, Cached<boolean>>();
  /** lookups (group or user id) Slack did not answer, with no earlier answer to serve: when */
  private readonly unanswered = new Map<string, number>();
  /** users whose last check was refused on an unanswered lookup: until when to say so */
  private readonly unsure = new Map<string, number>();

  constructor(
    private readonly client: WebClient,
    private readonly approvers: readonly string[],
    private readonly requesters: readonly string[],
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async isApprover(userId: string, approvers: readonly string[] = this.approvers): Promise<boolean> {
    const yes = (await this.includes(approvers, userId)) && (await this.isFullMember(userId));
    return this.noted(userId, approvers, yes);
  }

  async mayRequest(userId: string, requesters: readonly string[] = this.requesters): Promise<boolean> {
    const listed = requesters.length === 0 || (await this.includes(requesters, userId));
    const yes = listed && (await this.isFullMember(userId));
    return this.noted(userId, requesters, yes);
  }

  /**
   * Whether `userId`'s last refusal (within a minute) came from a lookup Slack did
   * not answer rather than from Slack's answer: the reply then says to try again.
   */
  couldNotCheck(userId: string): boolean {
    return (this.unsure.get(userId) ?? 0) > this.now();
  }

  private noted(userId: string, ids: readonly string[], yes: boolean): boolean {
    const since = this.now() - UNSURE_MS;
    const unanswered = [userId, ...ids].some((key) => (this.unanswered.get(key) ?? -1) > since);
    // A later "no" with every lookup answered leaves the mark: `isApprover() || mayRequest()` asks twice.
    if (yes) this.unsure.delete(userId);
    else if (unanswered) this.unsure.set(userId, this.now() + UNSURE_MS);
    return yes;
  }

  /** Full members only (as isApprover): guests, deactivated users and bots approve nothing. */
  async people(ids: readonly string[]): Promise<string[]> {
    const users = new Set(ids.filter((id) => !id.startsWith('S')));
    for (const group of ids.filter((id) => id.startsWith('S'))) {
      for (const user of await this.groupMembers(group)) users.add(user);
    }
    const full = await Promise.all(
      [...users].map(async (user) => ((await this.isFullMember(user)) ? user : '')),
    );
    return full.filter(Boolean);
  }

  private async includes(ids: readonly string[], userId: string): Promise<boolean> {
    if (ids.includes(userId)) return true;
    for (const group of ids.filter((id) => id.startsWith('S'))) {
      if ((await this.groupMembers(group)).has(userId)) return true;
    }
    return false;
  }

  private groupMembers(group: string): Promise<Set<string>> {
    return this.cached(
      this.groups,
      group,
      async () => {
        const res = await this.client.usergroups.users.list({ usergroup: group });
        return new Set(res.users ?? []);
      },
      new Set<string>(),
    );
  }

  /** Not a guest, not deactivated, not a bot. */
  private isFullMember(userId: string): Promise<boolean> {
    return this.cached(
      this.members,
      userId,
      async () => {
        const { user } = await this.client.users.info({ user: userId });
        return mayActFor(user);
      },
      false,
    );
  }

  private cached<T>(
    cache: Map<string, Cached<T>>,
    key: string,
    load: () => Promise<T>,
    onError: T,
  ): Promise<T> {
    const hit = cache.get(key);
    const now = this.now();
    if (hit && hit.expires > now) return hit.value;
    if (hit?.good && hit.good.until > now) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        void this.fetch(cache, key, load, onError, hit.good);
      }
      return Promise.resolve(hit.good.value);
    }
    return this.fetch(cache, key, load, onError, undefined);
  }

  private fetch<T>(
    cache: Map<string, Cached<T>>,
    key: string,
    load: () => Promise<T>,
    onError: T,
    stale: Cached<T>['good'],
  ): Promise<T> {
    const loaded = load().then(
      (value) => {
        const now = this.now();
        this.unanswered.delete(key);
        cache.set(key, {
          value: Promise.resolve(value),
          expires: now + CACHE_TTL_MS,
          good: { value, until: now + 2 * CACHE_TTL_MS },
        });
        return value;
      },
      (error: unknown) => {
        this.log.warn(
          { key, err: error instanceof Error ? error.message : String(error) },
          'Slack lookup failed',
        );
        // Keep serving the last good answer within its bound; otherwise forget, so the next call asks again.
        if (stale) cache.set(key, { value: Promise.resolve(stale.value), expires: 0, good: stale });
        else {
          cache.delete(key);
          // An answer such as no_such_subteam is Slack's word; a timeout, a 429 or an outage is not.
          if (toDeliveryError(error).failure !== 'permanent') this.unanswered.set(key, this.now());
        }
        return onError;
      },
    );
    if (!stale) cache.set(key, { value: loaded, expires: this.now() + CACHE_TTL_MS });
    return loaded;
  }
}
