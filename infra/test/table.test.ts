import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { TABLE_KEYS } from '../lib/contract.js';
import { synth } from './synth.js';

const SLOW = { timeout: 60_000 };

describe('the DynamoDB table', () => {
  const { template } = synth();

  test('has point-in-time recovery, deletion protection and encryption, on demand', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      // AWS-managed key (aws/dynamodb): SSEEnabled with KMS, no key id
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('is kept when the stack is deleted (the audit trail is in it)', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('has the key schema, TTL attribute and indexes of TABLE_KEYS', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: TABLE_KEYS.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
    const attributes = Object.values(template.findResources('AWS::DynamoDB::Table'))[0]?.Properties
      .AttributeDefinitions as { AttributeName: string; AttributeType: string }[];
    const typeOf = (name: string) => attributes.find((a) => a.AttributeName === name)?.AttributeType;
    for (const index of TABLE_KEYS.indexes)
      expect(typeOf(index.sortKey)).toBe(index.sortKeyType === 'number' ? 'N' : 'S');
    expect(attributes.map((a) => a.AttributeName).sort()).toEqual(
      [
        TABLE_KEYS.partitionKey,
        TABLE_KEYS.sortKey,
        ...TABLE_KEYS.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
      ].sort(),
    );
  });

  test('with customerManagedKey, a rotated KMS key of its own encrypts it', SLOW, () => {
    const cmk = synth({ customerManagedKey: true });
    cmk.template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
    cmk.template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'breakglass: DynamoDB table encryption',
      EnableKeyRotation: true,
    });
  });
});

describe('the table the stack creates and the table the bot expects', () => {
  const { template } = synth();

  test('have the same keys, attribute types, indexes and TTL attribute (breakglass init-table)', async () => {
    const { tableDefinition, TTL_ATTRIBUTE } = await import('../../src/store/dynamodb/table.js');
    const expected = tableDefinition('t');
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table')) as {
      Properties: {
        KeySchema: unknown[];
        AttributeDefinitions: unknown[];
        GlobalSecondaryIndexes: { IndexName: string; KeySchema: unknown[] }[];
        TimeToLiveSpecification: { AttributeName: string };
      };
    }[];
    const props = table?.Properties;
    expect(props?.KeySchema).toEqual(expected.KeySchema);
    const byName = (list: { AttributeName: string }[]) =>
      [...list].sort((a, b) => a.AttributeName.localeCompare(b.AttributeName));
    expect(byName(props?.AttributeDefinitions as { AttributeName: string }[])).toEqual(
      byName(expected.AttributeDefinitions),
    );
    const indexes = (props?.GlobalSecondaryIndexes ?? []).map((i) => ({
      name: i.IndexName,
      keys: i.KeySchema,
    }));
    expect(indexes).toEqual(
      expected.GlobalSecondaryIndexes.map((i) => ({ name: i.IndexName, keys: i.KeySchema })),
    );
    expect(props?.TimeToLiveSpecification.AttributeName).toBe(TTL_ATTRIBUTE);
  });
});
