/**
 * What a versioned record's change and a paged read of its rows look like on
 * DynamoDB, shared by requests, bulk hardenings and org-wide audits.
 */
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Delivery } from '../../domain/notice.js';
import type { RequestEffects } from '../store.js';
import type { TableContext, WriteOp } from './context.js';
import { cancellationCodes, conflictPause } from './errors.js';
import { Expr } from './expression.js';
import { jobWriteOps } from './jobs.js';
import { noticeWriteOps, reserveSequence } from './outbox.js';
import { MAX_TRANSACTION_ITEMS } from './table.js';

/** A transaction cancelled by a conflicting one in flight (not by a condition) is tried again this often. */
const MAX_CONFLICT_RETRIES = 10;

/**
 * One TransactWriteItems: the record's write (first, conditioned), its jobs, and
 * its notices at sequence numbers reserved just before. False when the record's
 * condition failed (someone else won). `what` names the record in errors.
 */
export async function writeChange(
  t: TableContext,
  what: string,
  id: string,
  write: WriteOp,
  effects?: RequestEffects,
): Promise<boolean> {
  const notify: Delivery[] = effects?.notify ?? [];
  const jobs = jobWriteOps(t.name, id, effects);
  const count = 1 + jobs.length + notify.length;
  if (count > MAX_TRANSACTION_ITEMS) {
    throw new Error(
      `a change of ${what} ${id} writes ${count} items; one DynamoDB transaction takes at most ${MAX_TRANSACTION_ITEMS}`,
    );
  }
  const first = notify.length ? await reserveSequence(t, id, notify.length) : 0;
  const notices = noticeWriteOps(t.name, id, first, notify, Date.now());
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    try {
      await t.doc.send(new TransactWriteCommand({ TransactItems: [write, ...jobs, ...notices] }));
      return true;
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes?.[0] === 'ConditionalCheckFailed') return false;
      if (!codes?.includes('TransactionConflict')) throw error;
      await conflictPause(attempt);
    }
  }
  throw new Error(`${what} ${id}: gave up after ${MAX_CONFLICT_RETRIES} conflicting transactions`);
}

/** Every item under `pk` whose sort key starts with `prefix`, as the JSON in its `body`, by account id. */
export async function rowBodies<T extends { accountId: string }>(
  t: TableContext,
  pk: string,
  prefix: string,
): Promise<T[]> {
  const rows: T[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const e = new Expr();
    const res = await t.doc.send(
      new QueryCommand({
        TableName: t.name,
        KeyConditionExpression: `${e.n('pk')} = ${e.v(pk)} AND begins_with(${e.n('sk')}, ${e.v(prefix)})`,
        ConsistentRead: true,
        ...e.params(),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of res.Items ?? []) rows.push(JSON.parse(String(item.body)) as T);
    start = res.LastEvaluatedKey;
  } while (start);
  return rows.sort((a, b) => a.accountId.localeCompare(b.accountId));
}
