/**
 * `doctor`: is this organization ready for centralized root access, and are the
 * bot's credentials in the right account? Each check says pass/warn/fail and,
 * when it is not a pass, the exact command that fixes it.
 */
import { ListOrganizationsFeaturesCommand } from '@aws-sdk/client-iam';
import {
  type OrganizationsClient,
  paginateListAWSServiceAccessForOrganization,
  paginateListDelegatedAdministrators,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { DoctorCheck } from '../domain/doctor.js';
import type { AwsClients } from './clients.js';
import { classifyAwsError, RootTaskError } from './errors.js';
import { EvidenceLog } from './evidence.js';
import type { OrganizationDirectory, OrganizationInfo } from './organization.js';

// The fix of an AWS check is the command that fixes it, run from the management account.
export type { CheckStatus, DoctorCheck } from '../domain/doctor.js';

const IAM = 'iam.amazonaws.com';

export async function runDoctor(
  clients: AwsClients,
  organization: OrganizationDirectory,
): Promise<DoctorCheck[]> {
  const log = new EvidenceLog();
  const checks: DoctorCheck[] = [];
  const identity = await attempt(() =>
    log.call('sts:GetCallerIdentity', () => clients.sts.send(new GetCallerIdentityCommand({}))),
  );
  if (identity instanceof RootTaskError) {
    return [
      {
        name: 'AWS credentials',
        status: 'fail',
        detail: identity.message,
        fix: 'aws sts get-caller-identity',
      },
    ];
  }
  const callerAccount = identity.Account ?? '';
  checks.push({
    name: 'AWS credentials',
    status: 'pass',
    detail: `${identity.Arn} (account ${callerAccount})`,
  });

  const org = await attempt(() => organization.describeOrganization());
  if (org instanceof RootTaskError) {
    checks.push({
      name: 'Organization',
      status: 'fail',
      detail: org.message,
      fix: 'aws organizations describe-organization',
    });
    return checks;
  }
  checks.push(featureSetCheck(org));

  const delegated = await attempt(() => delegatedAdministrators(clients.organizations));
  const delegatedIds = delegated instanceof RootTaskError ? [] : delegated;
  const isManagement = callerAccount === org.managementAccountId;
  checks.push(callerRoleCheck(callerAccount, isManagement, delegatedIds.includes(callerAccount), org));

  // Readable from the management account and from a delegated administrator (not from other members).
  const isDelegated = delegatedIds.includes(callerAccount);
  if (isManagement || isDelegated) {
    const access = await attempt(() => trustedServices(clients.organizations));
    checks.push(trustedAccessCheck(access, isManagement));
  }

  const features = await attempt(() =>
    log.call('iam:ListOrganizationsFeatures', () =>
      clients.iam.send(new ListOrganizationsFeaturesCommand({})),
    ),
  );
  checks.push(...featureChecks(features));

  checks.push(
    delegated instanceof RootTaskError
      ? { name: 'Delegated administrator for IAM', status: 'warn', detail: delegated.message }
      : delegatedIds.length > 0
        ? {
            name: 'Delegated administrator for IAM',
            status: 'pass',
            detail: `account ${delegatedIds.join(', ')}`,
          }
        : {
            name: 'Delegated administrator for IAM',
            status: 'warn',
            detail: 'none registered: the bot must then run with management-account credentials',
            fix: `aws organizations register-delegated-administrator --service-principal ${IAM} --account-id <security-account-id>`,
          },
  );
  checks.push(protectedAccountsCheck(clients.settings.protectedAccounts, callerAccount, delegatedIds, org));
  return checks;
}

/** Every page: Organizations may page even a short list. */
async function delegatedAdministrators(client: OrganizationsClient): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const page of paginateListDelegatedAdministrators({ client }, { ServicePrincipal: IAM })) {
      for (const admin of page.DelegatedAdministrators ?? []) if (admin.Id) ids.push(admin.Id);
    }
  } catch (error) {
    throw classifyAwsError(error, 'organizations:ListDelegatedAdministrators');
  }
  return ids;
}

/** Every page of trusted services: iam.amazonaws.com may well be on the second one. */
async function trustedServices(client: OrganizationsClient): Promise<string[]> {
  const principals: string[] = [];
  try {
    for await (const page of paginateListAWSServiceAccessForOrganization({ client }, {})) {
      for (const p of page.EnabledServicePrincipals ?? [])
        if (p.ServicePrincipal) principals.push(p.ServicePrincipal);
    }
  } catch (error) {
    throw classifyAwsError(error, 'organizations:ListAWSServiceAccessForOrganization');
  }
  return principals;
}

