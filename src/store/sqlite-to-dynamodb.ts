/**
 * `breakglass migrate`: copies an SQLite database into a DynamoDB table, so that
 * a team can start on one host and move to several replicas. Every item is put
 * with `attribute_not_exists`, under a key derived from the SQLite row, so a
 * second run copies nothing twice (and overwrites nothing the bot has written
 * since). Copied: requests (with their version and message), open jobs (without
 * claims: stop the SQLite bot first, a claim held there just runs again here),
 * every notice with its status, and the audit trail. Not copied: finished jobs
 * (nothing reads them) and seen keys (they matter for minutes).
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Database from 'better-sqlite3';
import pLimit from 'p-limit';
import type { Delivery } from '../domain/notice.js';
import type { BreakglassRequest } from '../domain/request.js';
import { auditItem } from './dynamodb/audit.js';
import type { TableContext } from './dynamodb/context.js';
import { unlessConditionFailed } from './dynamodb/errors.js';
import { Expr, updateExpression } from './dynamodb/expression.js';
import { jobItem } from './dynamodb/jobs.js';
import { pendingNoticeItem } from './dynamodb/outbox.js';
import { requestItem } from './dynamodb/requests.js';
import { pad, sequenceKey } from './dynamodb/table.js';
import type { AuditRow, JobRow, OutboxRow, RequestRow } from './sqlite-rows.js';
import { SQLITE_SCHEMA_VERSION } from './sqlite-store.js';
import { newerSchemaError, StoreError } from './store-error.js';

export interface CopyCount {
  copied: number;
  /** already in the table (an earlier run) */
  present: number;
}

export interface CopyReport {
  requests: CopyCount;
  jobs: CopyCount;
  notices: CopyCount;
  audit: CopyCount;
}

/** Puts in flight at once. */
const COPY_CONCURRENCY = 16;

export async function copySqliteToDynamo(file: string, target: TableContext): Promise<CopyReport> {
  const db = openSource(file);
  try {
    const limit = pLimit(COPY_CONCURRENCY);
    const putAll = async (items: Record<string, unknown>[]): Promise<CopyCount> => {
      const results = await Promise.all(items.map((item) => limit(() => putNew(target, item))));
      return { copied: results.filter(Boolean).length, present: results.filter((r) => !r).length };
    };

    const requests = await putAll(
      db
        .prepare<[], RequestRow>(
          'SELECT body, version, message_channel, message_ts FROM requests ORDER BY created_at',
        )
        .all()
        .map((r) => ({
          ...requestItem(JSON.parse(r.body) as BreakglassRequest, r.version),
          ...(r.message_channel && r.message_ts
            ? { messageChannel: r.message_channel, messageTs: r.message_ts }
            : {}),
        })),
    );

    const jobs = await putAll(
      db
        .prepare<[], JobRow>(
          'SELECT id, request_id, kind, due_at, attempts FROM jobs WHERE done = 0 ORDER BY id',
        )
        .all()
        .map((j) =>
          jobItem({
            requestId: j.request_id,
            kind: j.kind,
            dueAt: j.due_at,
            attempts: j.attempts,
            token: `s${j.id}`,
          }),
        ),
    );

    // SQLite notice ids grow in write order across requests: as sequence numbers they keep each request's order.
    const outbox = db
      .prepare<[], OutboxRow>(
        'SELECT id, request_id, delivery, status, next_at, attempts, last_error, created_at, done_at FROM outbox ORDER BY id',
      )
      .all();
    const notices = await putAll(outbox.map(noticeItem));
    const lastSeq = new Map<string, number>();
    for (const n of outbox) lastSeq.set(n.request_id, Math.max(n.id, lastSeq.get(n.request_id) ?? 0));
    for (const [requestId, seq] of lastSeq) await advanceSequence(target, requestId, seq);

    const audit = await putAll(
      db
        .prepare<[], AuditRow>('SELECT id, at, request_id, actor, action, details FROM audit ORDER BY id')
        .all()
        .map((a) =>
          auditItem(
            {
              at: a.at,
              actor: a.actor,
              action: a.action,
              ...(a.request_id ? { requestId: a.request_id } : {}),
              ...(a.details ? { details: JSON.parse(a.details) as Record<string, unknown> } : {}),
            },
            `${pad(a.at)}#sqlite#${pad(a.id, 10)}`,
          ),
        ),
    );
    return { requests, jobs, notices, audit };
  } finally {
    db.close();
  }
}

function openSource(file: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new StoreError(
      'unreadable',
      `cannot open the SQLite database ${file}: ${(error as Error).message}`,
    );
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SQLITE_SCHEMA_VERSION) {
    db.close();
    throw newerSchemaError(`the SQLite database ${file}`, version, SQLITE_SCHEMA_VERSION);
  }
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
    .all();
  const missing = ['requests', 'jobs', 'outbox', 'audit'].filter(
    (t) => !tables.some((row) => row.name === t),
  );
  if (missing.length) {
    db.close();
    throw new StoreError(
      'wrong-table',
      `${file} is not a breakglass database (no ${missing.join(', ')} table)`,
    );
  }
  return db;
}

function putNew(target: TableContext, item: Record<string, unknown>): Promise<boolean> {
  return unlessConditionFailed(
    target.doc.send(
      new PutCommand({ TableName: target.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    ),
  );
}

function noticeItem(n: OutboxRow): Record<string, unknown> {
  const { gsi1pk, gsi1sk, ...base } = pendingNoticeItem(
    n.request_id,
    n.id,
    JSON.parse(n.delivery) as Delivery,
    n.created_at,
  );
  return {
    ...base,
    status: n.status,
    attempts: n.attempts,
    nextAt: n.next_at,
    ...(n.last_error ? { lastError: n.last_error } : {}),
    ...(n.done_at ? { doneAt: n.done_at } : {}),
    // Only pending notices are in the OUTBOX index.
    ...(n.status === 'pending' ? { gsi1pk, gsi1sk } : {}),
  };
}

/** New notices of the request must follow the copied ones. */
async function advanceSequence(target: TableContext, requestId: string, seq: number): Promise<void> {
  const e = new Expr();
  await unlessConditionFailed(
    target.doc.send(
      new UpdateCommand({
        TableName: target.name,
        Key: sequenceKey(requestId),
        ConditionExpression: `attribute_not_exists(${e.n('n')}) OR ${e.n('n')} < ${e.v(seq)}`,
        UpdateExpression: updateExpression(e.set({ n: seq })),
        ...e.params(),
      }),
    ),
  );
}
