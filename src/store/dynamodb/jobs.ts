/**
 * Jobs in DynamoDB: one item per open job of a request and kind
 * (`REQ#<id>` / `JOB#<kind>`), deleted when done or cancelled. `token` names the
 * job's generation: it survives a reschedule (as the SQLite row id does) and a
 * new job of the same kind gets a new one, so a completion or retry by a worker
 * holding an older claim never touches a newer job. `gsi1sk` is when the job may
 * next be claimed (see table.ts).
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Job, JobKind, RequestEffects } from '../store.js';
import { claimItem } from './claim.js';
import type { TableContext, WriteOp } from './context.js';
import { unlessConditionFailed } from './errors.js';
import { Expr, updateExpression } from './expression.js';
import { moveToLane } from './migrate-job-lanes.js';
import { GSI1, JOB_PARTITIONS, jobId, jobKey, jobsPartition, parseJobId, requestPk } from './table.js';

/** Candidates read per Query page, and pages read per claim, so a claim is bounded. */
const CLAIM_PAGE = 25;
const CLAIM_PAGES = 4;

interface JobItem {
  requestId: string;
  kind: JobKind;
  dueAt: number;
  attempts: number;
  token: string;
}

export function toJob(item: Record<string, unknown>): Job {
  const job = item as unknown as JobItem;
  return {
    id: jobId(job.requestId, job.kind, job.token),
    requestId: job.requestId,
    kind: job.kind,
    dueAt: job.dueAt,
    attempts: job.attempts,
  };
}

/** Upsert of the open job: a reschedule moves it and drops any claim, keeping its token and attempts. */
function scheduleUpdate(table: string, requestId: string, kind: JobKind, dueAt: number) {
  const e = new Expr();
  const set = [
    ...e.set({ requestId, kind, dueAt, gsi1pk: jobsPartition(kind), gsi1sk: dueAt }),
    `${e.n('token')} = if_not_exists(${e.n('token')}, ${e.v(newToken())})`,
    `${e.n('attempts')} = if_not_exists(${e.n('attempts')}, ${e.v(0)})`,
  ];
  return {
    TableName: table,
    Key: jobKey(requestId, kind),
    UpdateExpression: updateExpression(set, [e.n('claimedBy'), e.n('claimedUntil')]),
    ...e.params(),
  };
}

/** The item of an open, unclaimed job. */
export function jobItem(job: {
  requestId: string;
  kind: JobKind;
  dueAt: number;
  attempts: number;
  token: string;
}) {
  return { ...jobKey(job.requestId, job.kind), ...job, gsi1pk: jobsPartition(job.kind), gsi1sk: job.dueAt };
}

/** A new job replacing any open one of its kind (cancelled and scheduled in one change). */
function freshJobPut(table: string, requestId: string, kind: JobKind, dueAt: number) {
  return { TableName: table, Item: jobItem({ requestId, kind, dueAt, attempts: 0, token: newToken() }) };
}

/** The job writes of a request change, for its transaction. */
export function jobWriteOps(
  table: string,
  requestId: string,
  effects: RequestEffects | undefined,
): WriteOp[] {
  const schedule = new Map<JobKind, number>();
  for (const job of effects?.schedule ?? []) schedule.set(job.kind, job.dueAt);
  const cancel = new Set(effects?.cancel ?? []);
  const ops: WriteOp[] = [];
  for (const kind of cancel) {
    const dueAt = schedule.get(kind);
    ops.push(
      dueAt === undefined
        ? { Delete: { TableName: table, Key: jobKey(requestId, kind) } }
        : { Put: freshJobPut(table, requestId, kind, dueAt) },
    );
  }
  for (const [kind, dueAt] of schedule) {
    if (!cancel.has(kind)) ops.push({ Update: scheduleUpdate(table, requestId, kind, dueAt) });
  }
  return ops;
}

export class DynamoJobs {
  constructor(private readonly t: TableContext) {}

