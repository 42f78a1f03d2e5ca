import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, test } from 'vitest';
import { ROOT_TASK_POLICIES } from '../lib/contract.js';
import { readSettings, SettingsError } from '../lib/settings.js';
import { cdkJsonContext } from './synth.js';

const base = { channelId: 'C0123ABCD', approvers: 'U0AAAAAAA,U0BBBBBBB' };
const read = (context: Record<string, unknown>) => readSettings((key) => context[key]);
const problems = (context: Record<string, unknown>) => {
  try {
    read(context);
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  return [];
};

describe('settings from context', () => {
  test('defaults: all five task policies, one task, private network, a year of logs', () => {
    expect(read(base)).toMatchObject({
      taskPolicies: [...ROOT_TASK_POLICIES],
      desiredCount: 1,
      network: 'private',
      logRetention: RetentionDays.ONE_YEAR,
      durations: ['30m', '1h', '2h', '4h'],
      slackSecret: 'breakglass/slack',
      customerManagedKey: false,
      dryRun: false,
      alarmEmail: undefined,
      usesExampleValues: false,
    });
  });

  test('accepts -c strings and cdk.json values alike; task policies by name or ARN', () => {
    const s = read({
      ...base,
      approvers: ['S0GROUP01'],
      taskPolicies: ['arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials', 'S3UnlockBucketPolicy'],
      desiredCount: '2',
      dryRun: 'true',
      logRetentionDays: 90,
    });
    expect(s.approvers).toEqual(['S0GROUP01']);
    expect(s.taskPolicies).toEqual(['IAMAuditRootUserCredentials', 'S3UnlockBucketPolicy']);
    expect(s.desiredCount).toBe(2);
    expect(s.dryRun).toBe(true);
    expect(s.logRetention).toBe(RetentionDays.THREE_MONTHS);
  });

  test('every problem at once, one line each', () => {
    expect(
      problems({
        account: '12345',
        channelId: 'general',
        approvers: 'U0AAAAAAA',
        durations: '30m,forever',
        taskPolicies: 'S3UnlockBucketPolicy,AdministratorAccess',
        desiredCount: 3,
        alarmEmail: 'nobody',
        network: 'vpn',
        logRetentionDays: 42,
      }),
    ).toEqual([
      'account must be a 12-digit AWS account id (got "12345")',
      'channelId is required: the approvals channel id such as C0123ABCD (got "general")',
      'approvers is required: two or more user ids, or a user group (two different people approve)',
      'durations takes a comma list such as 30m,1h,2h,4h; not: forever',
      `taskPolicies takes names from ${ROOT_TASK_POLICIES.join(', ')}; not: AdministratorAccess`,
      'taskPolicies must include IAMAuditRootUserCredentials: every cleanup is verified with it',
      'desiredCount must be 1 or 2 (got 3)',
      'alarmEmail must be an email address (got "nobody")',
      'network must be private or public (got "vpn")',
      "logRetentionDays must be one of CloudWatch's retention periods (e.g. 90, 365, 731); got 42",
    ]);
  });

  test('a password grant needs the deletion policy to clean it up', () => {
    expect(
      problems({ ...base, taskPolicies: 'IAMAuditRootUserCredentials,IAMCreateRootUserPassword' }),
    ).toEqual([
      'taskPolicies with IAMCreateRootUserPassword must include IAMDeleteRootUserCredentials: the password is deleted when the window ends',
    ]);
  });

  test("cdk.json's context is valid and marked as the example", () => {
    expect(read(cdkJsonContext()).usesExampleValues).toBe(true);
  });
});
