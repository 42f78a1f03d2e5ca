/** `breakglass init-table` and `breakglass migrate`, against dynalite started here. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import { noticeKey, requestKey, SCHEMA_VERSION } from '../../src/store/dynamodb/table.js';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite-store.js';
import { copySqliteToDynamo } from '../../src/store/sqlite-to-dynamodb.js';
import {
  freshTableName,
  type LocalDynamoDb,
  openDynamoStore,
  startLocalDynamoDb,
} from '../support/dynamodb-env.js';
import { requestFixture } from '../support/fixtures.js';
import { type Recorded, recordingIo } from './recording-io.js';

let local: LocalDynamoDb;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  local = await startLocalDynamoDb();
  env = { ...local.env(), AWS_EC2_METADATA_DISABLED: 'true' };
  Object.assign(process.env, env);
});
afterAll(() => local.close());

async function run(
  argv: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number; io: Recorded }> {
  const io = recordingIo();
  const code = await runCli(argv, io, (o) => createCliContext({ ...env, ...extraEnv }, o));
  return { code, io };
}

describe('breakglass init-table', () => {
  it('creates the table once, and checks it the second time', async () => {
    const table = freshTableName();
    const first = await run(['init-table', '--table', table]);
    expect(first.code).toBe(0);
    expect(first.io.stdout).toEqual([
      `created table ${table}: indexes gsi1 and gsi2, TTL on expiresAt, schema version ${SCHEMA_VERSION}`,
    ]);
    const second = await run(['init-table'], { BREAKGLASS_TABLE: table });
    expect(second.code).toBe(0);
    expect(second.io.stdout[0]).toMatch(/already exists: keys and indexes checked/);
    await (await openDynamoStore(local, table)).close();
  });

  it('asks for a table name, in one line with exit 2', async () => {
    const { code, io } = await run(['init-table']);
    expect(code).toBe(2);
    expect(io.stderr).toEqual(['error: give --table <name> or set BREAKGLASS_TABLE']);
  });
});

describe('breakglass migrate', () => {
  /** An SQLite database with a request in each stage: jobs open and done, notices sent, failed and pending. */
  async function sqliteWithHistory(): Promise<string> {
    const file = join(mkdtempSync(join(tmpdir(), 'bg-migrate-')), 'breakglass.db');
    const s = new SqliteStore(file);
    await s.createRequest(requestFixture('BG-OLD', { createdAt: 1 }), {
      notify: [{ to: 'post' }],
      schedule: [{ kind: 'expire', dueAt: 50 }],
    });
    await s.setMessage('BG-OLD', { channel: 'C1', ts: '1.1' });
    await s.updateRequest('BG-OLD', 1, requestFixture('BG-OLD', { createdAt: 1, state: 'denied' }), {
      cancel: ['expire'],
      notify: [
        { to: 'update' },
        { to: 'dm', userId: 'U1', notice: { kind: 'nudge', request: requestFixture('BG-OLD') } },
      ],
    });
    await s.createRequest(requestFixture('BG-LIVE', { createdAt: 2, state: 'active' }), {
      notify: [{ to: 'post' }, { to: 'update' }],
      schedule: [
        { kind: 'cleanup', dueAt: 5_000 },
        { kind: 'remind', dueAt: 4_000 },
      ],
    });
    // Deliver BG-OLD's notices: the post is sent, the update fails for good, the DM stays pending.
    const post = await s.claimDelivery('w', 0, 1000);
    await s.deliverySent(post?.id ?? '', 10);
    const update = await s.claimDelivery('w', 0, 1000);
    await s.deliveryFailed(update?.id ?? '', 'message_not_found', 11);
    await s.appendAudit({
      at: 1,
      requestId: 'BG-OLD',
      actor: 'U1',
      action: 'requested',
      details: { task: 'x' },
    });
    await s.appendAudit({ at: 2, requestId: 'BG-OLD', actor: 'U2', action: 'denied' });
    await s.appendAudit({ at: 3, actor: 'cli', action: 'deleted credentials' });
    await s.close();
    return file;
  }

  it('copies requests, open jobs, notices and the audit trail, and nothing twice', async () => {
    const file = await sqliteWithHistory();
    const table = freshTableName();
    expect((await run(['init-table', '--table', table])).code).toBe(0);

    const first = await run(['migrate', '--from', file, '--table', table]);
    expect(first.code).toBe(0);
    expect(first.io.stdout).toEqual([
      'requests: 2 copied, 0 already there',
      'jobs: 2 copied, 0 already there',
      'notices: 5 copied, 0 already there',
      'audit: 3 copied, 0 already there',
    ]);
    const second = await run(['migrate', '--from', file, '--table', table]);
    expect(second.code).toBe(0);
    expect(second.io.stdout).toEqual([
      'requests: 0 copied, 2 already there',
      'jobs: 0 copied, 2 already there',
      'notices: 0 copied, 5 already there',
      'audit: 0 copied, 3 already there',
    ]);

    const source = new SqliteStore(file);
    const target = await openDynamoStore(local, table);
    for (const id of ['BG-OLD', 'BG-LIVE']) {
      expect(await target.getRequest(id)).toEqual(await source.getRequest(id));
      expect(stripIds(await target.listDeliveries(id))).toEqual(stripIds(await source.listDeliveries(id)));
      expect(stripIds(await target.pendingJobs(id))).toEqual(stripIds(await source.pendingJobs(id)));
      expect(await target.listAudit(id)).toEqual(await source.listAudit(id));
    }
    expect(await target.listAudit()).toEqual(await source.listAudit());
    expect(await target.listRequests({ states: ['active'] })).toEqual(
      await source.listRequests({ states: ['active'] }),
    );
    // What the store keeps beside what it returns: when a notice was done, and no empty message fields.
    const raw = (key: { pk: string; sk: string }) =>
      target.context.doc.send(new GetCommand({ TableName: table, Key: key })).then((r) => r.Item);
    expect(await raw(noticeKey('BG-OLD', 1))).toMatchObject({ status: 'sent', doneAt: 10 });
    expect(await raw(noticeKey('BG-OLD', 2))).toMatchObject({ status: 'failed', doneAt: 11 });
    expect(await raw(noticeKey('BG-OLD', 3))).not.toHaveProperty('doneAt');
    expect(await raw(requestKey('BG-OLD'))).toMatchObject({ messageChannel: 'C1', messageTs: '1.1' });
    expect(Object.keys((await raw(requestKey('BG-LIVE'))) ?? {})).not.toContain('messageChannel');

    // The copy is live: jobs are claimable, the pending DM is next, new notices follow the copied ones.
    const remind = await target.claimDueJob('w', 4_000, 1000);
    expect(remind).toMatchObject({ requestId: 'BG-LIVE', kind: 'remind' });
    await target.completeJob(remind?.id ?? '', 'w');
    expect((await target.pendingJobs('BG-LIVE')).map((j) => j.kind)).toEqual(['cleanup']);
    await target.enqueue('BG-OLD', [
      { to: 'channel', notice: { kind: 'nudge', request: requestFixture('BG-OLD') } },
    ]);
    const dm = await target.claimDelivery('w', 0, 1000);
    expect(dm).toMatchObject({ requestId: 'BG-OLD', delivery: { to: 'dm' } });
    await target.deliverySent(dm?.id ?? '', 20);
    expect((await target.listDeliveries('BG-OLD')).map((d) => [d.delivery.to, d.status])).toEqual([
      ['post', 'sent'],
      ['update', 'failed'],
      ['dm', 'sent'],
      ['channel', 'pending'],
    ]);
    await source.close();
    await target.close();
  });

  it('names init-table when the table is missing, in one line with exit 1', async () => {
    const file = await sqliteWithHistory();
    const { code, io } = await run(['migrate', '--from', file, '--table', 'bg-not-there']);
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      expect.stringMatching(
        /^error: DynamoDB table "bg-not-there" does not exist: create it with `breakglass init-table --table bg-not-there`/,
      ),
    ]);
  });

  it('refuses a database written by a newer release, in one line with exit 1', async () => {
    const file = await sqliteWithHistory();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    raw.close();
    const table = freshTableName();
    await run(['init-table', '--table', table]);
    const { code, io } = await run(['migrate', '--from', file, '--table', table]);
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      `error: the SQLite database ${file} has schema version ${SQLITE_SCHEMA_VERSION + 1}, newer than this breakglass knows (${SQLITE_SCHEMA_VERSION}): run the newer release, or restore a backup taken before the upgrade`,
    ]);
  });

  it('names the tables an SQLite file lacks, and a file that does not exist, without creating it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-migrate-'));
    const foreign = join(dir, 'other.db');
    const raw = new Database(foreign);
    raw.exec('CREATE TABLE requests (id TEXT); CREATE TABLE notes (id TEXT)');
    raw.close();
    const table = freshTableName();
    await run(['init-table', '--table', table]);
    const wrong = await run(['migrate', '--from', foreign, '--table', table]);
    expect(wrong.code).toBe(1);
    expect(wrong.io.stderr).toEqual([
      `error: ${foreign} is not a breakglass database (no jobs, outbox, audit table)`,
    ]);

    const absent = join(dir, 'absent.db');
    const missing = await run(['migrate', '--from', absent, '--table', table]);
    expect(missing.code).toBe(1);
    expect(missing.io.stderr[0]).toMatch(/^error: cannot open the SQLite database .*absent\.db: /);
    expect(existsSync(absent)).toBe(false);
    const target = await openDynamoStore(local, table);
    await expect(copySqliteToDynamo(absent, target.context)).rejects.toMatchObject({ kind: 'unreadable' });
    await expect(copySqliteToDynamo(foreign, target.context)).rejects.toMatchObject({ kind: 'wrong-table' });
    await target.close();
  });

  it('refuses a file that is not a breakglass database', async () => {
    const table = freshTableName();
    await run(['init-table', '--table', table]);
    const { code, io } = await run([
      'migrate',
      '--from',
      join(tmpdir(), 'no-such-dir', 'x.db'),
      '--table',
      table,
    ]);
    expect(code).toBe(1);
    expect(io.stderr[0]).toMatch(/^error: cannot open the SQLite database .*x\.db/);
  });
});

/** Ids are each store's own; everything else must match. */
function stripIds<T extends { id: string }>(items: T[]): Omit<T, 'id'>[] {
  return items.map(({ id: _, ...rest }) => rest);
}