  async schedule(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<void> {
    await this.t.doc.send(new UpdateCommand(scheduleUpdate(this.t.name, job.requestId, job.kind, job.dueAt)));
  }

  /** Writes the job only if none of its request and kind is open (a done job's item is gone). */
  async ensure(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<boolean> {
    return unlessConditionFailed(
      this.t.doc.send(
        new PutCommand({
          ...freshJobPut(this.t.name, job.requestId, job.kind, job.dueAt),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** Moves the open job forward only while unclaimed (a claim is never dropped): see Store.expediteJob. */
  async expedite(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<boolean> {
    const e = new Expr();
    return unlessConditionFailed(
      this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.name,
          Key: jobKey(job.requestId, job.kind),
          ConditionExpression: `attribute_exists(${e.n('pk')}) AND attribute_not_exists(${e.n('claimedBy')}) AND ${e.n('dueAt')} > ${e.v(job.dueAt)}`,
          UpdateExpression: updateExpression(e.set({ dueAt: job.dueAt, gsi1sk: job.dueAt })),
          ...e.params(),
        }),
      ),
    );
  }

  async cancel(requestId: string, kinds?: JobKind[]): Promise<void> {
    const targets = kinds?.length ? kinds : (await this.pending(requestId)).map((j) => j.kind);
    for (const kind of new Set(targets)) {
      await this.t.doc.send(new DeleteCommand({ TableName: this.t.name, Key: jobKey(requestId, kind) }));
    }
  }

  /**
   * Reads claimable jobs lane by lane (interactive jobs, cleanups first, then bulk
   * work: see JOB_PARTITIONS), each in due order, and claims the
   * first one whose conditional update succeeds. A loser moves on to the next
   * candidate; at most CLAIM_PAGES pages are read per lane. With `kinds`, only the
   * lanes holding those kinds are read, and other kinds are passed over.
   */
  async claim(
    workerId: string,
    now: number,
    leaseMs: number,
    kinds?: readonly JobKind[],
  ): Promise<Job | undefined> {
    for (const partition of Object.values(JOB_PARTITIONS)) {
      if (kinds && !kinds.some((kind) => jobsPartition(kind) === partition)) continue;
      const job = await this.claimIn(partition, workerId, now, leaseMs, kinds);
      if (job) return job;
    }
    return undefined;
  }

  private async claimIn(
    partition: string,
    workerId: string,
    now: number,
    leaseMs: number,
    kinds?: readonly JobKind[],
  ): Promise<Job | undefined> {
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < CLAIM_PAGES; page++) {
      const e = new Expr();
      const result = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          IndexName: GSI1,
          KeyConditionExpression: `${e.n('gsi1pk')} = ${e.v(partition)} AND ${e.n('gsi1sk')} <= ${e.v(now)}`,
          ...e.params(),
          Limit: CLAIM_PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      const items = result.Items ?? [];
      // Written by a replica still on schema 1 (during a deploy): moved to its lane, where it is claimed.
      for (const stray of items.filter((item) => jobsPartition(item.kind as JobKind) !== partition)) {
        await moveToLane(this.t, stray);
      }
      // Cleanups first (as in SQLite): an overdue preview or execute never delays closing a window.
      // The sort is stable, so due order holds otherwise; it applies within a page of candidates.
      const candidates = items
        .filter((item) => !kinds || kinds.includes(item.kind as JobKind))
        .sort((a, b) => Number(b.kind === 'cleanup') - Number(a.kind === 'cleanup'));
      for (let i = 0; i < candidates.length; i++) {
        const job = await this.claimOne(candidates[i] as Record<string, unknown>, workerId, now, leaseMs);
        if (job) return job;
        // Lost to another worker: the others read the same page, so go on from a random later
        // candidate rather than race them down the list one by one. Alone, a worker never loses,
        // and takes jobs strictly in due order.
        shuffleTail(candidates, i + 1);
      }
      startKey = result.LastEvaluatedKey;
      if (!startKey) return undefined;
    }
    return undefined;
  }

  private async claimOne(
    candidate: Record<string, unknown>,
    workerId: string,
    now: number,
    leaseMs: number,
  ): Promise<Job | undefined> {
    const { requestId, kind, token } = candidate as unknown as JobItem;
    const until = now + leaseMs;
    const claimed = await claimItem(
      this.t,
      jobKey(requestId, kind),
      // Still this generation, and still claimable: not taken since the index was read.
      (e) => `${e.n('token')} = ${e.v(token)} AND ${e.n('gsi1sk')} <= ${e.v(now)}`,
      { claimedBy: workerId, claimedUntil: until, gsi1sk: until + 1 },
    );
    return claimed ? toJob(claimed) : undefined;
  }

  async renew(id: string, workerId: string, until: number): Promise<boolean> {
    const job = parseJobId(id);
    if (!job) return false;
    const e = new Expr();
    return unlessConditionFailed(
      this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.name,
          Key: jobKey(job.requestId, job.kind),
          ConditionExpression: `${e.n('token')} = ${e.v(job.token)} AND ${e.n('claimedBy')} = ${e.v(workerId)}`,
          UpdateExpression: updateExpression(e.set({ claimedUntil: until, gsi1sk: until + 1 })),
          ...e.params(),
        }),
      ),
    );
  }

  /** Done: the item goes, but only while `workerId` still holds this generation. */
  async complete(id: string, workerId: string): Promise<void> {
    const job = parseJobId(id);
    if (!job) return;
    const e = new Expr();
    await unlessConditionFailed(
      this.t.doc.send(
        new DeleteCommand({
          TableName: this.t.name,
          Key: jobKey(job.requestId, job.kind),
          ConditionExpression: `${e.n('token')} = ${e.v(job.token)} AND ${e.n('claimedBy')} = ${e.v(workerId)}`,
          ...e.params(),
        }),
      ),
    );
  }

  async retry(id: string, dueAt: number, workerId?: string): Promise<void> {
    const job = parseJobId(id);
    if (!job) return;
    const e = new Expr();
    const holder = workerId === undefined ? '' : ` AND ${e.n('claimedBy')} = ${e.v(workerId)}`;
    await unlessConditionFailed(
      this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.name,
          Key: jobKey(job.requestId, job.kind),
          ConditionExpression: `${e.n('token')} = ${e.v(job.token)}${holder}`,
          UpdateExpression: updateExpression(e.set({ dueAt, gsi1sk: dueAt }), [
            e.n('claimedBy'),
            e.n('claimedUntil'),
          ]),
          ...e.params(),
        }),
      ),
    );
  }

  async pending(requestId: string): Promise<Job[]> {
    const e = new Expr();
    const result = await this.t.doc.send(
      new QueryCommand({
        TableName: this.t.name,
        KeyConditionExpression: `${e.n('pk')} = ${e.v(requestPk(requestId))} AND begins_with(${e.n('sk')}, ${e.v('JOB#')})`,
        ...e.params(),
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).map(toJob).sort((a, b) => a.dueAt - b.dueAt);
  }
}

function shuffleTail(items: unknown[], from: number): void {
  for (let i = items.length - 1; i > from; i--) {
    const j = from + Math.floor(Math.random() * (i - from + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

function newToken(): string {
  return randomUUID().replaceAll('-', '').slice(0, 16);
}
