/**
 * Schema 1 → 2: bulk jobs leave the `JOBS` partition of gsi1 for their own
 * lane (see JOB_PARTITIONS). Each move is conditioned on the job
 * still being the same generation in `JOBS`, so a job another replica claimed,
 * rescheduled or finished meanwhile is left as that replica wrote it. A replica
 * still running the old code during a deploy may write more of them into `JOBS`:
 * a claim that meets one there moves it too (see DynamoJobs.claim).
 */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobKind } from '../store.js';
import type { TableContext } from './context.js';
import { unlessConditionFailed } from './errors.js';
import { Expr, updateExpression } from './expression.js';
import { GSI1, JOB_PARTITIONS, jobKey, jobsPartition } from './table.js';

export async function moveJobsToLanes(t: TableContext): Promise<number> {
  let moved = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const e = new Expr();
    const page = await t.doc.send(
      new QueryCommand({
        TableName: t.name,
        IndexName: GSI1,
        KeyConditionExpression: `${e.n('gsi1pk')} = ${e.v(JOB_PARTITIONS.urgent)}`,
        ...e.params(),
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (await moveToLane(t, item)) moved++;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return moved;
}

/** Moves a job found in `JOBS` to its own lane; false when it belongs there or changed meanwhile. */
export async function moveToLane(t: TableContext, item: Record<string, unknown>): Promise<boolean> {
  const kind = item.kind as JobKind;
  const lane = jobsPartition(kind);
  if (lane === JOB_PARTITIONS.urgent) return false;
  const e = new Expr();
  return unlessConditionFailed(
    t.doc.send(
      new UpdateCommand({
        TableName: t.name,
        Key: jobKey(item.requestId as string, kind),
        ConditionExpression: `${e.n('token')} = ${e.v(item.token)} AND ${e.n('gsi1pk')} = ${e.v(JOB_PARTITIONS.urgent)}`,
        UpdateExpression: updateExpression(e.set({ gsi1pk: lane })),
        ...e.params(),
      }),
    ),
  );
}
