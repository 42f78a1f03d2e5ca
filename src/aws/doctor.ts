/**
 * `doctor`: is this organization ready for centralized root access, and are the
 * bot's credentials in the right account? Each check says pass/warn/fail and,
 * when it is not a pass, the exact command that fixes it.
 */
import { ListOrganizationsFeaturesCommand } from '@aws-sdk/client-iam';
import {
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from './clients.js';
import { RootTaskError } from './errors.js';
import { EvidenceLog } from './evidence.js';
import type { OrganizationDirectory, OrganizationInfo } from './organization.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** the command that fixes a warn or fail, run from the management account */
  fix?: string;
}

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

  const delegated = await attempt(() =>
    log.call('organizations:ListDelegatedAdministrators', () =>
      clients.organizations.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: IAM })),
    ),
  );
  const delegatedIds =
    delegated instanceof RootTaskError ? [] : (delegated.DelegatedAdministrators ?? []).map((d) => d.Id);
  const isManagement = callerAccount === org.managementAccountId;
  checks.push(callerRoleCheck(callerAccount, isManagement, delegatedIds.includes(callerAccount), org));

  if (isManagement) {
    const access = await attempt(() =>
      log.call('organizations:ListAWSServiceAccessForOrganization', () =>
        clients.organizations.send(new ListAWSServiceAccessForOrganizationCommand({})),
      ),
    );
    checks.push(trustedAccessCheck(access));
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
  return checks;
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
    fix: `aws organizations register-delegated-administrator --service-principal ${IAM} --account-id ${account}`,
  };
}

function trustedAccessCheck(
  access: { EnabledServicePrincipals?: { ServicePrincipal?: string }[] } | RootTaskError,
): DoctorCheck {
  const name = 'IAM trusted access';
  const fix = `aws organizations enable-aws-service-access --service-principal ${IAM}`;
  if (access instanceof RootTaskError) return { name, status: 'fail', detail: access.message, fix };
  const enabled = (access.EnabledServicePrincipals ?? []).some((p) => p.ServicePrincipal === IAM);
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
      features.kind === 'trusted-access-off'
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

async function attempt<T>(run: () => Promise<T>): Promise<T | RootTaskError> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RootTaskError) return error;
    throw error;
  }
}
