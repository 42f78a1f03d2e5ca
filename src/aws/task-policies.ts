/** The AWS-managed task policies that scope an sts:AssumeRoot session. */
export const ROOT_TASKS = {
  audit: 'IAMAuditRootUserCredentials',
  createPassword: 'IAMCreateRootUserPassword',
  deleteCredentials: 'IAMDeleteRootUserCredentials',
  unlockS3: 'S3UnlockBucketPolicy',
  unlockSqs: 'SQSUnlockQueuePolicy',
} as const;

export type RootTask = keyof typeof ROOT_TASKS;

export function taskPolicyArn(task: RootTask): string {
  return `arn:aws:iam::aws:policy/root-task/${ROOT_TASKS[task]}`;
}
