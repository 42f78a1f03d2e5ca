/**
 * Drift records in DynamoDB: one item per account (`DRIFT`/`ACCT#<id>`, the
 * record as JSON in `body`), written or deleted in one transaction with the
 * notices it causes (the outbox items of the org-wide audit that found it).
 */
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DriftRecord } from '../../domain/drift.js';
import type { Delivery } from '../../domain/notice.js';
import type { DriftChange } from '../store.js';
import type { TableContext, WriteOp } from './context.js';
import { Expr } from './expression.js';
import { noticeWriteOps, reserveSequence } from './outbox.js';

const DRIFT_PK = 'DRIFT';
const driftKey = (accountId: string) => ({ pk: DRIFT_PK, sk: `ACCT#${accountId}` });

export class DynamoDrift {
  constructor(private readonly t: TableContext) {}

  async records(): Promise<DriftRecord[]> {
    const records: DriftRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const e = new Expr();
      const page = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          KeyConditionExpression: `${e.n('pk')} = ${e.v(DRIFT_PK)}`,
          ...e.params(),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) records.push(JSON.parse(String(item.body)) as DriftRecord);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async save(change: DriftChange, key: string, notify: Delivery[]): Promise<void> {
    const write: WriteOp =
      'record' in change
        ? {
            Put: {
              TableName: this.t.name,
              Item: { ...driftKey(change.record.accountId), body: JSON.stringify(change.record) },
            },
          }
        : { Delete: { TableName: this.t.name, Key: driftKey(change.resolved) } };
    const first = notify.length ? await reserveSequence(this.t, key, notify.length) : 0;
    await this.t.doc.send(
      new TransactWriteCommand({
        TransactItems: [write, ...noticeWriteOps(this.t.name, key, first, notify, Date.now())],
      }),
    );
  }
}
