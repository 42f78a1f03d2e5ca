/**
 * Store throughput, SQLite and DynamoDB side by side in one run: approvals per
 * second (compare-and-set request updates carrying their jobs and notices, as a
 * click writes them) and job claims per second (claim + complete), each with two
 * store instances (two replicas) working at once. DynamoDB is dynalite started
 * in this process, so its figures measure the store's round trips and
 * conditions on this machine, not AWS latency.
 *
 * `tsx bench/store.ts` prints the figures; bench/run.ts can call benchStore().
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { RequestEffects, Store } from '../src/store/store.js';
import { freshDynamoStore, openDynamoStore, startLocalDynamoDb } from '../test/support/dynamodb-env.js';
import { requestFixture } from '../test/support/fixtures.js';

const REQUESTS = 150;
const JOBS = 300;
/** operations in flight at once, spread over the two instances */
const IN_FLIGHT = 8;

export interface StoreThroughput {
  /** successful compare-and-set approvals per second (two per request) */
  approvalsPerSecond: number;
  /** approvals that lost a compare-and-set and were decided again */
  conflicts: number;
  /** due jobs claimed and completed per second */
  claimsPerSecond: number;
}

export interface StoreBench {
  requests: number;
  jobs: number;
  inFlight: number;
  sqlite: StoreThroughput;
  dynamodb: StoreThroughput;
}

/** Runs `work` for items 0..count-1, IN_FLIGHT at a time, alternating between the two instances. */
async function spread(stores: Store[], count: number, work: (store: Store, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, lane) => {
      const store = stores[lane % stores.length] as Store;
      for (let i = next++; i < count; i = next++) await work(store, i);
    }),
  );
}

const FIRST: RequestEffects = { notify: [{ to: 'update' }] };
const SECOND: RequestEffects = {
  schedule: [
    { kind: 'execute', dueAt: 0 },
    { kind: 'cleanup', dueAt: 3_600_000 },
  ],
  cancel: ['nudge', 'expire'],
  notify: [{ to: 'update' }],
};

async function measure(stores: [Store, Store]): Promise<StoreThroughput> {
  const [store] = stores;
  for (let i = 0; i < REQUESTS; i++) {
    await store.createRequest(requestFixture(`BG-B${i}`), {
      schedule: [
        { kind: 'nudge', dueAt: 1e12 },
        { kind: 'expire', dueAt: 1e12 },
      ],
      notify: [{ to: 'post' }],
    });
  }
  // Two approvers click every request at once, through different replicas.
  let conflicts = 0;
  const approve = async (s: Store, id: string, approver: string) => {
    for (;;) {
      const stored = await s.getRequest(id);
      if (!stored) throw new Error(`no ${id}`);
      const approvals = [...stored.request.approvals, { userId: approver, at: Date.now() }];
      const effects = approvals.length === 2 ? SECOND : FIRST;
      const next = {
        ...stored.request,
        approvals,
        state: approvals.length === 2 ? 'executing' : 'pending',
      } as const;
      if (await s.updateRequest(id, stored.version, next, effects)) return;
      conflicts += 1;
    }
  };
  let started = performance.now();
  await spread(stores, REQUESTS * 2, (s, i) =>
    approve(s, `BG-B${i >> 1}`, i % 2 ? 'UAPPROVERB' : 'UAPPROVERA'),
  );
  const approvalsPerSecond = (REQUESTS * 2) / ((performance.now() - started) / 1000);

  for (let i = 0; i < JOBS; i++)
    await store.scheduleJob({ requestId: `BG-J${i}`, kind: 'cleanup', dueAt: i });
  // Due as well: the execute job of every approved request.
  const due = JOBS + REQUESTS;
  let claimed = 0;
  started = performance.now();
  await spread(stores, IN_FLIGHT, async (s, lane) => {
    for (let n = 0; n < due; n++) {
      const job = await s.claimDueJob(`w${lane}`, JOBS, 60_000);
      if (!job) return;
      await s.completeJob(job.id, `w${lane}`);
      claimed += 1;
    }
  });
  const claimsPerSecond = claimed / ((performance.now() - started) / 1000);
  if (claimed !== due) throw new Error(`claimed ${claimed} of ${due} due jobs`);
  return { approvalsPerSecond, conflicts, claimsPerSecond };
}

export async function benchStore(): Promise<StoreBench> {
  const file = join(mkdtempSync(join(tmpdir(), 'bg-bench-store-')), 'breakglass.db');
  const sqliteStores: [Store, Store] = [new SqliteStore(file), new SqliteStore(file)];
  const sqlite = await measure(sqliteStores).finally(() => Promise.all(sqliteStores.map((s) => s.close())));

  const local = await startLocalDynamoDb();
  try {
    const first = await freshDynamoStore(local);
    const dynamoStores: [Store, Store] = [first, await openDynamoStore(local, first.table)];
    const dynamodb = await measure(dynamoStores).finally(() =>
      Promise.all(dynamoStores.map((s) => s.close())),
    );
    return { requests: REQUESTS, jobs: JOBS, inFlight: IN_FLIGHT, sqlite, dynamodb };
  } finally {
    await local.close();
  }
}

export function describeStoreBench(b: StoreBench): string {
  const row = (name: string, t: StoreThroughput) =>
    `${name}: ${t.approvalsPerSecond.toFixed(0)} approvals/s (${t.conflicts} lost compare-and-sets decided again), ${t.claimsPerSecond.toFixed(0)} job claims/s`;
  return [
    `store, two instances, ${b.inFlight} operations in flight, ${b.requests} requests x 2 approvals, ${b.jobs + b.requests} due jobs:`,
    `  ${row('SQLite (one file, WAL)', b.sqlite)}`,
    `  ${row('DynamoDB (dynalite in-process)', b.dynamodb)}`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(describeStoreBench(await benchStore()));
}
