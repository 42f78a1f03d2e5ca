/**
 * The audit trail and the seen keys in DynamoDB.
 *
 * Audit entries are put once with `attribute_not_exists(pk)` and never updated
 * or deleted by this code; the bot's IAM role denies UpdateItem and DeleteItem
 * on `AUDIT#*` partition keys (dynamodb:LeadingKeys), so the table enforces it.
 * The sort key `<at>#<writer>#<n>` keeps one writer's entries in the order it
 * wrote them, even within one millisecond.
 */
import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../store.js';
import type { TableContext } from './context.js';
import { unlessConditionFailed } from './errors.js';
import { Expr } from './expression.js';
import { AUDIT_PARTITION, auditPk, GSI2, pad, seenKey, TTL_ATTRIBUTE } from './table.js';

/** Slack redelivers for minutes and people double-click within seconds: a week is ample. */
export const SEEN_KEY_TTL_S = 7 * 24 * 3600;

const WRITER = randomBytes(4).toString('hex');
let written = 0;

interface AuditItem {
  at: number;
  requestId?: string;
  actor: string;
  action: string;
  details?: string;
}

/** The item of one audit entry; `sortKey` is given when copying an entry from elsewhere (migrate). */
export function auditItem(entry: AuditEntry, sortKey = `${pad(entry.at)}#${WRITER}#${pad(++written, 10)}`) {
  return {
    pk: auditPk(entry.requestId),
    sk: sortKey,
    at: entry.at,
    ...(entry.requestId ? { requestId: entry.requestId } : {}),
    actor: entry.actor,
    action: entry.action,
    ...(entry.details ? { details: JSON.stringify(entry.details) } : {}),
    gsi2pk: AUDIT_PARTITION,
    gsi2sk: sortKey,
  };
}

function toEntry(item: Record<string, unknown>): AuditEntry {
  const a = item as unknown as AuditItem;
  return {
    at: a.at,
    actor: a.actor,
    action: a.action,
    ...(a.requestId ? { requestId: a.requestId } : {}),
    ...(a.details ? { details: JSON.parse(a.details) as Record<string, unknown> } : {}),
  };
}

export class DynamoAudit {
  constructor(private readonly t: TableContext) {}

  /** Appends one entry; false when an entry with its key was already there (never overwritten). */
  append(entry: AuditEntry, sortKey?: string): Promise<boolean> {
    return unlessConditionFailed(
      this.t.doc.send(
        new PutCommand({
          TableName: this.t.name,
          Item: auditItem(entry, sortKey),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** A request's entries oldest first; with no request, the latest entries newest first (as SQLite). */
  async list(requestId: string | undefined, limit: number): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    if (limit <= 0) return entries;
    let startKey: Record<string, unknown> | undefined;
    do {
      const e = new Expr();
      const query = requestId
        ? { KeyConditionExpression: `${e.n('pk')} = ${e.v(auditPk(requestId))}`, ScanIndexForward: true }
        : {
            IndexName: GSI2,
            KeyConditionExpression: `${e.n('gsi2pk')} = ${e.v(AUDIT_PARTITION)}`,
            ScanIndexForward: false,
          };
      const result = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          ...query,
          ...e.params(),
          ...(requestId ? { ConsistentRead: true } : {}),
          Limit: limit - entries.length,
          ExclusiveStartKey: startKey,
        }),
      );
      entries.push(...(result.Items ?? []).map(toEntry));
      startKey = result.LastEvaluatedKey;
    } while (startKey && entries.length < limit);
    return entries;
  }

  /** True the first time `key` is seen (an expired key that TTL has not removed yet counts as unseen). */
  firstTime(key: string, now: number): Promise<boolean> {
    const nowS = Math.floor(now / 1000);
    const e = new Expr();
    return unlessConditionFailed(
      this.t.doc.send(
        new PutCommand({
          TableName: this.t.name,
          Item: { ...seenKey(key), at: now, [TTL_ATTRIBUTE]: nowS + SEEN_KEY_TTL_S },
          ConditionExpression: `attribute_not_exists(${e.n('pk')}) OR ${e.n(TTL_ATTRIBUTE)} < ${e.v(nowS)}`,
          ...e.params(),
        }),
      ),
    );
  }
}
