/**
 * Org-wide audits in DynamoDB. One lock item (`ORGAUDIT`/`LOCK`, attribute
 * `runningId`) makes at most one audit run at a time across replicas: starting
 * sets it on condition that it is absent, in the transaction that writes the
 * run, its job and its first notices; finishing removes it on condition that it
 * names the run, in the transaction that marks the run done and writes the last
 * notices. A run is `ORGAUDIT#<id>`/`RUN`, with its fields as attributes (the
 * job and the delivery worker update different ones); each account's row is
 * `ORGAUDIT#<id>`/`ROW#<account>` (a few hundred bytes: the CSV is regenerated
 * from them, never stored whole, so no item nears DynamoDB's 400 KB limit).
 */
import { BatchWriteCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Delivery } from '../../domain/notice.js';
import type { OrgAuditRow, OrgAuditRun } from '../../domain/org-audit.js';
import { rowBodies } from './change.js';
import type { TableContext, WriteOp } from './context.js';
import { cancellationCodes, conflictPause } from './errors.js';
import { Expr, updateExpression } from './expression.js';
import { jobWriteOps } from './jobs.js';
import { noticeWriteOps, reserveSequence } from './outbox.js';
import { MAX_TRANSACTION_ITEMS } from './table.js';
import { updateExisting } from './update-existing.js';

const LOCK = { pk: 'ORGAUDIT', sk: 'LOCK' };
const runPk = (id: string) => `ORGAUDIT#${id}`;
const runKey = (id: string) => ({ pk: runPk(id), sk: 'RUN' });
const ROW_PREFIX = 'ROW#';
/** BatchWriteItem takes at most 25 puts. */
const BATCH = 25;
const MAX_CONFLICT_RETRIES = 10;

type Started = { started: true } | { started: false; running: OrgAuditRun };

function toRun(item: Record<string, unknown>): OrgAuditRun {
  const i = item as {
    id: string;
    requestedBy: string;
    scheduled?: boolean;
    startedAt: number;
    state: 'running' | 'done';
    total?: number;
    done?: number;
    finishedAt?: number;
    error?: string;
    messageChannel?: string;
    messageTs?: string;
  };
  return {
    id: i.id,
    requestedBy: i.requestedBy,
    ...(i.scheduled ? { scheduled: true } : {}),
    startedAt: i.startedAt,
    state: i.state,
    done: i.done ?? 0,
    ...(i.total !== undefined ? { total: i.total } : {}),
    ...(i.finishedAt !== undefined ? { finishedAt: i.finishedAt } : {}),
    ...(i.error ? { error: i.error } : {}),
    ...(i.messageChannel && i.messageTs ? { message: { channel: i.messageChannel, ts: i.messageTs } } : {}),
  };
}

export class DynamoOrgAudits {
  constructor(private readonly t: TableContext) {}

  async start(run: OrgAuditRun, notify: Delivery[]): Promise<Started> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const lock = await this.t.doc.send(
        new GetCommand({ TableName: this.t.name, Key: LOCK, ConsistentRead: true }),
      );
      const runningId = lock.Item?.runningId as string | undefined;
      if (runningId) {
        const running = await this.get(runningId);
        if (running) return { started: false, running };
      }
      const e = new Expr();
      const claim: WriteOp = {
        Update: {
          TableName: this.t.name,
          Key: LOCK,
          ConditionExpression: runningId
            ? `${e.n('runningId')} = ${e.v(runningId)}`
            : `attribute_not_exists(${e.n('runningId')})`,
          UpdateExpression: updateExpression(e.set({ runningId: run.id })),
          ...e.params(),
        },
      };
      const put: WriteOp = {
        Put: {
          TableName: this.t.name,
          Item: {
            ...runKey(run.id),
            id: run.id,
            requestedBy: run.requestedBy,
            ...(run.scheduled ? { scheduled: true } : {}),
            startedAt: run.startedAt,
            state: run.state,
            done: run.done,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
      const jobs = jobWriteOps(this.t.name, run.id, {
        schedule: [{ kind: 'org-audit', dueAt: run.startedAt }],
      });
      const first = notify.length ? await reserveSequence(this.t, run.id, notify.length) : 0;
      const notices = noticeWriteOps(this.t.name, run.id, first, notify, Date.now());
      try {
        await this.t.doc.send(new TransactWriteCommand({ TransactItems: [claim, put, ...jobs, ...notices] }));
        return { started: true };
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes?.includes('ConditionalCheckFailed') && !codes?.includes('TransactionConflict'))
          throw error;
        // Another replica started one meanwhile (read it on the next pass), or a conflict.
        await conflictPause(attempt);
      }
    }
    throw new Error('could not start an org-wide audit: the lock keeps changing');
  }

