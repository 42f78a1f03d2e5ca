import type { FakeAccount, FakeOrganization, RootSessionRecord } from './model.js';

/** What the fake's handlers read and change. */
export interface FakeAwsState {
  org: FakeOrganization;
  accounts: Map<string, FakeAccount>;
  sessions: Map<string, RootSessionRecord>;
  /** serial numbers of virtual MFA devices already deleted */
  deletedVirtualMfa: Set<string>;
}
