import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/** The table every part of the DynamoDB store works on. */
export interface TableContext {
  doc: DynamoDBDocumentClient;
  name: string;
}

/** One item of a TransactWriteItems. */
export type WriteOp = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
