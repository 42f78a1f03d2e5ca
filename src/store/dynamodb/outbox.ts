/**
 * The outbox in DynamoDB. A notice is an item in its request's partition at
 * `OUT#<seq>`, where `seq` is reserved from the request's `SEQ` counter just
 * before the transaction that writes the notices: per-request order is the
 * sequence order, whichever replica wrote them. A
 * pending notice carries gsi1 keys in the `OUTBOX` partition (oldest first);
 * sent and failed ones drop them. A Slack rate limit holds its target with one
 * `TARGET#<target>` item read at claim time, never by rewriting its notices.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Delivery, deliveryTarget } from '../../domain/notice.js';
import type { DeliveryBacklog, OutboxItem } from '../store.js';
import { claimItem } from './claim.js';
import type { TableContext, WriteOp } from './context.js';
import { unlessConditionFailed } from './errors.js';
import { Expr, updateExpression } from './expression.js';
import {
  GSI1,
  noticeId,
  noticeKey,
  OUTBOX_PARTITION,
  parseNoticeId,
  requestPk,
  sequenceKey,
  TTL_ATTRIBUTE,
  targetKey,
} from './table.js';
import { updateExisting } from './update-existing.js';

/** Candidates read per Query page, and pages read per claim, so a claim is bounded. */
const CLAIM_PAGE = 50;
const CLAIM_PAGES = 10;
/** A target hold is kept this long after it ends, then TTL removes it. */
const HOLD_RETENTION_S = 24 * 3600;

export type NoticeStatus = 'pending' | 'sent' | 'failed';

interface NoticeItem {
  requestId: string;
  seq: number;
  delivery: string;
  target: string;
  status: NoticeStatus;
  attempts: number;
  createdAt: number;
  nextAt: number;
  lastError?: string;
}

function toOutboxItem(item: Record<string, unknown>): OutboxItem {
  const n = item as unknown as NoticeItem;
  return {
    id: noticeId(n.requestId, n.seq),
    requestId: n.requestId,
    delivery: JSON.parse(n.delivery) as Delivery,
    attempts: n.attempts,
    createdAt: n.createdAt,
    ...(n.lastError ? { lastError: n.lastError } : {}),
  };
}

/**
 * Reserves `count` sequence numbers for a request's next notices, atomically
 * (`ADD` on its `SEQ` item): returns the first. Reserved before the transaction
 * that writes the notices; a transaction that then loses leaves a gap, which is
 * harmless (order is by sequence, not by contiguity). A change based on version
 * v reserves after v was committed, so its notices follow v's.
 */
