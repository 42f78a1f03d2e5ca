/**
 * breakglass in AWS: the DynamoDB table, the bot on ECS Fargate in Socket Mode
 * with a least-privilege task role, its logs, and alarms to an SNS topic.
 * Deploy it in the organization's management account or, better, in the IAM
 * delegated administrator account: only those may call sts:AssumeRoot.
 */

import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BreakglassAlarms } from './alarms.js';
import type { RootTaskPolicy } from './contract.js';
import { BreakglassNetwork } from './network.js';
import { BreakglassService } from './service.js';
import type { BreakglassSettings } from './settings.js';
import { BreakglassTable } from './table.js';
import { BreakglassTaskRole } from './task-role.js';

export interface BreakglassStackProps extends StackProps {
  settings: BreakglassSettings;
  /** directory with the bot's Dockerfile; default the repository root */
  imageDirectory?: string;
}

/** The bot's task (BREAKGLASS_TASKS) that each grant-or-remove task policy serves; the audit policy serves them all. */
const TASK_OF_POLICY: Partial<Record<RootTaskPolicy, string>> = {
  IAMCreateRootUserPassword: 'password-recovery',
  S3UnlockBucketPolicy: 'unlock-s3',
  SQSUnlockQueuePolicy: 'unlock-sqs',
  IAMDeleteRootUserCredentials: 'delete-credentials',
};

export function offeredTasks(policies: readonly RootTaskPolicy[]): string[] {
  return policies.flatMap((p) => TASK_OF_POLICY[p] ?? []);
}

/** The bot's environment, from the settings (secrets are not here: they come from Secrets Manager). */
export function botEnvironment(settings: BreakglassSettings, tableName: string, region: string) {
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    AWS_REGION: region,
    BREAKGLASS_STORE: 'dynamodb',
    BREAKGLASS_TABLE: tableName,
    BREAKGLASS_CHANNEL_ID: settings.channelId,
    BREAKGLASS_APPROVERS: settings.approvers.join(','),
    BREAKGLASS_DURATIONS: settings.durations.join(','),
    // Slack offers only the tasks whose task policy the role allows.
    BREAKGLASS_TASKS: offeredTasks(settings.taskPolicies).join(','),
    DRY_RUN: String(settings.dryRun),
  };
  if (settings.requesters.length) env.BREAKGLASS_REQUESTERS = settings.requesters.join(',');
  if (settings.protectedAccounts.length)
    env.BREAKGLASS_PROTECTED_ACCOUNTS = settings.protectedAccounts.join(',');
  return env;
}

export class BreakglassStack extends Stack {
  readonly table: BreakglassTable;
  readonly taskRole: BreakglassTaskRole;
  readonly network: BreakglassNetwork;
  readonly bot: BreakglassService;
  readonly alarms: BreakglassAlarms;

  constructor(scope: Construct, id: string, props: BreakglassStackProps) {
    super(scope, id, props);
    const { settings } = props;
    if (settings.usesExampleValues) {
      Annotations.of(this).addWarningV2(
        'breakglass:example-context',
        'channelId is the example from cdk.json: set your own context (see infra/README.md) before `cdk deploy`.',
      );
    }

    this.table = new BreakglassTable(this, 'Store', { customerManagedKey: settings.customerManagedKey });
    this.taskRole = new BreakglassTaskRole(this, 'TaskRole', {
      table: this.table.table,
      tableKey: this.table.key,
      taskPolicies: settings.taskPolicies,
    });
    this.network = new BreakglassNetwork(this, 'Network', {
      mode: settings.network,
      logRetention: settings.logRetention,
    });
    this.bot = new BreakglassService(this, 'Bot', {
      vpc: this.network.vpc,
      taskSubnetType: this.network.taskSubnetType,
      assignPublicIp: settings.network === 'public',
      taskRole: this.taskRole.role,
      slackSecret: settings.slackSecret,
      environment: botEnvironment(settings, this.table.table.tableName, this.region),
      desiredCount: settings.desiredCount,
      logRetention: settings.logRetention,
      cpuArchitecture: settings.cpuArchitecture,
      ...(props.imageDirectory ? { imageDirectory: props.imageDirectory } : {}),
    });
    this.alarms = new BreakglassAlarms(this, 'Alarms', {
      alarmEmail: settings.alarmEmail,
      outboxBacklogThreshold: settings.outboxBacklogThreshold,
    });

    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'ClusterName', { value: this.bot.cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: this.bot.service.serviceName });
    new CfnOutput(this, 'LogGroupName', { value: this.bot.logGroup.logGroupName });
    new CfnOutput(this, 'TaskRoleArn', { value: this.taskRole.role.roleArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
  }
}