  async get(id: string): Promise<OrgAuditRun | undefined> {
    const res = await this.t.doc.send(
      new GetCommand({ TableName: this.t.name, Key: runKey(id), ConsistentRead: true }),
    );
    return res.Item ? toRun(res.Item) : undefined;
  }

  async record(
    id: string,
    rows: OrgAuditRow[],
    progress: { total?: number },
    notify: Delivery[],
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += BATCH) {
      let requests = rows.slice(i, i + BATCH).map((row) => ({
        PutRequest: {
          Item: { pk: runPk(id), sk: `${ROW_PREFIX}${row.accountId}`, body: JSON.stringify(row) },
        },
      }));
      for (let attempt = 0; requests.length; attempt++) {
        const res = await this.t.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.t.name]: requests } }),
        );
        requests = (res.UnprocessedItems?.[this.t.name] ?? []) as typeof requests;
        if (requests.length) await conflictPause(attempt);
      }
    }
    const done = await this.countRows(id);
    const e = new Expr();
    const update: WriteOp = {
      Update: {
        TableName: this.t.name,
        Key: runKey(id),
        ConditionExpression: `attribute_exists(${e.n('pk')})`,
        UpdateExpression: updateExpression(e.set({ done, total: progress.total })),
        ...e.params(),
      },
    };
    const first = notify.length ? await reserveSequence(this.t, id, notify.length) : 0;
    await this.t.doc.send(
      new TransactWriteCommand({
        TransactItems: [update, ...noticeWriteOps(this.t.name, id, first, notify, Date.now())],
      }),
    );
  }

  private async countRows(id: string): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const e = new Expr();
      const res = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          KeyConditionExpression: `${e.n('pk')} = ${e.v(runPk(id))} AND begins_with(${e.n('sk')}, ${e.v(ROW_PREFIX)})`,
          Select: 'COUNT',
          ConsistentRead: true,
          ...e.params(),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      count += res.Count ?? 0;
      start = res.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async rows(id: string): Promise<OrgAuditRow[]> {
    return rowBodies<OrgAuditRow>(this.t, runPk(id), ROW_PREFIX);
  }

  async finish(id: string, at: number, notify: Delivery[], error?: string): Promise<boolean> {
    if (2 + notify.length > MAX_TRANSACTION_ITEMS) throw new Error('too many notices for one transaction');
    const first = notify.length ? await reserveSequence(this.t, id, notify.length) : 0;
    const e = new Expr();
    const done: WriteOp = {
      Update: {
        TableName: this.t.name,
        Key: runKey(id),
        ConditionExpression: `${e.n('state')} = ${e.v('running')}`,
        UpdateExpression: updateExpression(e.set({ state: 'done', finishedAt: at, error })),
        ...e.params(),
      },
    };
    const l = new Expr();
    const unlock: WriteOp = {
      Update: {
        TableName: this.t.name,
        Key: LOCK,
        ConditionExpression: `${l.n('runningId')} = ${l.v(id)}`,
        // The run finished last is what `/breakglass harden all-present` hardens.
        UpdateExpression: updateExpression(l.set({ lastDoneId: id }), [l.n('runningId')]),
        ...l.params(),
      },
    };
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      try {
        await this.t.doc.send(
          new TransactWriteCommand({
            TransactItems: [done, unlock, ...noticeWriteOps(this.t.name, id, first, notify, Date.now())],
          }),
        );
        return true;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes?.includes('ConditionalCheckFailed')) return false;
        if (!codes?.includes('TransactionConflict')) throw error;
        await conflictPause(attempt);
      }
    }
    throw new Error(`org-wide audit ${id}: gave up after ${MAX_CONFLICT_RETRIES} conflicting transactions`);
  }

  /** The audit finished last (the lock item names it). */
  async latest(): Promise<OrgAuditRun | undefined> {
    const lock = await this.t.doc.send(
      new GetCommand({ TableName: this.t.name, Key: LOCK, ConsistentRead: true }),
    );
    const id = lock.Item?.lastDoneId as string | undefined;
    return id ? this.get(id) : undefined;
  }

  async setMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    await updateExisting(this.t, runKey(id), { messageChannel: message.channel, messageTs: message.ts });
  }
}