export async function reserveSequence(t: TableContext, requestId: string, count: number): Promise<number> {
  const e = new Expr();
  const result = await t.doc.send(
    new UpdateCommand({
      TableName: t.name,
      Key: sequenceKey(requestId),
      UpdateExpression: `ADD ${e.n('n')} ${e.v(count)}`,
      ...e.params(),
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return (result.Attributes?.n as number) - count + 1;
}

/** One put per notice, at sequence `first`, `first + 1`… */
export function noticeWriteOps(
  table: string,
  requestId: string,
  first: number,
  deliveries: Delivery[],
  now: number,
): WriteOp[] {
  return deliveries.map((delivery, i) => ({
    Put: {
      TableName: table,
      Item: pendingNoticeItem(requestId, first + i, delivery, now),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  }));
}

export function pendingNoticeItem(requestId: string, seq: number, delivery: Delivery, createdAt: number) {
  return {
    ...noticeKey(requestId, seq),
    requestId,
    seq,
    delivery: JSON.stringify(delivery),
    target: deliveryTarget(delivery),
    status: 'pending' satisfies NoticeStatus,
    attempts: 0,
    nextAt: 0,
    createdAt,
    gsi1pk: OUTBOX_PARTITION,
    gsi1sk: createdAt,
  };
}

export class DynamoOutbox {
  constructor(private readonly t: TableContext) {}

  /**
   * The oldest due notice that heads its request's queue and whose target is
   * not held, claimed with a conditional update (a lost race moves on).
   */
  async claim(workerId: string, now: number, leaseMs: number): Promise<OutboxItem | undefined> {
    /** per request, the lowest sequence passed over: its later notices wait behind it */
    const passed = new Map<string, number>();
    const holds = new Map<string, number>();
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < CLAIM_PAGES; page++) {
      const e = new Expr();
      const result = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          IndexName: GSI1,
          KeyConditionExpression: `${e.n('gsi1pk')} = ${e.v(OUTBOX_PARTITION)}`,
          FilterExpression: `${e.n('nextAt')} <= ${e.v(now)} AND ${claimable(e, now)}`,
          ...e.params(),
          Limit: CLAIM_PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const candidate of (result.Items ?? []) as unknown as NoticeItem[]) {
        // The index orders by creation time, not sequence: a passed-over notice blocks later ones only.
        if (candidate.seq > (passed.get(candidate.requestId) ?? Number.POSITIVE_INFINITY)) continue;
        passed.set(candidate.requestId, candidate.seq);
        if (await this.hasEarlierPending(candidate)) continue;
        if ((await this.holdUntil(candidate.target, holds)) > now) continue;
        const claimed = await this.claimOne(candidate, workerId, now, leaseMs);
        if (claimed) return claimed;
      }
      startKey = result.LastEvaluatedKey;
      if (!startKey) return undefined;
    }
    return undefined;
  }

  private async hasEarlierPending(notice: NoticeItem): Promise<boolean> {
    if (notice.seq <= 1) return false;
    let startKey: Record<string, unknown> | undefined;
    do {
      // Fresh placeholders per page: a second page with the first page's names would carry unused ones.
      const e = new Expr();
      const result = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          KeyConditionExpression: `${e.n('pk')} = ${e.v(requestPk(notice.requestId))} AND ${e.n('sk')} BETWEEN ${e.v(noticeKey(notice.requestId, 0).sk)} AND ${e.v(noticeKey(notice.requestId, notice.seq - 1).sk)}`,
          FilterExpression: `${e.n('status')} = ${e.v('pending')}`,
          ...e.params(),
          ConsistentRead: true,
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      if ((result.Count ?? 0) > 0) return true;
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return false;
  }

  private async holdUntil(target: string, cache: Map<string, number>): Promise<number> {
    const cached = cache.get(target);
    if (cached !== undefined) return cached;
    const result = await this.t.doc.send(
      new GetCommand({ TableName: this.t.name, Key: targetKey(target), ConsistentRead: true }),
    );
    const until = (result.Item?.until as number | undefined) ?? 0;
    cache.set(target, until);
    return until;
  }

  private async claimOne(
    notice: NoticeItem,
    workerId: string,
    now: number,
    leaseMs: number,
  ): Promise<OutboxItem | undefined> {
    const claimed = await claimItem(
      this.t,
      noticeKey(notice.requestId, notice.seq),
      (e) =>
        `${e.n('status')} = ${e.v('pending')} AND ${e.n('nextAt')} <= ${e.v(now)} AND ${claimable(e, now)}`,
      { claimedBy: workerId, claimedUntil: now + leaseMs },
    );
    return claimed ? toOutboxItem(claimed) : undefined;
  }

  async sent(id: string, now: number): Promise<void> {
    await this.finish(id, { status: 'sent', doneAt: now });
  }

  async failed(id: string, error: string, now: number): Promise<void> {
    await this.finish(id, { status: 'failed', doneAt: now, lastError: error });
  }

  private async finish(id: string, fields: Record<string, unknown>): Promise<void> {
    const notice = parseNoticeId(id);
    if (!notice) return;
    // Out of the OUTBOX index: the backlog and the claim query see pending notices only.
    await updateExisting(this.t, noticeKey(notice.requestId, notice.seq), fields, [
      'claimedBy',
      'gsi1pk',
      'gsi1sk',
    ]);
  }

  async retry(id: string, at: number, error: string): Promise<void> {
    const notice = parseNoticeId(id);
    if (!notice) return;
    const e = new Expr();
    await unlessConditionFailed(
      this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.name,
          Key: noticeKey(notice.requestId, notice.seq),
          ConditionExpression: `${e.n('status')} = ${e.v('pending')}`,
          UpdateExpression: updateExpression(e.set({ nextAt: at, lastError: error }), [
            e.n('claimedBy'),
            e.n('claimedUntil'),
          ]),
          ...e.params(),
        }),
      ),
    );
  }

  /** Holds the target until `until` (keeping a later hold already there). */
  async defer(target: string, until: number): Promise<void> {
    const e = new Expr();
    await unlessConditionFailed(
      this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.name,
          Key: targetKey(target),
          ConditionExpression: `attribute_not_exists(${e.n('until')}) OR ${e.n('until')} < ${e.v(until)}`,
          UpdateExpression: updateExpression(
            e.set({ until, [TTL_ATTRIBUTE]: Math.ceil(until / 1000) + HOLD_RETENTION_S }),
          ),
          ...e.params(),
        }),
      ),
    );
  }

  async backlog(): Promise<DeliveryBacklog> {
    const e = new Expr();
    const base = {
      TableName: this.t.name,
      IndexName: GSI1,
      KeyConditionExpression: `${e.n('gsi1pk')} = ${e.v(OUTBOX_PARTITION)}`,
      ...e.params(),
    };
    const oldest = await this.t.doc.send(new QueryCommand({ ...base, Limit: 1 }));
    const first = oldest.Items?.[0] as NoticeItem | undefined;
    if (!first) return { pending: 0 };
    let pending = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.t.doc.send(
        new QueryCommand({ ...base, Select: 'COUNT', ExclusiveStartKey: startKey }),
      );
      pending += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { pending, oldestAt: first.createdAt };
  }

  async list(requestId: string): Promise<(OutboxItem & { status: NoticeStatus; lastError?: string })[]> {
    const items: NoticeItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const e = new Expr();
      const result = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          KeyConditionExpression: `${e.n('pk')} = ${e.v(requestPk(requestId))} AND begins_with(${e.n('sk')}, ${e.v('OUT#')})`,
          ...e.params(),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((result.Items ?? []) as unknown as NoticeItem[]));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    // toOutboxItem carries lastError.
    return items.map((n) => ({ ...toOutboxItem(n as unknown as Record<string, unknown>), status: n.status }));
  }
}

/** Not held by a live lease. */
function claimable(e: Expr, now: number): string {
  return `(attribute_not_exists(${e.n('claimedUntil')}) OR ${e.n('claimedUntil')} < ${e.v(now)})`;
}
