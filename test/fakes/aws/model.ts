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

/** What each task policy allows, as in aws-root-access-facts.md. */
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

/** Where buckets and queues live unless a test says otherwise (the fake's AWS_REGION). */
export const FAKE_DEFAULT_REGION = 'us-east-1';

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
  loginProfile: { createDate: Date } | null;
  accessKeys: FakeAccessKey[];
  signingCertificates: { id: string; status: 'Active' | 'Inactive' }[];
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
  /** an SCP (such as Control Tower's AWS-GR_RESTRICT_ROOT_USER) denies root sessions */
  scpDeniesRoot: boolean;
}

export interface FakeOrganization {
  id: string;
  managementAccountId: string;
  featureSet: 'ALL' | 'CONSOLIDATED_BILLING';
  trustedServices: Set<string>;
  features: Set<'RootCredentialsManagement' | 'RootSessions'>;
  delegatedAdministrators: string[];
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
    scpDeniesRoot: false,
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
