import {
  type Account,
  DescribeOrganizationCommand,
  type OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { checkAccountId } from '../domain/aws-identifiers.js';
import { classifyAwsError, invalidInput, RootTaskError } from './errors.js';
import { EvidenceLog } from './evidence.js';

export interface OrgAccount {
  id: string;
  name: string;
  email: string;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED ... */
  state: string;
}

export interface OrganizationInfo {
  id: string;
  managementAccountId: string;
  featureSet: string;
}

export const DEFAULT_ACCOUNT_CACHE_TTL_MS = 5 * 60_000;

/**
 * A value fetched at most once per TTL; concurrent callers share the request;
 * failures are not cached. Once expired, the last good value is still served
 * while a refresh runs in the background (stale-while-revalidate), so the
 * account typeahead never waits for 50 pages of ListAccounts after the first load.
 */
class Cached<T> {
  private entry: { value: Promise<T>; expires: number } | undefined;
  private good: T | undefined;
  private refreshing: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(): Promise<T> {
    if (this.entry && this.entry.expires > this.now()) return this.entry.value;
    if (this.good !== undefined) {
      this.refreshing ??= this.fetch().finally(() => {
        this.refreshing = undefined;
      });
      this.refreshing.catch(() => {});
      return Promise.resolve(this.good);
    }
    return this.fetch();
  }

  fresh(): boolean {
    return this.entry !== undefined && this.entry.expires > this.now();
  }

  set(value: T): void {
    this.good = value;
    this.entry = { value: Promise.resolve(value), expires: this.now() + this.ttlMs };
  }

  clear(): void {
    this.entry = undefined;
    this.good = undefined;
  }

  private fetch(): Promise<T> {
    const value = this.load();
    this.entry = { value, expires: this.now() + this.ttlMs };
    value.then(
      (v) => {
        if (this.entry?.value === value) this.good = v;
      },
      () => {
        if (this.entry?.value === value) this.entry = undefined;
      },
    );
    return value;
  }
}

/**
 * The organization's accounts, read with all pages and cached: the account
 * typeahead and every target check read this list, not Organizations directly.
 */
export class OrganizationDirectory {
  private readonly accounts: Cached<OrgAccount[]>;
  private readonly organization: Cached<OrganizationInfo>;
  /** accounts seen in any listing, full or streamed, so target checks need not wait for the last page */
  private readonly seen = new Map<string, { account: OrgAccount; expires: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: OrganizationsClient,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_ACCOUNT_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
    this.accounts = new Cached(() => this.loadAccounts(), this.ttlMs, this.now);
    this.organization = new Cached(() => loadOrganization(client), this.ttlMs, this.now);
  }

  listAccounts(): Promise<OrgAccount[]> {
    return this.accounts.get();
  }

  describeOrganization(): Promise<OrganizationInfo> {
    return this.organization.get();
  }

  /** ACTIVE member accounts, the management account excluded: what root tasks may target. */
  async memberAccounts(): Promise<OrgAccount[]> {
    const [accounts, org] = await Promise.all([this.listAccounts(), this.describeOrganization()]);
    return accounts.filter((a) => isMember(a, org));
  }

  /**
   * Member accounts page by page as Organizations returns them (20 a page), so an
   * org-wide run can start on the first page while the next ones load. A fresh
   * cache is served as one page; a complete listing refreshes the cache.
   */
  async *memberAccountPages(): AsyncGenerator<OrgAccount[]> {
    const org = await this.describeOrganization();
    if (this.accounts.fresh()) {
      yield (await this.listAccounts()).filter((a) => isMember(a, org));
      return;
    }
    const all: OrgAccount[] = [];
    for await (const page of accountPages(this.client)) {
      this.remember(page);
      all.push(...page);
      yield page.filter((a) => isMember(a, org));
    }
    this.accounts.set(all);
  }

  /** The account with this id, from a recent listing if there is one. */
  async findAccount(id: string): Promise<OrgAccount | undefined> {
    const hit = this.seen.get(id);
    if (hit && hit.expires > this.now()) return hit.account;
    return (await this.listAccounts()).find((a) => a.id === id);
  }

  /** Accounts whose name or id matches `query` (case-insensitive), for typeahead. */
  async search(query: string, limit = 100): Promise<OrgAccount[]> {
    const q = query.trim().toLowerCase();
    const members = await this.memberAccounts();
    const hits = q ? members.filter((a) => a.id.includes(q) || a.name.toLowerCase().includes(q)) : members;
    return hits.sort((a, b) => a.name.localeCompare(b.name)).slice(0, limit);
  }

  /** Refuse, with a typed error, anything that is not an ACTIVE member account. */
  async assertTargetable(input: string): Promise<OrgAccount> {
    const checked = checkAccountId(input);
    if (!checked.ok) throw invalidInput(checked.reason);
    const [account, org] = await Promise.all([this.findAccount(checked.value), this.describeOrganization()]);
    if (checked.value === org.managementAccountId) {
      throw invalidInput(
        `${checked.value} is the management account: root tasks can only target member accounts`,
      );
    }
    if (!account) throw invalidInput(`${checked.value} is not an account of organization ${org.id}`);
    if (account.state !== 'ACTIVE') {
      throw invalidInput(
        `${account.name} (${account.id}) is ${account.state}: only ACTIVE accounts can be targeted`,
      );
    }
    return account;
  }

  /** Forget cached data, e.g. after an account was added. */
  refresh(): void {
    this.accounts.clear();
    this.organization.clear();
    this.seen.clear();
  }

  private async loadAccounts(): Promise<OrgAccount[]> {
    const accounts: OrgAccount[] = [];
    for await (const page of accountPages(this.client)) accounts.push(...page);
    this.remember(accounts);
    return accounts;
  }

  private remember(accounts: OrgAccount[]): void {
    const expires = this.now() + this.ttlMs;
    for (const account of accounts) this.seen.set(account.id, { account, expires });
  }
}

function isMember(account: OrgAccount, org: OrganizationInfo): boolean {
  return account.state === 'ACTIVE' && account.id !== org.managementAccountId;
}

async function* accountPages(client: OrganizationsClient): AsyncGenerator<OrgAccount[]> {
  try {
    for await (const page of paginateListAccounts({ client }, {})) {
      yield (page.Accounts ?? []).map(toOrgAccount);
    }
  } catch (error) {
    throw classifyAwsError(error, 'organizations:ListAccounts');
  }
}

async function loadOrganization(client: OrganizationsClient): Promise<OrganizationInfo> {
  const out = await new EvidenceLog().call('organizations:DescribeOrganization', () =>
    client.send(new DescribeOrganizationCommand({})),
  );
  const o = out.Organization;
  if (!o?.Id || !o.MasterAccountId)
    throw new RootTaskError('unexpected', 'DescribeOrganization returned no organization');
  return { id: o.Id, managementAccountId: o.MasterAccountId, featureSet: o.FeatureSet ?? 'UNKNOWN' };
}

function toOrgAccount(a: Account): OrgAccount {
  return {
    id: a.Id ?? '',
    name: a.Name ?? a.Id ?? '',
    email: a.Email ?? '',
    // `State` replaces the deprecated `Status`; older SDK answers only have `Status`.
    state: a.State ?? a.Status ?? 'UNKNOWN',
  };
}
