import { RootTaskError } from '../aws/errors.js';
import type { OrganizationDirectory } from '../aws/organization.js';
import type { Accounts } from './ports.js';

/** The workflow's view of the organization: is an account a valid target, and who is it. */
export function organizationAccounts(directory: OrganizationDirectory): Accounts {
  return {
    async targetable(accountId) {
      try {
        return { ok: true, account: await directory.assertTargetable(accountId) };
      } catch (error) {
        if (error instanceof RootTaskError) return { ok: false, reason: error.message };
        throw error;
      }
    },
    find: (accountId) => directory.findAccount(accountId),
  };
}
