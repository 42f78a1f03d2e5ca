import type { FakeAccount } from './model.js';
import { AwsFault, accessDenied, type FakeRequest, stringParam } from './protocol.js';
import type { FakeAwsState } from './state.js';

const PAGE_SIZE = 20;
/**
 * Organizations pages ListAWSServiceAccessForOrganization at its own discretion
 * (NextToken even below MaxResults); a small page makes callers read them all.
 */
export const SERVICE_ACCESS_PAGE_SIZE = 2;

/** One page of `all` from the request's NextToken, at most `pageSize` (or MaxResults) items. */
function paged<T>(req: FakeRequest, all: T[], pageSize: number): { page: T[]; next: string | undefined } {
  const start = Number(req.json.NextToken ?? 0);
  const size = Math.min(Number(req.json.MaxResults ?? pageSize), pageSize);
  const next = start + size < all.length ? String(start + size) : undefined;
  return { page: all.slice(start, start + size), next };
}

export function handleOrganizations(state: FakeAwsState, req: FakeRequest): unknown {
  if (req.principal.kind === 'root') throw accessDenied(req);
  const { org } = state;
  const isManagement = org.caller.accountId === org.managementAccountId;
  switch (req.action) {
    case 'DescribeOrganization':
      return {
        Organization: {
          Id: org.id,
          Arn: `arn:aws:organizations::${org.managementAccountId}:organization/${org.id}`,
          FeatureSet: org.featureSet,
          MasterAccountId: org.managementAccountId,
          MasterAccountEmail: state.accounts.get(org.managementAccountId)?.email ?? 'management@example.com',
        },
      };
    case 'ListAccounts': {
      const { page, next } = paged(req, [...state.accounts.values()], PAGE_SIZE);
      return { Accounts: page.map((a) => accountJson(state, a)), ...(next ? { NextToken: next } : {}) };
    }
    case 'DescribeAccount': {
      const account = state.accounts.get(stringParam(req, 'AccountId'));
      if (!account)
        throw new AwsFault('AccountNotFoundException', "You specified an account that doesn't exist.");
      return { Account: accountJson(state, account) };
    }
    case 'ListDelegatedAdministrators': {
      if (!isManagement && !org.delegatedAdministrators.includes(org.caller.accountId))
        throw accessDenied(req);
      const forIam =
        req.json.ServicePrincipal === undefined || req.json.ServicePrincipal === 'iam.amazonaws.com';
      const { page, next } = paged(req, forIam ? org.delegatedAdministrators : [], PAGE_SIZE);
      return {
        DelegatedAdministrators: page.map((id) => ({
          ...accountJson(state, state.accounts.get(id)),
          DelegationEnabledDate: 1_700_000_000,
        })),
        ...(next ? { NextToken: next } : {}),
      };
    }
    case 'ListParents': {
      // The management account or a delegated administrator, as for the other reads.
      if (!isManagement && !org.delegatedAdministrators.includes(org.caller.accountId))
        throw accessDenied(req);
      const child = stringParam(req, 'ChildId');
      const known = state.accounts.has(child) || organizationalUnits(state).has(child);
      if (!known)
        throw new AwsFault(
          'ChildNotFoundException',
          "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
        );
      const token = req.json.NextToken;
      const pageToken = `parents-of-${child}`;
      if (token !== undefined && token !== pageToken) throw invalidNextToken();
      if (state.options.listParentsEmptyFirstPage && token === undefined) {
        return { Parents: [], NextToken: pageToken };
      }
      const parent = org.parents.get(child);
      return {
        Parents: [parent ? { Id: parent, Type: 'ORGANIZATIONAL_UNIT' } : { Id: org.rootId, Type: 'ROOT' }],
      };
    }
    case 'DescribeOrganizationalUnit': {
      if (!isManagement && !org.delegatedAdministrators.includes(org.caller.accountId))
        throw accessDenied(req);
      const id = stringParam(req, 'OrganizationalUnitId');
      if (!/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(id)) {
        throw new AwsFault(
          'InvalidInputException',
          "1 validation error detected: Value at 'organizationalUnitId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$",
        );
      }
      if (!organizationalUnits(state).has(id)) {
        throw new AwsFault(
          'OrganizationalUnitNotFoundException',
          "We can't find an OU with the OrganizationalUnitId that you specified.",
        );
      }
      return {
        OrganizationalUnit: {
          Id: id,
          Arn: `arn:aws:organizations::${org.managementAccountId}:ou/${org.id}/${id}`,
          Name: id,
        },
      };
    }
    case 'ListRoots': {
      if (!isManagement && !org.delegatedAdministrators.includes(org.caller.accountId))
        throw accessDenied(req);
      return {
        Roots: [
          {
            Id: org.rootId,
            Arn: `arn:aws:organizations::${org.managementAccountId}:root/${org.id}/${org.rootId}`,
            Name: 'Root',
            PolicyTypes: [],
          },
        ],
      };
    }
    case 'ListAWSServiceAccessForOrganization': {
      // The management account or a delegated administrator (as AWS documents it).
      if (!isManagement && !org.delegatedAdministrators.includes(org.caller.accountId))
        throw accessDenied(req);
      const { page, next } = paged(req, [...org.trustedServices], SERVICE_ACCESS_PAGE_SIZE);
      return {
        EnabledServicePrincipals: page.map((p) => ({ ServicePrincipal: p, DateEnabled: 1_700_000_000 })),
        ...(next ? { NextToken: next } : {}),
      };
    }
    default:
      throw new AwsFault('InvalidAction', `Unknown operation ${req.action}`);
  }
}

/** The OUs of the organization: every ou-… placed under another, or holding an account or OU. */
function organizationalUnits(state: FakeAwsState): Set<string> {
  const ous = new Set<string>();
  for (const [child, parent] of state.org.parents) {
    if (child.startsWith('ou-')) ous.add(child);
    ous.add(parent);
  }
  return ous;
}

function invalidNextToken(): AwsFault {
  return new AwsFault(
    'InvalidInputException',
    'You provided an invalid value for the NextToken parameter (INVALID_PAGINATION_TOKEN).',
  );
}

function accountJson(state: FakeAwsState, account: FakeAccount | undefined): Record<string, unknown> {
  if (!account) return {};
  return {
    Id: account.id,
    Arn: `arn:aws:organizations::${state.org.managementAccountId}:account/${state.org.id}/${account.id}`,
    Email: account.email,
    Name: account.name,
    Status: account.status === 'ACTIVE' ? 'ACTIVE' : 'SUSPENDED',
    State: account.status,
    JoinedMethod: 'CREATED',
    JoinedTimestamp: 1_600_000_000,
  };
}
