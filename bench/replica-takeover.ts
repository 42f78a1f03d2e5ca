/**
 * Cleanup lag after the replica holding a cleanup's lease is killed: two bot
 * processes on one DynamoDB table (dynalite), 1 s leases; AWS is made slow so
 * that the claiming replica is inside the cleanup, renewing its lease, when it
 * gets SIGKILL. Measured: from the kill to the other replica's verified
 * cleanup. Target: the lease plus one tick (plus the cleanup's own AWS calls).
 *
 * `tsx bench/replica-takeover.ts` prints the figures; bench/run.ts can call benchTakeoverLag().
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { jobKey } from '../src/store/dynamodb/table.js';
import { memberId, seedMembers } from '../test/fakes/aws/sample-org.js';
import { FakeAws } from '../test/fakes/aws/server.js';
import { FakeSlack } from '../test/fakes/slack/server.js';
import { APPROVER_A, APPROVER_B, APPROVER_GROUP, REQUESTER, waitFor } from '../test/support/bot-env.js';
import { modalValues } from '../test/support/bot-flows.js';
import { startBotProcess } from '../test/support/bot-process.js';
import { freshDynamoStore, startLocalDynamoDb } from '../test/support/dynamodb-env.js';
import { percentile } from './live-bot.js';

const RUNS = 3;
const LEASE_MS = 1000;
/** botEnvironment's tick */
const TICK_MS = 100;

export interface TakeoverBench {
  runs: number;
  leaseMs: number;
  tickMs: number;
  /** kill to verified cleanup, per run */
  lagsMs: number[];
  p50: number;
  max: number;
}

export async function benchTakeoverLag(runs = RUNS): Promise<TakeoverBench> {
  const local = await startLocalDynamoDb();
  const aws = await FakeAws.start();
  seedMembers(aws, runs, 0);
  const slack = await FakeSlack.start();
  slack.groups.set(APPROVER_GROUP, [APPROVER_B]);
  const children: ChildProcess[] = [];
  const lagsMs: number[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const store = await freshDynamoStore(local);
      const env = {
        BREAKGLASS_STORE: 'dynamodb',
        BREAKGLASS_TABLE: store.table,
        AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
        BREAKGLASS_JOB_LEASE: `${LEASE_MS / 1000}s`,
        BREAKGLASS_DURATIONS: '2s',
        BREAKGLASS_REMIND_BEFORE: '1s',
      };
      const dbFile = join(mkdtempSync(join(tmpdir(), 'bg-takeover-')), 'unused.db');
      const replicas = await Promise.all([
        startBotProcess(aws, slack, dbFile, env, children),
        startBotProcess(aws, slack, dbFile, env, children),
      ]);
      const account = memberId(run);
      await replicas[0].client.viewSubmission(REQUESTER, {
        callback_id: 'bg_request',
        values: modalValues({ account, duration: '2', justification: 'takeover bench' }),
      });
      const request = await waitFor(
        'the preview',
        async () => {
          const r = (await store.listRequests({ requesterId: REQUESTER, limit: 1 }))[0]?.request;
          return r?.preview?.status === 'ready' ? r : undefined;
        },
        30_000,
      );
      const value = JSON.stringify({ id: request.id, h: request.contentHash });
      await replicas[0].client.blockAction(APPROVER_A, { action_id: 'bg_approve', value });
      await replicas[1].client.blockAction(APPROVER_B, { action_id: 'bg_approve', value });
      await waitFor(
        'the window',
        async () => ((await store.getRequest(request.id))?.request.state === 'active' ? true : undefined),
        30_000,
      );
      aws.latencyMs = 60_000;
      const holderId = await waitFor(
        'the cleanup claim',
        async () =>
          (
            await store.context.doc.send(
              new GetCommand({
                TableName: store.table,
                Key: jobKey(request.id, 'cleanup'),
                ConsistentRead: true,
              }),
            )
          ).Item?.claimedBy as string | undefined,
        30_000,
      );
      // A claim is named `<worker id>:<claim number>`: the worker id names the replica.
      const holder = replicas.find((r) => holderId.startsWith(`${r.schedulerWorker}:`));
      if (!holder) throw new Error(`no replica has worker ${holderId}`);
      holder.child.kill('SIGKILL');
      await holder.exited;
      const killedAt = Date.now();
      aws.latencyMs = 0;
      const closed = await waitFor(
        'the takeover',
        async () => {
          const r = (await store.getRequest(request.id))?.request;
          return r?.state === 'closed' ? r : undefined;
        },
        30_000,
      );
      lagsMs.push((closed.cleanup?.verifiedAt ?? Date.now()) - killedAt);
      for (const child of children.splice(0)) child.kill('SIGKILL');
      await store.close();
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await slack.close();
    await aws.close();
    await local.close();
  }
  return {
    runs,
    leaseMs: LEASE_MS,
    tickMs: TICK_MS,
    lagsMs,
    p50: percentile(lagsMs, 50),
    max: Math.max(...lagsMs),
  };
}

export function describeTakeoverBench(b: TakeoverBench): string {
  return (
    `cleanup lag after killing the lease-holding replica (${b.runs} runs, lease ${b.leaseMs} ms, tick ${b.tickMs} ms): ` +
    `p50 ${b.p50} ms, max ${b.max} ms (runs: ${b.lagsMs.join(', ')} ms; target lease + one tick = ${b.leaseMs + b.tickMs} ms, plus the cleanup's AWS calls)`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(describeTakeoverBench(await benchTakeoverLag()));
  process.exit(0);
}
