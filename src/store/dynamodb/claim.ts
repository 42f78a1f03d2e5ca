/**
 * Taking one job or notice for a worker: a conditional update that records the
 * claim and counts the attempt, so that of two workers reading the same
 * candidate only one gets it.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TableContext } from './context.js';
import { isConditionFailed } from './errors.js';
import { Expr, updateExpression } from './expression.js';
import type { Key } from './table.js';

/**
 * Sets `fields` and adds one to `attempts` on the item at `key` while
 * `condition` (built with the same placeholders) holds. Returns the item as it
 * is now, or undefined when the condition failed: another worker took it first.
 */
export async function claimItem(
  t: TableContext,
  key: Key,
  condition: (e: Expr) => string,
  fields: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  const e = new Expr();
  try {
    const result = await t.doc.send(
      new UpdateCommand({
        TableName: t.name,
        Key: key,
        ConditionExpression: condition(e),
        UpdateExpression: updateExpression([
          ...e.set(fields),
          `${e.n('attempts')} = ${e.n('attempts')} + ${e.v(1)}`,
        ]),
        ...e.params(),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes;
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
}
