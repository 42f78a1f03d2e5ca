/**
 * An account's place in the organization: its OU, that OU's parent, and so on
 * up to the root (organizations:ListParents, one call per level). Approver
 * routing needs it for OU rules.
 *
 * Each child's parent is cached for the TTL and shared: accounts in one OU read
 * that OU's parents once. Concurrent lookups share the call; failures are not
 * cached. Once expired, the last answer is still served for one more TTL while
 * a refresh runs (stale-while-revalidate, as the account list does), so a
 * submission never waits on Organizations when the cache was warmed (`warm`).
 *
 * Fails closed: a walk that does not reach a ROOT parent is an error, never a
 * shorter chain (a shorter chain would route an account to the default rule).
 */
import { ListParentsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import pLimit from 'p-limit';
import { DEFAULT_ACCOUNT_CACHE_TTL_MS } from './organization.js';

/** Organizations nests OUs at most five levels under the root. */
const MAX_DEPTH = 8;
/** ListParents pages to follow for one child before giving up (a child has one parent). */
const MAX_PAGES = 10;
/** ListParents calls at a time when warming the cache: Organizations throttles its API per account. */
const WARM_CONCURRENCY = 2;

interface Parent {
  id: string;
  root: boolean;
}

interface Entry {
  value: Promise<Parent>;
  expires: number;
  /** the last answer that loaded, served while a refresh runs, until `until` */
  good?: { value: Parent; until: number };
  refreshing?: boolean;
}

export class OrganizationParents {
  private readonly parents = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: OrganizationsClient,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_ACCOUNT_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The account's parents, nearest first: ["ou-…-team", "ou-…-prod", "r-…"]; rejects unless the root is reached. */
  async ancestors(accountId: string): Promise<string[]> {
    const chain: string[] = [];
    let child = accountId;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const parent = await this.parentOf(child);
      if (chain.includes(parent.id)) break;
      chain.push(parent.id);
      if (parent.root) return chain;
      child = parent.id;
    }
    throw new Error(
      `organizations:ListParents did not lead from ${accountId} to the organization root (${chain.join(' > ') || 'no parent'})`,
    );
  }

  /**
   * Reads the ancestors of these accounts into the cache, a few calls at a time,
   * so that routing a request later needs no AWS call. Never rejects: says how
   * many accounts could not be read.
   */
  async warm(accountIds: readonly string[]): Promise<{ failed: string[] }> {
    const limit = pLimit(WARM_CONCURRENCY);
    const failed: string[] = [];
    await Promise.all(
      accountIds.map((id) =>
        limit(() =>
          this.ancestors(id).then(
            () => undefined,
            () => {
              failed.push(id);
            },
          ),
        ),
      ),
    );
    return { failed };
  }

  private parentOf(child: string): Promise<Parent> {
    const now = this.now();
    const hit = this.parents.get(child);
    if (hit && hit.expires > now) return hit.value;
    if (hit?.good && hit.good.until > now) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        this.fetch(child, hit.good).catch(() => {});
      }
      return Promise.resolve(hit.good.value);
    }
    return this.fetch(child, undefined);
  }

  private fetch(child: string, stale: Entry['good']): Promise<Parent> {
    const value = this.load(child);
    if (!stale) this.parents.set(child, { value, expires: this.now() + this.ttlMs });
    value.then(
      (parent) => {
        const now = this.now();
        this.parents.set(child, {
          value: Promise.resolve(parent),
          expires: now + this.ttlMs,
          good: { value: parent, until: now + 2 * this.ttlMs },
        });
      },
      () => {
        // Keep serving the last answer within its bound; otherwise forget, so the next lookup asks again.
        if (stale) this.parents.set(child, { value: Promise.resolve(stale.value), expires: 0, good: stale });
        else if (this.parents.get(child)?.value === value) this.parents.delete(child);
      },
    );
    return value;
  }

  /**
   * The child's parent, following NextToken: Organizations' List operations can
   * answer a page with no results while more are available.
   */
  private async load(child: string): Promise<Parent> {
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.client.send(
        new ListParentsCommand({ ChildId: child, ...(token ? { NextToken: token } : {}) }),
      );
      const parent = out.Parents?.find((p) => p.Id);
      if (parent?.Id) return { id: parent.Id, root: parent.Type === 'ROOT' };
      token = out.NextToken;
      if (!token) break;
    }
    throw new Error(`organizations:ListParents returned no parent for ${child}`);
  }
}
