/**
 * An account's place in the organization: its OU, that OU's parent, and so on
 * up to the root (organizations:ListParents, one call per level). Approver
 * routing needs it for OU rules. Answers are cached per account for the TTL;
 * concurrent lookups of one account share the calls; failures are not cached.
 */
import { ListParentsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import { DEFAULT_ACCOUNT_CACHE_TTL_MS } from './organization.js';

/** Organizations nests OUs at most five levels under the root. */
const MAX_DEPTH = 8;

export class OrganizationParents {
  private readonly cache = new Map<string, { value: Promise<string[]>; expires: number }>();

  constructor(
    private readonly client: OrganizationsClient,
    private readonly options: { ttlMs?: number; now?: () => number } = {},
  ) {}

  /** The account's parents, nearest first: ["ou-…-team", "ou-…-prod", "r-…"]. */
  ancestors(accountId: string): Promise<string[]> {
    const now = (this.options.now ?? Date.now)();
    const hit = this.cache.get(accountId);
    if (hit && hit.expires > now) return hit.value;
    const value = this.load(accountId);
    this.cache.set(accountId, { value, expires: now + (this.options.ttlMs ?? DEFAULT_ACCOUNT_CACHE_TTL_MS) });
    value.catch(() => {
      if (this.cache.get(accountId)?.value === value) this.cache.delete(accountId);
    });
    return value;
  }

  private async load(accountId: string): Promise<string[]> {
    const chain: string[] = [];
    let child = accountId;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const out = await this.client.send(new ListParentsCommand({ ChildId: child }));
      const parent = out.Parents?.[0];
      if (!parent?.Id) break;
      chain.push(parent.Id);
      if (parent.Type === 'ROOT') break;
      child = parent.Id;
    }
    return chain;
  }
}
