/**
 * Bulk hardenings in DynamoDB. The hardening is `HARDEN#<id>`/`RUN` (its JSON in
 * `body`, a `version` for compare-and-set, the message apart, as the delivery
 * worker sets it); each account is `HARDEN#<id>`/`ACCT#<account>` (a few hundred
 * bytes, so a thousand accounts never near the 400 KB item limit). A change
 * writes the hardening, its jobs and its notices in one transaction; the
 * accounts' rows are written before the hardening exists (orphans at worst).
 */
import { BatchWriteCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { HardenAccount, Hardening } from '../../domain/harden.js';
import type { Delivery } from '../../domain/notice.js';
import type { RequestEffects, StoredHardening } from '../store.js';
import { rowBodies, writeChange } from './change.js';
import type { TableContext, WriteOp } from './context.js';
import { conflictPause } from './errors.js';
import { Expr, updateExpression } from './expression.js';
import { noticeWriteOps, reserveSequence } from './outbox.js';
import { updateExisting } from './update-existing.js';

const pk = (id: string) => `HARDEN#${id}`;
const runKey = (id: string) => ({ pk: pk(id), sk: 'RUN' });
const ACCOUNT_PREFIX = 'ACCT#';
/** BatchWriteItem takes at most 25 puts. */
const BATCH = 25;

export class DynamoHardenings {
  constructor(private readonly t: TableContext) {}

  async create(hardening: Hardening, accounts: HardenAccount[], effects?: RequestEffects): Promise<void> {
    await this.putAccounts(hardening.id, accounts);
    const put: WriteOp = {
      Put: {
        TableName: this.t.name,
        Item: { ...runKey(hardening.id), version: 1, body: JSON.stringify(hardening) },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    if (!(await writeChange(this.t, 'hardening', hardening.id, put, effects)))
      throw new Error(`hardening ${hardening.id} already exists`);
  }

  async get(id: string): Promise<StoredHardening | undefined> {
    const res = await this.t.doc.send(
      new GetCommand({ TableName: this.t.name, Key: runKey(id), ConsistentRead: true }),
    );
    const item = res.Item as
      | { body: string; version: number; messageChannel?: string; messageTs?: string }
      | undefined;
    if (!item) return undefined;
    return {
      hardening: JSON.parse(item.body) as Hardening,
      version: item.version,
      ...(item.messageChannel && item.messageTs
        ? { message: { channel: item.messageChannel, ts: item.messageTs } }
        : {}),
    };
  }

  async update(
    id: string,
    expectedVersion: number,
    next: Hardening,
    effects?: RequestEffects,
  ): Promise<boolean> {
    const e = new Expr();
    const update: WriteOp = {
      Update: {
        TableName: this.t.name,
        Key: runKey(id),
        ConditionExpression: `${e.n('version')} = ${e.v(expectedVersion)}`,
        UpdateExpression: updateExpression(
          e.set({ body: JSON.stringify(next), version: expectedVersion + 1 }),
        ),
        ...e.params(),
      },
    };
    return writeChange(this.t, 'hardening', id, update, effects);
  }

  async accounts(id: string): Promise<HardenAccount[]> {
    return rowBodies<HardenAccount>(this.t, pk(id), ACCOUNT_PREFIX);
  }

  async putAccounts(id: string, rows: HardenAccount[], notify: Delivery[] = []): Promise<void> {
    for (let i = 0; i < rows.length; i += BATCH) {
      let requests = rows.slice(i, i + BATCH).map((row) => ({
        PutRequest: {
          Item: { pk: pk(id), sk: `${ACCOUNT_PREFIX}${row.accountId}`, body: JSON.stringify(row) },
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
    if (!notify.length) return;
    const first = await reserveSequence(this.t, id, notify.length);
    await this.t.doc.send(
      new TransactWriteCommand({ TransactItems: noticeWriteOps(this.t.name, id, first, notify, Date.now()) }),
    );
  }

  async setMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    await updateExisting(this.t, runKey(id), { messageChannel: message.channel, messageTs: message.ts });
  }
}
