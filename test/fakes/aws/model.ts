/**
 * In-memory state of a fake AWS organization: accounts, their root users, buckets
 * and queues, the organization's settings, and the root sessions handed out.
 */

export type TaskPolicyName =
  | 'IAMAuditRootUserCredentials'
  | 'IAMCreateRootUserPassword'
  | 'IAMDeleteRootUserCredentials'
  | 'S3UnlockBucketPolicy'
  | 'SQSUnlockQueuePolicy';

/**
 * The actions each task policy lists, as in aws-root-access-facts.md. Statement 1
 * of every task policy denies any other action (NotAction); statement 2 denies the
 * listed IAM actions on any resource other than the root user (NotResource, see
 * `ROOT_USER_RESOURCE`), so a listed action is usable only on `arn:aws:iam::*:root`.
 */
export const TASK_POLICY_ACTIONS: Record<TaskPolicyName, ReadonlySet<string>> = {
  IAMAuditRootUserCredentials: new Set([
    'iam:GetAccountSummary',
    'iam:GetLoginProfile',
    'iam:ListAccessKeys',
    'iam:ListSigningCertificates',
    'iam:ListMFADevices',
    'iam:GetUser',
    'iam:GetAccessKeyLastUsed',
  ]),
  IAMCreateRootUserPassword: new Set(['iam:CreateLoginProfile', 'iam:GetLoginProfile']),
  IAMDeleteRootUserCredentials: new Set([
    'iam:DeleteLoginProfile',
    'iam:DeleteAccessKey',
    'iam:DeleteSigningCertificate',
    'iam:DeactivateMFADevice',
    'iam:DeleteVirtualMFADevice',
    'iam:ListAccessKeys',
    'iam:ListSigningCertificates',
    'iam:ListMFADevices',
    'iam:GetLoginProfile',
    'iam:GetUser',
    'iam:GetAccessKeyLastUsed',
  ]),
  S3UnlockBucketPolicy: new Set([
    's3:GetBucketPolicy',
    's3:DeleteBucketPolicy',
    's3:PutBucketPolicy',
    's3:ListAllMyBuckets',
  ]),
  SQSUnlockQueuePolicy: new Set([
    'sqs:GetQueueAttributes',
    'sqs:SetQueueAttributes',
    'sqs:ListQueues',
    'sqs:GetQueueUrl',
  ]),
};

/** When a queue the fake did not change was last changed. */
export const FAKE_QUEUE_MODIFIED = new Date('2024-01-02T03:04:05.000Z');

/** Where buckets and queues live unless a test says otherwise (the fake's AWS_REGION). */
export const FAKE_DEFAULT_REGION = 'us-east-1';
/** The one IAM resource a task policy's NotResource statement leaves usable. */
export const ROOT_USER_RESOURCE = /^arn:aws:iam::[^:]*:root$/;

/**
 * Behaviours of real AWS (or claims about it) the fake can switch on; all off by
 * default. Set them with `FakeAws.start({ behaviour: {...} })` or later through
 * `fake.options`.
 */
export interface FakeAwsBehaviour {
  /**
   * DeleteLoginProfile answers EntityTemporarilyUnmodifiable while an MFA device is
   * active. Seed 000 claims it; no AWS reference documents it, so code must work both ways.
   */
  mfaBlocksLoginProfileDeletion: boolean;
  /** GetAccountSummary's SummaryMap lacks AccountPasswordPresent (the API reference does not list it) */
  omitAccountPasswordPresent: boolean;
  /**
   * IAM eventual consistency: after a delete, this many reads made in audit
   * sessions of that account still answer from the state before the delete.
   */
  staleAuditReads: number;
  /** the next `sessions` root sessions expire after `afterCalls` calls: later calls get ExpiredToken */
  expiringRootSessions: { afterCalls: number; sessions: number } | null;
  /**
   * ListParents answers a first page with no parent and a NextToken, as AWS may
   * ("List* operations can occasionally return an empty set of results even when
   * there are more results available"); the token's page has the parent.
   */
  listParentsEmptyFirstPage: boolean;
}

