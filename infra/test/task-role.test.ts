import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import {
  AUDIT_DENIED_ACTIONS,
  ROOT_TASK_POLICIES,
  rootTaskPolicyArn,
  TABLE_ITEM_ACTIONS,
  TABLE_KEYS,
} from '../lib/contract.js';
import { ORGANIZATION_READ_ACTIONS } from '../lib/task-role.js';
import { actionMatches, asList, identityStatements, synth } from './synth.js';

const all = synth();
const roleStatements = () =>
  identityStatements(all.template)
    .filter(
      ({ logicalId }) =>
        logicalId === all.stack.getLogicalId(all.stack.taskRole.role.node.defaultChild as never),
    )
    .map(({ statement }) => statement);

describe('sts:AssumeRoot', () => {
  test('no IAM policy in the stack allows sts:AssumeRoot without the sts:TaskPolicyArn condition', () => {
    const allowing = identityStatements(all.template).filter(
      ({ statement }) =>
        statement.Effect === 'Allow' &&
        asList(statement.Action).some((a) => actionMatches(String(a), 'sts:AssumeRoot')),
    );
    // exactly one statement, on the task role
    expect(allowing).toHaveLength(1);
    for (const { statement } of allowing) {
      expect(statement.Action).toBe('sts:AssumeRoot');
      expect(statement.Resource).toBe('arn:aws:iam::*:root');
      expect(Object.keys(statement.Condition ?? {})).toEqual(['StringEquals']);
      expect(statement.Condition?.StringEquals).toEqual({
        'sts:TaskPolicyArn': ROOT_TASK_POLICIES.map(rootTaskPolicyArn),
      });
    }
    // and NotAction allows nothing that would include it
    const notActions = identityStatements(all.template).filter(
      ({ statement }) => statement.Effect === 'Allow' && statement.NotAction !== undefined,
    );
    expect(notActions).toEqual([]);
  });

  test('the condition lists exactly the task policies offered', () => {
    const { template } = synth({ taskPolicies: 'IAMAuditRootUserCredentials,IAMDeleteRootUserCredentials' });
    const statements = identityStatements(template).filter(({ statement }) =>
      asList(statement.Action).includes('sts:AssumeRoot'),
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]?.statement.Condition?.StringEquals?.['sts:TaskPolicyArn']).toEqual([
      'arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials',
      'arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials',
    ]);
  });
});

describe('the rest of the task role', () => {
  test('its statements are exactly: root sessions, organization reads, table items, audit deny', () => {
    expect(roleStatements().map((s) => [s.Sid, s.Effect])).toEqual([
      ['RootSessionsWithOfferedTaskPoliciesOnly', 'Allow'],
      ['ReadTheOrganization', 'Allow'],
      ['TableItems', 'Allow'],
      ['AuditTrailIsAppendOnly', 'Deny'],
    ]);
  });

  test('organization reads are read-only calls', () => {
    const read = roleStatements().find((s) => s.Sid === 'ReadTheOrganization');
    expect([...asList(read?.Action)].sort()).toEqual([...ORGANIZATION_READ_ACTIONS].sort());
    for (const action of asList(read?.Action)) expect(String(action)).toMatch(/:(List|Describe|Get)/);
  });

  test('table item actions on the table and its two indexes only; no Scan, no BatchWriteItem, no table admin', () => {
    const items = roleStatements().find((s) => s.Sid === 'TableItems');
    expect([...asList(items?.Action)].sort()).toEqual([...TABLE_ITEM_ACTIONS].sort());
    expect(asList(items?.Action)).not.toContain('dynamodb:Scan');
    expect(asList(items?.Action)).not.toContain('dynamodb:BatchWriteItem');
    const tableId = all.stack.getLogicalId(all.stack.table.table.node.defaultChild as never);
    expect(items?.Resource).toEqual([
      { 'Fn::GetAtt': [tableId, 'Arn'] },
      ...TABLE_KEYS.indexes.map((index) => ({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, `/index/${index.name}`]],
      })),
    ]);
  });

  test('audit items cannot be updated or deleted (explicit deny on the audit partition)', () => {
    const deny = roleStatements().find((s) => s.Sid === 'AuditTrailIsAppendOnly');
    expect(deny?.Effect).toBe('Deny');
    expect([...asList(deny?.Action)].sort()).toEqual([...AUDIT_DENIED_ACTIONS].sort());
    expect(deny?.Condition).toEqual({
      'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${TABLE_KEYS.auditPartitionPrefix}*`] },
    });
  });

  test('only ECS tasks of this account may assume the role', () => {
    all.template.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('breakglass bot'),
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '111122223333' } }),
          }),
        ],
      },
    });
  });

  test('with a customer-managed table key, the role may use it only through DynamoDB', () => {
    const { template, stack } = synth({ customerManagedKey: 'true' });
    const statements = identityStatements(template).filter(
      ({ statement }) => statement.Sid === 'TableKeyThroughDynamoDBOnly',
    );
    expect(statements).toHaveLength(1);
    const statement = statements[0]?.statement;
    expect(statement?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' },
    });
    expect(statement?.Resource).toEqual({
      'Fn::GetAtt': [stack.getLogicalId(stack.table.key?.node.defaultChild as never), 'Arn'],
    });
  });
});
