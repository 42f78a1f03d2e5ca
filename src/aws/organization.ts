import {
  type Account,
  DescribeOrganizationCommand,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListDelegatedAdministrators,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { checkAccountId } from '../domain/aws-identifiers.js';
import { type Logger, silentLogger } from '../log.js';
import { AwsClients } from './clients.js';
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
/** How soon a protection lookup that failed is tried again (meanwhile the rest of the list applies). */
export const PROTECTION_RETRY_MS = 30_000;

/** Protected account id -> why it is protected, e.g. "the IAM delegated administrator". */
export type ProtectedAccounts = ReadonlyMap<string, string>;

export interface OrganizationDirectoryOptions {
  ttlMs?: number;
  now?: () => number;
  /** accounts never targeted (BREAKGLASS_PROTECTED_ACCOUNTS); from the settings when given AwsClients */
  protectedAccounts?: readonly string[];
  /** to protect the bot's own account (sts:GetCallerIdentity); from AwsClients when given them */
  sts?: STSClient;
  log?: Logger;
  /** told of every complete listing as it loads (first load and each refresh), e.g. to warm other caches */
  onAccounts?: (accounts: readonly OrgAccount[]) => void;
}

const CONFIGURED = 'listed in BREAKGLASS_PROTECTED_ACCOUNTS';
const OWN_ACCOUNT = "the account the bot's AWS credentials belong to";
const DELEGATED_ADMIN = 'the IAM delegated administrator';

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
    /** a shorter life for some values, e.g. a partial one */
    private readonly ttlOf: (value: T) => number = () => ttlMs,
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
        if (this.entry?.value !== value) return;
        this.good = v;
        this.entry.expires = this.now() + this.ttlOf(v);
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
 *
 * Protected accounts are never targets: the configured list, the bot's own
 * account and the IAM delegated administrator(s). The last two are looked up
 * lazily and cached; a failed lookup is logged and never fails a request.
 * Given AwsClients, the directory protects all three; given only an
 * OrganizationsClient, it protects the configured ones and the delegated admin.
 */
export class OrganizationDirectory {
  private readonly client: OrganizationsClient;
  private readonly accounts: Cached<OrgAccount[]>;
  private readonly organization: Cached<OrganizationInfo>;
  private readonly protection: Cached<{ accounts: ProtectedAccounts; complete: boolean }>;
  /** accounts seen in any listing, full or streamed, so target checks need not wait for the last page */
  private readonly seen = new Map<string, { account: OrgAccount; expires: number }>();
  private readonly configured: ReadonlySet<string>;
  private readonly sts: STSClient | undefined;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly onAccounts: ((accounts: readonly OrgAccount[]) => void) | undefined;

  constructor(source: AwsClients | OrganizationsClient, options: OrganizationDirectoryOptions = {}) {
    const clients = source instanceof AwsClients ? source : undefined;
    this.client = source instanceof AwsClients ? source.organizations : source;
    this.configured = new Set(options.protectedAccounts ?? clients?.settings.protectedAccounts ?? []);
    this.sts = options.sts ?? clients?.sts;
    this.log = options.log ?? silentLogger;
    this.ttlMs = options.ttlMs ?? DEFAULT_ACCOUNT_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
    this.onAccounts = options.onAccounts;
    this.accounts = new Cached(() => this.loadAccounts(), this.ttlMs, this.now);
    this.organization = new Cached(() => loadOrganization(this.client), this.ttlMs, this.now);
    this.protection = new Cached(
      () => this.loadProtection(),
      this.ttlMs,
      this.now,
      (p) => (p.complete ? this.ttlMs : Math.min(this.ttlMs, PROTECTION_RETRY_MS)),
    );
  }

  listAccounts(): Promise<OrgAccount[]> {
    return this.accounts.get();
  }

  describeOrganization(): Promise<OrganizationInfo> {
    return this.organization.get();
  }

  /**
   * Accounts root tasks never target, with the reason: the configured ones, the
   * bot's own account and the IAM delegated administrator(s) when known. Never
   * rejects: a failed lookup is logged, and tried again a little later.
   */
  async protectedAccounts(): Promise<ProtectedAccounts> {
    return (await this.protection.get()).accounts;
  }

  /** ACTIVE member accounts, the management account and protected accounts excluded: what root tasks may target. */
  async memberAccounts(): Promise<OrgAccount[]> {
    const [accounts, org, kept] = await Promise.all([
      this.listAccounts(),
      this.describeOrganization(),
      this.protectedAccounts(),
    ]);
    return accounts.filter((a) => isMember(a, org, kept));
  }

  /**
   * Member accounts page by page as Organizations returns them (20 a page), so an
   * org-wide run can start on the first page while the next ones load. A fresh
   * cache is served as one page; a complete listing refreshes the cache.
   */
  async *memberAccountPages(options: { inactive?: boolean } = {}): AsyncGenerator<OrgAccount[]> {
    const [org, kept] = await Promise.all([this.describeOrganization(), this.protectedAccounts()]);
    // `inactive`: SUSPENDED and closing members too (an org-wide report says why they were not audited).
    const wanted = (a: OrgAccount) =>
      isMember(a, org, kept) || (options.inactive === true && isMember({ ...a, state: 'ACTIVE' }, org, kept));
    if (this.accounts.fresh()) {
      yield (await this.listAccounts()).filter(wanted);
      return;
    }
    const all: OrgAccount[] = [];
    for await (const page of accountPages(this.client)) {
      this.remember(page);
      all.push(...page);
      yield page.filter(wanted);
    }
    this.accounts.set(all);
    this.listed(all);
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

  /** Refuse, with a typed error, anything that is not an ACTIVE, unprotected member account. */
  async assertTargetable(input: string): Promise<OrgAccount> {
    const checked = checkAccountId(input);
    if (!checked.ok) throw invalidInput(checked.reason);
    const id = checked.value;
    // The configured list needs no AWS call: refuse at once.
    if (this.configured.has(id)) throw protectedAccount(id, undefined, CONFIGURED);
    const [account, org, kept] = await Promise.all([
      this.findAccount(id),
      this.describeOrganization(),
      this.protectedAccounts(),
    ]);
    if (id === org.managementAccountId) {
      throw invalidInput(`${id} is the management account: root tasks can only target member accounts`);
    }
    const why = kept.get(id);
    if (why) throw protectedAccount(id, account, why);
    if (!account) throw invalidInput(`${id} is not an account of organization ${org.id}`);
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
    this.protection.clear();
    this.seen.clear();
  }

  private async loadAccounts(): Promise<OrgAccount[]> {
    const accounts: OrgAccount[] = [];
    for await (const page of accountPages(this.client)) accounts.push(...page);
    this.remember(accounts);
    this.listed(accounts);
    return accounts;
  }

  private listed(accounts: readonly OrgAccount[]): void {
    try {
      this.onAccounts?.(accounts);
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'onAccounts failed');
    }
  }

  /** Configured accounts, then the bot's own and the delegated admins; each lookup may fail alone. */
  private async loadProtection(): Promise<{ accounts: ProtectedAccounts; complete: boolean }> {
    const accounts = new Map<string, string>();
    for (const id of this.configured) accounts.set(id, CONFIGURED);
    const [own, delegated] = await Promise.all([
      this.lookup('sts:GetCallerIdentity', async () => {
        if (!this.sts) return [];
        const out = await this.sts.send(new GetCallerIdentityCommand({}));
        return out.Account ? [out.Account] : [];
      }),
      this.lookup('organizations:ListDelegatedAdministrators', async () => {
        const ids: string[] = [];
        const pages = paginateListDelegatedAdministrators(
          { client: this.client },
          { ServicePrincipal: 'iam.amazonaws.com' },
        );
        for await (const page of pages) {
          for (const admin of page.DelegatedAdministrators ?? []) if (admin.Id) ids.push(admin.Id);
        }
        return ids;
      }),
    ]);
    for (const id of own ?? []) if (!accounts.has(id)) accounts.set(id, OWN_ACCOUNT);
    for (const id of delegated ?? []) if (!accounts.has(id)) accounts.set(id, DELEGATED_ADMIN);
    return { accounts, complete: own !== undefined && delegated !== undefined };
  }

  /** Runs one protection lookup; a failure is logged and yields undefined, never an error. */
  private async lookup(action: string, run: () => Promise<string[]>): Promise<string[] | undefined> {
    try {
      return await run();
    } catch (error) {
      const failure = classifyAwsError(error, action);
      this.log.warn(
        { error: failure.toJSON() },
        'protected-account lookup failed: protecting the other known accounts, retrying later',
      );
      return undefined;
    }
  }

  private remember(accounts: OrgAccount[]): void {
    const expires = this.now() + this.ttlMs;
    for (const account of accounts) this.seen.set(account.id, { account, expires });
  }
}

function isMember(account: OrgAccount, org: OrganizationInfo, kept: ProtectedAccounts): boolean {
  return account.state === 'ACTIVE' && account.id !== org.managementAccountId && !kept.has(account.id);
}

function protectedAccount(id: string, account: OrgAccount | undefined, why: string): RootTaskError {
  const label = account && account.name !== id ? `${account.name} (${id})` : id;
  return invalidInput(`${label} is a protected account (${why}): root tasks never target it`);
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
