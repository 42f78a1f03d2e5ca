/**
 * The bot's task role, least privilege: root sessions only with the task policies
 * offered, read-only Organizations calls, the table's item actions, and an
 * explicit deny on rewriting or deleting audit items.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  Effect,
  PolicyDocument,
  PolicyStatement,
  type PolicyStatementProps,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  AUDIT_DENIED_ACTIONS,
  type RootTaskPolicy,
  rootTaskPolicyArn,
  TABLE_ITEM_ACTIONS,
  TABLE_KEYS,
} from './contract.js';

export interface TaskRoleProps {
  table: ITable;
  /** the table's customer-managed key, if any */
  tableKey: IKey | undefined;
  taskPolicies: readonly RootTaskPolicy[];
}

/** Read calls the bot makes to list accounts and check the organization's setup (`breakglass doctor`). */
export const ORGANIZATION_READ_ACTIONS = [
  'organizations:DescribeOrganization',
  'organizations:ListAccounts',
  'organizations:DescribeAccount',
  'organizations:ListDelegatedAdministrators',
  'organizations:ListAWSServiceAccessForOrganization',
  // approver routing by OU (BREAKGLASS_POLICY): an account's OU and its parents,
  // and at start-up, that every OU and root the policy names exists
  'organizations:ListParents',
  'organizations:DescribeOrganizationalUnit',
  'organizations:ListRoots',
  'iam:ListOrganizationsFeatures',
  'sts:GetCallerIdentity',
] as const;

/** The statements of the task role's policy, in the order they appear. */
export function taskRoleStatements(scope: Construct, props: TaskRoleProps): PolicyStatementProps[] {
  const stack = Stack.of(scope);
  const statements: PolicyStatementProps[] = [
    {
      sid: 'RootSessionsWithOfferedTaskPoliciesOnly',
      effect: Effect.ALLOW,
      actions: ['sts:AssumeRoot'],
      resources: ['arn:aws:iam::*:root'],
      conditions: { StringEquals: { 'sts:TaskPolicyArn': props.taskPolicies.map(rootTaskPolicyArn) } },
    },
    {
      sid: 'ReadTheOrganization',
      effect: Effect.ALLOW,
      actions: [...ORGANIZATION_READ_ACTIONS],
      resources: ['*'],
    },
    {
      sid: 'TableItems',
      effect: Effect.ALLOW,
      actions: [...TABLE_ITEM_ACTIONS],
      resources: [
        props.table.tableArn,
        ...TABLE_KEYS.indexes.map((index) => `${props.table.tableArn}/index/${index.name}`),
      ],
    },
    {
      sid: 'AuditTrailIsAppendOnly',
      effect: Effect.DENY,
      actions: [...AUDIT_DENIED_ACTIONS],
      resources: [props.table.tableArn],
      conditions: {
        'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${TABLE_KEYS.auditPartitionPrefix}*`] },
      },
    },
  ];
  if (props.tableKey) {
    statements.push({
      sid: 'TableKeyThroughDynamoDBOnly',
      effect: Effect.ALLOW,
      actions: [
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'kms:DescribeKey',
      ],
      resources: [props.tableKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
    });
  }
  return statements;
}

export class BreakglassTaskRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: TaskRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new Role(this, 'Role', {
      description:
        'breakglass bot: sts:AssumeRoot with the offered task policies, Organizations reads, its table',
      // Confused-deputy guard: only ECS tasks of this account and region may assume it.
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:*` },
        },
      }),
      inlinePolicies: {
        Breakglass: new PolicyDocument({
          statements: taskRoleStatements(this, props).map((s) => new PolicyStatement(s)),
        }),
      },
    });
    // cdk-nag AwsSolutions-IAM5 (wildcards), each finding acknowledged with its reason:
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:aws:iam::*:root]',
      reason:
        "sts:AssumeRoot targets the root user of whichever member account a request names, so the resource is every account's root; the sts:TaskPolicyArn condition limits each session to exactly the task policies offered, and only the management or delegated administrator account can call it at all.",
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Read-only calls without resource-level permissions: organizations:ListAccounts, DescribeOrganization, ListDelegatedAdministrators, ListAWSServiceAccessForOrganization, iam:ListOrganizationsFeatures and sts:GetCallerIdentity accept only "*"; ListRoots accepts only "*" too; DescribeAccount, ListParents and DescribeOrganizationalUnit are read-only and need any account or OU of the organization.',
    });
  }
}