function featureSetCheck(org: OrganizationInfo): DoctorCheck {
  return org.featureSet === 'ALL'
    ? { name: 'All features enabled', status: 'pass', detail: `organization ${org.id}` }
    : {
        name: 'All features enabled',
        status: 'fail',
        detail: `organization ${org.id} runs ${org.featureSet}`,
        fix: 'aws organizations enable-all-features',
      };
}

function callerRoleCheck(
  account: string,
  isManagement: boolean,
  isDelegated: boolean,
  org: OrganizationInfo,
): DoctorCheck {
  if (isManagement)
    return { name: 'Caller account', status: 'pass', detail: `${account} is the management account` };
  if (isDelegated)
    return {
      name: 'Caller account',
      status: 'pass',
      detail: `${account} is the IAM delegated administrator`,
    };
  return {
    name: 'Caller account',
    status: 'fail',
    detail: `${account} is neither the management account (${org.managementAccountId}) nor the IAM delegated administrator`,
    fix: `from the management account, after enabling IAM trusted access (${ENABLE_TRUSTED_ACCESS}): aws organizations register-delegated-administrator --service-principal ${IAM} --account-id ${account}`,
  };
}

/** Run from the management account only. */
const ENABLE_TRUSTED_ACCESS = `aws organizations enable-aws-service-access --service-principal ${IAM}`;

function trustedAccessCheck(access: string[] | RootTaskError, isManagement: boolean): DoctorCheck {
  const name = 'IAM trusted access';
  const fix = isManagement ? ENABLE_TRUSTED_ACCESS : `from the management account: ${ENABLE_TRUSTED_ACCESS}`;
  if (access instanceof RootTaskError) return { name, status: 'fail', detail: access.message, fix };
  const enabled = access.includes(IAM);
  return enabled
    ? { name, status: 'pass', detail: `${IAM} is trusted` }
    : { name, status: 'fail', detail: `${IAM} is not trusted`, fix };
}

function featureChecks(features: { EnabledFeatures?: string[] } | RootTaskError): DoctorCheck[] {
  const wanted = [
    { feature: 'RootCredentialsManagement', fix: 'aws iam enable-organizations-root-credentials-management' },
    { feature: 'RootSessions', fix: 'aws iam enable-organizations-root-sessions' },
  ];
  if (features instanceof RootTaskError) {
    const fix =
      features.details.code === 'OrganizationNotInAllFeaturesModeException'
        ? 'aws organizations enable-all-features'
        : features.kind === 'trusted-access-off'
          ? `aws organizations enable-aws-service-access --service-principal ${IAM}`
          : 'aws iam list-organizations-features';
    return wanted.map(({ feature }) => ({
      name: `Feature ${feature}`,
      status: 'fail',
      detail: features.message,
      fix,
    }));
  }
  const enabled = new Set(features.EnabledFeatures ?? []);
  return wanted.map(({ feature, fix }) =>
    enabled.has(feature)
      ? { name: `Feature ${feature}`, status: 'pass', detail: 'enabled' }
      : { name: `Feature ${feature}`, status: 'fail', detail: 'not enabled', fix },
  );
}

/** Which accounts root tasks never target, and why: the same list the bot enforces. */
function protectedAccountsCheck(
  configured: readonly string[],
  callerAccount: string,
  delegatedIds: readonly string[],
  org: OrganizationInfo,
): DoctorCheck {
  const why = new Map<string, string>();
  const add = (id: string, reason: string) => {
    if (id && !why.has(id)) why.set(id, reason);
  };
  add(org.managementAccountId, 'management account');
  for (const id of configured) add(id, 'BREAKGLASS_PROTECTED_ACCOUNTS');
  add(callerAccount, "the bot's own account");
  for (const id of delegatedIds) add(id, 'IAM delegated administrator');
  return {
    name: 'Protected accounts',
    status: 'pass',
    detail: `never targeted: ${[...why].map(([id, reason]) => `${id} (${reason})`).join(', ')}`,
  };
}

async function attempt<T>(run: () => Promise<T>): Promise<T | RootTaskError> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RootTaskError) return error;
    throw error;
  }
}
