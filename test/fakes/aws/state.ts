import type {
  FakeAccount,
  FakeAwsBehaviour,
  FakeOrganization,
  FakeRootUser,
  RootSessionRecord,
} from './model.js';

/** What the fake's handlers read and change. */
export interface FakeAwsState {
  org: FakeOrganization;
  accounts: Map<string, FakeAccount>;
  sessions: Map<string, RootSessionRecord>;
  /** serial numbers of virtual MFA devices already deleted */
  deletedVirtualMfa: Set<string>;
  options: FakeAwsBehaviour;
  /** per account: the root user as audit reads still see it after a delete (`staleAuditReads`) */
  staleRoots: Map<string, { root: FakeRootUser; readsLeft: number }>;
}
