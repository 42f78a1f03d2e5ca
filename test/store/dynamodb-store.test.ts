import { request as httpRequest } from 'node:http';
import { CreateTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/domain/notice.js';
import { DynamoAudit } from '../../src/store/dynamodb/audit.js';
import { jobItem } from '../../src/store/dynamodb/jobs.js';
import {
  metaKey,
  SCHEMA_VERSION,
  TTL_ATTRIBUTE,
  tableDefinition,
  targetKey,
} from '../../src/store/dynamodb/table.js';
import { DynamoDbStore } from '../../src/store/dynamodb-store.js';
import { BULK_JOB_KINDS, type JobKind, URGENT_JOB_KINDS } from '../../src/store/store.js';
import { StoreError } from '../../src/store/store-error.js';
import {
  freshDynamoStore,
  freshTableName,
  type LocalDynamoDb,
  localClientConfig,
  openDynamoStore,
  startLocalDynamoDb,
} from '../support/dynamodb-env.js';
import { hardeningFixture, requestFixture } from '../support/fixtures.js';
import { type LocalServer, startLocalServer } from '../support/local-server.js';
import { describeStoreContract } from './contract.js';

const LEASE_MS = 60_000;
let local: LocalDynamoDb;
beforeAll(async () => {
  local = await startLocalDynamoDb();
});
afterAll(() => local.close());

describeStoreContract('dynamodb', async () => {
  const table = freshTableName();
  const store = await freshDynamoStore(local, table);
  return { store, another: () => openDynamoStore(local, table), close: () => store.close() };
});

/** A front to the local server that refuses every UpdateTimeToLive with `message`, as DynamoDB refuses one. */
function ttlRefusingFront(message: string): Promise<LocalServer> {
  const backend = new URL(local.endpoint);
  return startLocalServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (String(req.headers['x-amz-target']).endsWith('.UpdateTimeToLive')) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message }));
        return;
      }
      const forwarded = httpRequest(
        {
          host: backend.hostname,
          port: backend.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.end(body);
    });
  });
}

