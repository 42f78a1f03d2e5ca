/**
 * The bot's single DynamoDB table: on-demand, point-in-time recovery, deletion
 * protection, encrypted at rest, TTL for seen keys, two GSIs. Kept on stack
 * deletion: it holds the audit trail.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_KEYS } from './contract.js';

export interface BreakglassTableProps {
  /** true: a customer-managed KMS key with yearly rotation; false: the AWS-managed key (aws/dynamodb) */
  customerManagedKey: boolean;
}

export class BreakglassTable extends Construct {
  readonly table: Table;
  /** set when the table uses a customer-managed key: the task role needs it too */
  readonly key: Key | undefined;

  constructor(scope: Construct, id: string, props: BreakglassTableProps) {
    super(scope, id);
    this.key = props.customerManagedKey
      ? new Key(this, 'Key', {
          description: 'breakglass: DynamoDB table encryption',
          enableKeyRotation: true,
          removalPolicy: RemovalPolicy.RETAIN,
        })
      : undefined;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      ...(this.key
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.key }
        : { encryption: TableEncryption.AWS_MANAGED }),
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_KEYS.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: {
          name: index.sortKey,
          type: index.sortKeyType === 'number' ? AttributeType.NUMBER : AttributeType.STRING,
        },
        projectionType: ProjectionType.ALL,
      });
    }
  }
}
