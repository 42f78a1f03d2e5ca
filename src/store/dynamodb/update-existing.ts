/** Changing fields of an item only while it exists, so that a late write never brings back one that is gone. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TableContext } from './context.js';
import { unlessConditionFailed } from './errors.js';
import { Expr, updateExpression } from './expression.js';
import type { Key } from './table.js';

/** Sets `fields` and removes `remove` on the item at `key`; false (and nothing written) when there is no such item. */
export function updateExisting(
  t: TableContext,
  key: Key,
  fields: Record<string, unknown>,
  remove: string[] = [],
): Promise<boolean> {
  const e = new Expr();
  return unlessConditionFailed(
    t.doc.send(
      new UpdateCommand({
        TableName: t.name,
        Key: key,
        ConditionExpression: `attribute_exists(${e.n('pk')})`,
        UpdateExpression: updateExpression(
          e.set(fields),
          remove.map((name) => e.n(name)),
        ),
        ...e.params(),
      }),
    ),
  );
}