export function defaultBehaviour(): FakeAwsBehaviour {
  return {
    mfaBlocksLoginProfileDeletion: false,
    omitAccountPasswordPresent: false,
    staleAuditReads: 0,
    expiringRootSessions: null,
    listParentsEmptyFirstPage: false,
  };
}

export interface FakeAccessKey {
  id: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
  lastUsed?: { date: Date; service: string; region: string };
}

export interface FakeMfaDevice {
  serialNumber: string;
  virtual: boolean;
  enableDate: Date;
}

export interface FakeRootUser {
  /** `lastUsed`: the root user's PasswordLastUsed, as GetUser returns it (absent: never used) */
  loginProfile: { createDate: Date; lastUsed?: Date } | null;
  accessKeys: FakeAccessKey[];
  /** `uploadDate`: ListSigningCertificates UploadDate (default: the epoch) */
  signingCertificates: { id: string; status: 'Active' | 'Inactive'; uploadDate?: Date }[];
  mfaDevices: FakeMfaDevice[];
}

export interface FakeAccount {
  id: string;
  name: string;
  email: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';
  root: FakeRootUser;
  /** bucket name -> policy JSON, or null for a bucket without a policy */
  buckets: Map<string, string | null>;
  /** queue name -> policy JSON, or null */
  queues: Map<string, string | null>;
  /** bucket name -> the region it lives in (absent: FAKE_DEFAULT_REGION) */
  bucketRegions: Map<string, string>;
  /** queue name -> the region it lives in (absent: FAKE_DEFAULT_REGION) */
  queueRegions: Map<string, string>;
  /** queue name -> when its attributes last changed (LastModifiedTimestamp; absent: FAKE_QUEUE_MODIFIED) */
  queueModified: Map<string, Date>;
  /** an SCP (such as Control Tower's AWS-GR_RESTRICT_ROOT_USER) denies sts:AssumeRoot itself */
  scpDeniesRoot: boolean;
  /**
   * an SCP denies every call made inside a root session of this account, while
   * AssumeRoot succeeds: what real AWS does more usually
   */
  scpDeniesInSession: boolean;
}

export interface FakeOrganization {
  id: string;
  managementAccountId: string;
  featureSet: 'ALL' | 'CONSOLIDATED_BILLING';
  trustedServices: Set<string>;
  features: Set<'RootCredentialsManagement' | 'RootSessions'>;
  delegatedAdministrators: string[];
  /** the root's id (r-…): the parent of every account and OU not in `parents` */
  rootId: string;
  /** child (account or OU id) -> its parent OU id; see FakeAws.placeIn */
  parents: Map<string, string>;
  /** the account and ARN the bot's own credentials belong to */
  caller: { accountId: string; arn: string; mayAssumeRoot: boolean };
}

export interface RootSessionRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  accountId: string;
  taskPolicy: TaskPolicyName;
  expiration: Date;
  /** calls this session answers before it expires (`FakeAwsBehaviour.expiringRootSessions`) */
  callsLeft?: number;
}

export function emptyRootUser(): FakeRootUser {
  return { loginProfile: null, accessKeys: [], signingCertificates: [], mfaDevices: [] };
}

export function newAccount(id: string, overrides: Partial<Omit<FakeAccount, 'id'>> = {}): FakeAccount {
  return {
    id,
    name: `account-${id}`,
    email: `aws+${id}@example.com`,
    status: 'ACTIVE',
    root: emptyRootUser(),
    buckets: new Map(),
    queues: new Map(),
    bucketRegions: new Map(),
    queueRegions: new Map(),
    queueModified: new Map(),
    scpDeniesRoot: false,
    scpDeniesInSession: false,
    ...overrides,
  };
}

export function hasAnyRootCredential(root: FakeRootUser): boolean {
  return (
    root.loginProfile !== null ||
    root.accessKeys.length > 0 ||
    root.signingCertificates.length > 0 ||
    root.mfaDevices.length > 0
  );
}
