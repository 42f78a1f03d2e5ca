/**
 * Whether the accounts and OUs a policy file names exist in the organization.
 * A mistyped id passes the file's own checks and simply never matches, so the
 * accounts it meant would be decided by the default rule: the bot refuses to
 * start instead (and `breakglass policy check` says so when it can reach AWS).
 *
 * Accounts are looked up in the organization's account list, OUs with
 * organizations:DescribeOrganizationalUnit, roots with organizations:ListRoots.
 * What cannot be checked (no permission, throttled, Organizations down) is a
 * warning, not a problem: start-up must not wait on a lookup to clean up.
 */
import {
  DescribeOrganizationalUnitCommand,
  type OrganizationsClient,
  paginateListRoots,
} from '@aws-sdk/client-organizations';
import type { Policy } from '../domain/policy.js';
import { classifyAwsError } from './errors.js';

export interface PolicyTargetCheck {
  /** ids that do not exist: one line each, naming the rule */
  problems: string[];
  /** what could not be checked, and why */
  warnings: string[];
}

const NOT_FOUND_OU = new Set(['OrganizationalUnitNotFoundException', 'InvalidInputException']);

export async function checkPolicyTargets(
  policy: Policy,
  client: OrganizationsClient,
  listAccounts: () => Promise<readonly { id: string }[]>,
): Promise<PolicyTargetCheck> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const where = (index: number) => `rules[${index}] (${policy.rules[index]?.name})`;
  const fallsTo = 'a mistyped id never matches, so these accounts would be decided by the default rule';

  if (policy.rules.some((r) => r.accounts.length)) {
    try {
      const known = new Set((await listAccounts()).map((a) => a.id));
      policy.rules.forEach((rule, index) => {
        for (const id of rule.accounts) {
          if (!known.has(id)) {
            problems.push(
              `${where(index)}.match.accounts: ${id} is not an account of the organization; ${fallsTo}`,
            );
          }
        }
      });
    } catch (error) {
      warnings.push(
        `the policy's account ids were not checked: ${reason(error, 'organizations:ListAccounts')}`,
      );
    }
  }

  let roots: Set<string> | undefined;
  for (const [index, rule] of policy.rules.entries()) {
    for (const id of rule.ous) {
      if (id.startsWith('r-')) {
        try {
          roots ??= await rootIds(client);
          if (!roots.has(id)) {
            problems.push(
              `${where(index)}.match.ous: ${id} is not the root of the organization (${[...roots].join(', ')}); ${fallsTo}`,
            );
          }
        } catch (error) {
          warnings.push(
            `${where(index)}.match.ous: ${id} not checked: ${reason(error, 'organizations:ListRoots')}`,
          );
        }
        continue;
      }
      try {
        await client.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }));
      } catch (error) {
        const failure = classifyAwsError(error, 'organizations:DescribeOrganizationalUnit');
        if (NOT_FOUND_OU.has(failure.details.code ?? '')) {
          problems.push(`${where(index)}.match.ous: ${id} is not an OU of the organization; ${fallsTo}`);
        } else {
          warnings.push(
            `${where(index)}.match.ous: ${id} not checked: ${reason(failure, 'organizations:DescribeOrganizationalUnit')}`,
          );
        }
      }
    }
  }
  return { problems, warnings };
}

async function rootIds(client: OrganizationsClient): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const page of paginateListRoots({ client }, {})) {
    for (const root of page.Roots ?? []) if (root.Id) ids.add(root.Id);
  }
  return ids;
}

function reason(error: unknown, action: string): string {
  const failure = classifyAwsError(error, action);
  const access = failure.kind === 'not-authorized' ? ` (the bot's role needs ${action})` : '';
  return `${failure.message}${access}`;
}