async function openError(table: string): Promise<unknown> {
  try {
    await openDynamoStore(local, table);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('dynamodb store', () => {
  it('creates the table with its indexes and TTL, once', async () => {
    const table = freshTableName();
    expect(await DynamoDbStore.initTable({ table, client: localClientConfig(local) })).toBe(true);
    expect(await DynamoDbStore.initTable({ table, client: localClientConfig(local) })).toBe(false);
    const client = new DynamoDBClient(localClientConfig(local));
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: TTL_ATTRIBUTE,
    });
    const doc = DynamoDBDocumentClient.from(client);
    const meta = await doc.send(new GetCommand({ TableName: table, Key: metaKey() }));
    expect(meta.Item?.schemaVersion).toBe(SCHEMA_VERSION);
    client.destroy();
  });

  it('names `breakglass init-table` when the table is missing, in one line', async () => {
    const error = await openError('bg-no-such-table');
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).kind).toBe('missing-table');
    expect((error as StoreError).message).toContain('breakglass init-table --table bg-no-such-table');
    expect((error as StoreError).message).not.toContain('\n');
  });

  it('refuses a table that is not a breakglass table', async () => {
    const table = freshTableName('bg-foreign');
    const client = new DynamoDBClient(localClientConfig(local));
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    client.destroy();
    const error = await openError(table);
    expect(error).toMatchObject({ kind: 'wrong-table' });
    expect((error as Error).message).toMatch(
      /not a breakglass table \(keys id, missing index gsi1 and gsi2\)/,
    );
  });

  it('accepts TTL already enabled on an existing table, and no other refusal to enable it', async () => {
    const existing = freshTableName();
    await DynamoDbStore.initTable({ table: existing, client: localClientConfig(local) });
    const already = await ttlRefusingFront('TimeToLive is already enabled');
    const initVia = (endpoint: string, table: string) =>
      DynamoDbStore.initTable({ table, client: { ...localClientConfig(local), endpoint } });
    expect(await initVia(already.endpoint, existing)).toBe(false);
    // A table just created cannot have had TTL on: the refusal is passed on.
    await expect(initVia(already.endpoint, freshTableName())).rejects.toThrow(
      'TimeToLive is already enabled',
    );
    const other = await ttlRefusingFront('TimeToLive is being changed');
    await expect(initVia(other.endpoint, existing)).rejects.toThrow('TimeToLive is being changed');
    await already.close();
    await other.close();
  });

  it('refuses a table with the keys but not the indexes, and one with the indexes but other keys', async () => {
    const client = new DynamoDBClient(localClientConfig(local));
    const noIndexes = freshTableName('bg-foreign');
    await client.send(
      new CreateTableCommand({
        TableName: noIndexes,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const definition = tableDefinition(freshTableName('bg-foreign'));
    const otherKeys = {
      ...definition,
      AttributeDefinitions: [
        ...(definition.AttributeDefinitions ?? []),
        { AttributeName: 'id', AttributeType: 'S' as const },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
    };
    await client.send(new CreateTableCommand(otherKeys));
    client.destroy();
    expect(await openError(noIndexes)).toMatchObject({
      kind: 'wrong-table',
      message: `DynamoDB table "${noIndexes}" is not a breakglass table (keys pk,sk, missing index gsi1 and gsi2): use a table made by \`breakglass init-table\` or infra/`,
    });
    expect(await openError(otherKeys.TableName ?? '')).toMatchObject({
      kind: 'wrong-table',
      message: expect.stringContaining('is not a breakglass table (keys id): use a table made by'),
    });
  });

  it('writes the schema version on a table made elsewhere, and refuses a newer one', async () => {
    const store = await freshDynamoStore(local);
    await store.close();
    const table = store.table;
    const client = new DynamoDBClient(localClientConfig(local));
    const raw = DynamoDBDocumentClient.from(client);
    // As infra/ leaves it: no META item.
    await raw.send(new PutCommand({ TableName: table, Item: { ...metaKey(), placeholder: true } }));
    await raw.send(
      new UpdateCommand({ TableName: table, Key: metaKey(), UpdateExpression: 'REMOVE schemaVersion' }),
    );
    await (await openDynamoStore(local, table)).close();
    expect((await raw.send(new GetCommand({ TableName: table, Key: metaKey() }))).Item?.schemaVersion).toBe(
      SCHEMA_VERSION,
    );
    await raw.send(
      new UpdateCommand({
        TableName: table,
        Key: metaKey(),
        UpdateExpression: 'SET schemaVersion = :v',
        ExpressionAttributeValues: { ':v': SCHEMA_VERSION + 1 },
      }),
    );
    const error = await openError(table);
    expect(error).toMatchObject({ kind: 'newer-schema' });
    expect((error as Error).message).toContain(
      `DynamoDB table "${table}" has schema version ${SCHEMA_VERSION + 1}, newer than this breakglass knows (${SCHEMA_VERSION})`,
    );
    client.destroy();
  });

  it('moves bulk jobs of a schema-1 table to their own lane, and strays written later too; cleanups stay', async () => {
    const store = await freshDynamoStore(local);
    await store.close();
    const table = store.table;
    const client = new DynamoDBClient(localClientConfig(local));
    const raw = DynamoDBDocumentClient.from(client);
    // Schema 1 kept every open job in the `JOBS` partition.
    const v1Job = (requestId: string, kind: JobKind, dueAt: number) =>
      raw.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...jobItem({ requestId, kind, dueAt, attempts: 0, token: `t-${requestId}` }),
            gsi1pk: 'JOBS',
          },
        }),
      );
    for (let i = 0; i < 110; i++) await v1Job(`OA-old${i}`, 'org-audit', 10);
    for (let i = 0; i < 5; i++) await v1Job(`BG-p${i}`, 'preview', 10);
    await v1Job('BG-window', 'cleanup', 50);
    await raw.send(
      new UpdateCommand({
        TableName: table,
        Key: metaKey(),
        UpdateExpression: 'SET schemaVersion = :v',
        ExpressionAttributeValues: { ':v': 1 },
      }),
    );
    const migrated = await openDynamoStore(local, table);
    expect((await raw.send(new GetCommand({ TableName: table, Key: metaKey() }))).Item?.schemaVersion).toBe(
      2,
    );
    expect(await migrated.claimDueJob('w', 1000, LEASE_MS, URGENT_JOB_KINDS)).toMatchObject({
      requestId: 'BG-window',
    });
    // A schema-1 release (rolled back to) still finds every cleanup and interactive job in `JOBS`.
    const cleanup = await raw.send(
      new GetCommand({ TableName: table, Key: { pk: 'REQ#BG-window', sk: 'JOB#cleanup' } }),
    );
    expect(cleanup.Item?.gsi1pk).toBe('JOBS');
    let bulk = 0;
    while (await migrated.claimDueJob('w', 1000, LEASE_MS, BULK_JOB_KINDS)) bulk++;
    expect(bulk).toBe(110);
    // A replica still on the old code writes a bulk job into `JOBS` after the migration: an
    // interactive claim reading `JOBS` moves it to its lane, where a bulk claim finds it.
    await v1Job('OA-2', 'org-audit', 30);
    let previews = 0;
    while (await migrated.claimDueJob('w', 1000, LEASE_MS, URGENT_JOB_KINDS)) previews++;
    expect(previews).toBe(5);
    expect(await migrated.claimDueJob('w', 1000, LEASE_MS, BULK_JOB_KINDS)).toMatchObject({
      requestId: 'OA-2',
    });
    await migrated.close();
    client.destroy();
  });

  it('refuses a request change that would not fit in one transaction, writing nothing', async () => {
    const store = await freshDynamoStore(local);
    await store.createRequest(requestFixture('BG-1'));
    const notify: Delivery[] = Array.from({ length: 100 }, () => ({ to: 'update' }));
    await expect(store.updateRequest('BG-1', 1, requestFixture('BG-1'), { notify })).rejects.toThrow(
      /writes 101 items; one DynamoDB transaction takes at most 100/,
    );
    const schedule = [
      { kind: 'expire' as const, dueAt: 10 },
      { kind: 'remind' as const, dueAt: 20 },
    ];
    await expect(
      store.updateRequest('BG-1', 1, requestFixture('BG-1'), { schedule, notify: notify.slice(0, 98) }),
    ).rejects.toThrow(/writes 101 items; one DynamoDB transaction takes at most 100/);
    expect(await store.getRequest('BG-1')).toMatchObject({ version: 1 });
    expect(await store.listDeliveries('BG-1')).toEqual([]);
    expect(await store.pendingJobs('BG-1')).toEqual([]);
    // Exactly 100 items fit.
    expect(
      await store.updateRequest('BG-1', 1, requestFixture('BG-1'), { notify: notify.slice(0, 99) }),
    ).toBe(true);
    expect(await store.listDeliveries('BG-1')).toHaveLength(99);
    await store.close();
  });

  it('enqueues more notices than one transaction takes, in order', async () => {
    const store = await freshDynamoStore(local);
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }] });
    const many: Delivery[] = Array.from({ length: 150 }, (_, i) => ({
      to: 'dm',
      userId: `U${i}`,
      notice: { kind: 'nudge', request: requestFixture('BG-1') },
    }));
    await store.enqueue('BG-1', many);
    const listed = await store.listDeliveries('BG-1');
    expect(listed.map((d) => (d.delivery.to === 'dm' ? d.delivery.userId : d.delivery.to))).toEqual([
      'post',
      ...many.map((_, i) => `U${i}`),
    ]);
    expect((await store.deliveryBacklog()).pending).toBe(151);
    await store.close();
  });

  it('delivers a notice whose earlier notices, all sent, fill more than one 1 MB page of the ordering check', async () => {
    const store = await freshDynamoStore(local);
    await store.createRequest(requestFixture('BG-1'));
    // ~300 KB each (DynamoDB items stop at 400 KB): four of them are read in two pages.
    const big = requestFixture('BG-1', { justification: 'x'.repeat(300_000) });
    await store.enqueue(
      'BG-1',
      Array.from({ length: 5 }, (_, i) => ({
        to: 'dm',
        userId: `U${i}`,
        notice: { kind: 'nudge', request: big },
      })),
    );
    const order: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const claimed = await store.claimDelivery('w1', 1_000, 60_000);
      expect(claimed).toBeDefined();
      if (!claimed) break;
      order.push(claimed.delivery.to === 'dm' ? claimed.delivery.userId : claimed.delivery.to);
      await store.deliverySent(claimed.id, 1_000);
    }
    expect(order).toEqual(['U0', 'U1', 'U2', 'U3', 'U4']);
    expect(await store.claimDelivery('w1', 1_000, 60_000)).toBeUndefined();
    await store.close();
  });

  it('names the record a second create of the same id refuses', async () => {
    const store = await freshDynamoStore(local);
    await store.createRequest(requestFixture('BG-1'));
    await expect(store.createRequest(requestFixture('BG-1'))).rejects.toThrow('request BG-1 already exists');
    const hardening = hardeningFixture('BH-1', { accounts: 0 });
    await store.createHardening(hardening, []);
    await expect(store.createHardening(hardening, [])).rejects.toThrow('hardening BH-1 already exists');
    await store.close();
  });

  it('finishes an org-wide audit with as many notices as one transaction takes, and refuses one more', async () => {
    const store = await freshDynamoStore(local);
    const run = { id: 'OA-1', requestedBy: 'U1', startedAt: 1_000, state: 'running' as const, done: 0 };
    await store.startOrgAudit(run, []);
    const updates = (n: number): Delivery[] => Array.from({ length: n }, () => ({ to: 'audit-update' }));
    await expect(store.finishOrgAudit('OA-1', 2_000, updates(99))).rejects.toThrow(
      'too many notices for one transaction',
    );
    expect(await store.getOrgAudit('OA-1')).toMatchObject({ state: 'running' });
    expect(await store.finishOrgAudit('OA-1', 2_000, updates(98))).toBe(true);
    expect(await store.listDeliveries('OA-1')).toHaveLength(98);
    await store.close();
  });

  it('starts an org-wide audit when the lock names a run that is gone', async () => {
    const store = await freshDynamoStore(local);
    const raw = store.context.doc;
    await raw.send(
      new PutCommand({ TableName: store.table, Item: { pk: 'ORGAUDIT', sk: 'LOCK', runningId: 'OA-gone' } }),
    );
    const run = { id: 'OA-2', requestedBy: 'U1', startedAt: 1_000, state: 'running' as const, done: 0 };
    expect(await store.startOrgAudit(run, [])).toEqual({ started: true });
    expect(await store.startOrgAudit({ ...run, id: 'OA-3' }, [])).toEqual({ started: false, running: run });
    await store.close();
  });

  it('keeps a target hold for a day after it ends, then leaves it to TTL', async () => {
    const store = await freshDynamoStore(local);
    await store.deferTarget('C1', 1_700_000_000_500);
    const hold = await store.context.doc.send(
      new GetCommand({ TableName: store.table, Key: targetKey('C1') }),
    );
    expect(hold.Item).toMatchObject({ until: 1_700_000_000_500, [TTL_ATTRIBUTE]: 1_700_000_001 + 24 * 3600 });
    await store.close();
  });

  it('never overwrites an audit entry', async () => {
    const store = await freshDynamoStore(local);
    const audit = new DynamoAudit(store.context);
    expect(
      await audit.append({ at: 1, requestId: 'BG-1', actor: 'U1', action: 'approved' }, 'fixed-key'),
    ).toBe(true);
    expect(await audit.append({ at: 1, requestId: 'BG-1', actor: 'U9', action: 'denied' }, 'fixed-key')).toBe(
      false,
    );
    expect(await store.listAudit('BG-1')).toEqual([
      { at: 1, requestId: 'BG-1', actor: 'U1', action: 'approved' },
    ]);
    await store.close();
  });

  it('treats a seen key past its TTL as unseen, before DynamoDB removes it', async () => {
    const store = await freshDynamoStore(local);
    const now = 1_700_000_000_000;
    expect(await store.firstTime('view:1', now)).toBe(true);
    // Seen keys are remembered for a week.
    const week = 7 * 24 * 3600;
    expect(await store.firstTime('view:1', now + (week - 60) * 1000)).toBe(false);
    expect(await store.firstTime('view:1', now + (week + 60) * 1000)).toBe(true);
    await store.close();
  });

  it('reads the table itself strongly consistently (indexes cannot be): no stale version, claim or hold', async () => {
    const store = await freshDynamoStore(local);
    const reads: { command: string; consistent: boolean }[] = [];
    store.context.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IndexName?: string; ConsistentRead?: boolean };
        if (['GetItemCommand', 'QueryCommand'].includes(String(context.commandName)) && !input.IndexName) {
          reads.push({ command: String(context.commandName), consistent: input.ConsistentRead === true });
        }
        return next(args);
      },
      { step: 'initialize', name: 'testReadSpy' },
    );
    const run = { id: 'OA-1', requestedBy: 'U1', startedAt: 1_000, state: 'running' as const, done: 0 };
    const hardening = hardeningFixture('BH-1');

    await store.createRequest(requestFixture('BG-1'), {
      notify: [{ to: 'post' }, { to: 'update' }],
      schedule: [{ kind: 'expire', dueAt: 10 }],
    });
    await store.getRequest('BG-1');
    await store.pendingJobs('BG-1');
    await store.listDeliveries('BG-1');
    const post = await store.claimDelivery('w', 0, LEASE_MS);
    await store.deliverySent(post?.id ?? '', 1);
    await store.deferTarget('C1', 5);
    await store.claimDelivery('w', 0, LEASE_MS);
    await store.appendAudit({ at: 1, requestId: 'BG-1', actor: 'U1', action: 'requested' });
    await store.listAudit('BG-1');
    await store.startOrgAudit(run, []);
    await store.startOrgAudit({ ...run, id: 'OA-2' }, []);
    await store.recordOrgAuditRows('OA-1', [], {});
    await store.orgAuditRows('OA-1');
    await store.getOrgAudit('OA-1');
    await store.finishOrgAudit('OA-1', 2_000, []);
    await store.latestOrgAudit();
    await store.createHardening(hardening, []);
    await store.getHardening('BH-1');
    await store.hardenAccounts('BH-1');
    await store.driftRecords();
    await store.close();

    expect(new Set(reads.map((r) => r.command))).toEqual(new Set(['GetItemCommand', 'QueryCommand']));
    expect(reads.filter((r) => !r.consistent)).toEqual([]);
  });

  it('never scanned the table in this file: every access has a key or an index', () => {
    expect(local.calls.get('Query')).toBeGreaterThan(0);
    expect(local.calls.get('TransactWriteItems')).toBeGreaterThan(0);
    expect(local.calls.get('Scan') ?? 0).toBe(0);
  });
});
