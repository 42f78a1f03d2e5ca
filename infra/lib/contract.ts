/**
 * What the stack and the bot must agree on, in one place: the DynamoDB table's
 * key schema, the item actions the bot's role gets, the audit partition the role
 * may never rewrite, and the CloudWatch metrics the alarms watch. Change a name
 * here (and only here) to align with the store and the bot's metrics.
 */

/** Single-table key schema. The DynamoDB store (`src/store`) must use the same names. */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes the item some time after (seen keys). Matches src/store/dynamodb/table.ts. */
  ttlAttribute: 'expiresAt',
  /**
   * gsi1: open jobs and pending notices by the time they may be claimed, requests by state
   * (numeric sort key); gsi2: requests by requester and the audit trail (string sort key).
   */
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', sortKeyType: 'number' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', sortKeyType: 'string' },
  ],
  /**
   * Partition-key prefix of the append-only audit trail. The task role is denied
   * UpdateItem and DeleteItem on items whose partition key starts with it
   * (`dynamodb:LeadingKeys`), which holds only if every audit entry lives in a
   * partition of its own kind (`AUDIT#…`), never beside mutable items.
   */
  auditPartitionPrefix: 'AUDIT#',
} as const;

/**
 * The item actions the bot's role is allowed on the table and its indexes. No
 * Scan, no BatchWriteItem (it could delete audit items in bulk under a different
 * action name), no table-level actions.
 */
export const TABLE_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:TransactWriteItems',
  // At start-up the store checks that the table and its schema version exist.
  'dynamodb:DescribeTable',
] as const;

/** Denied on the audit partition (applies inside TransactWriteItems too: IAM checks each sub-action). */
export const AUDIT_DENIED_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

/**
 * Metrics the bot publishes in CloudWatch embedded metric format (one JSON log
 * line, no agent), with NO dimensions, so that every replica adds to the same
 * series and the alarms below see them all.
 *
 *   {"_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":[{"Namespace":"Breakglass",
 *     "Dimensions":[[]],"Metrics":[{"Name":"SchedulerHeartbeat","Unit":"Count"}]}]},
 *    "SchedulerHeartbeat":1}
 */
export const METRICS = {
  namespace: 'Breakglass',
  /** Count, 1 per cleanup that ended failed or unverified (a root credential may be left). */
  cleanupFailed: 'CleanupFailed',
  /** Count (gauge), undelivered Slack notices in the outbox, emitted each scheduler tick. */
  outboxBacklog: 'OutboxBacklog',
  /** Count, 1 per completed scheduler tick: no data for a while means no scheduler runs. */
  schedulerHeartbeat: 'SchedulerHeartbeat',
} as const;

/** The AWS-managed task policies for sts:AssumeRoot (same list as src/aws/task-policies.ts). */
export const ROOT_TASK_POLICIES = [
  'IAMAuditRootUserCredentials',
  'IAMCreateRootUserPassword',
  'IAMDeleteRootUserCredentials',
  'S3UnlockBucketPolicy',
  'SQSUnlockQueuePolicy',
] as const;

export type RootTaskPolicy = (typeof ROOT_TASK_POLICIES)[number];

export function rootTaskPolicyArn(name: RootTaskPolicy): string {
  return `arn:aws:iam::aws:policy/root-task/${name}`;
}

/** The port the bot serves /healthz and /readyz on (in Socket Mode too). */
export const HEALTH_PORT = 3000;
