import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/store-error.js';
import { requestFixture } from '../support/fixtures.js';
import { describeStoreContract } from './contract.js';

const freshFile = () => join(mkdtempSync(join(tmpdir(), 'bg-store-')), 'nested', 'breakglass.db');

describeStoreContract('sqlite', async () => {
  const file = freshFile();
  const store = new SqliteStore(file);
  return { store, another: async () => new SqliteStore(file), close: () => store.close() };
});

describe('sqlite store', () => {
  it('refuses to change or delete audit entries, whoever asks', async () => {
    const file = freshFile();
    const store = new SqliteStore(file);
    await store.appendAudit({ at: 1, requestId: 'BG-1', actor: 'U1', action: 'requested' });
    const raw = new Database(file);
    expect(() => raw.prepare('UPDATE audit SET actor = ?').run('U9')).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    raw.close();
    await store.close();
  });

  it('records its schema version, and upgrades a database from before versioning', async () => {
    const file = freshFile();
    await new SqliteStore(file).close();
    const raw = new Database(file);
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    raw.pragma('user_version = 0');
    raw.close();
    const store = new SqliteStore(file);
    await store.appendAudit({ at: 1, actor: 'cli', action: 'x' });
    await store.close();
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    again.close();
  });

  it('refuses a database written by a newer version, in one line', async () => {
    const file = freshFile();
    await new SqliteStore(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    raw.close();
    const error = (() => {
      try {
        new SqliteStore(file);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ name: 'StoreError', kind: 'newer-schema' });
    expect((error as StoreError).message).toMatch(
      new RegExp(
        `^the SQLite database ${file} has schema version ${SQLITE_SCHEMA_VERSION + 1}, newer than this breakglass knows \\(${SQLITE_SCHEMA_VERSION}\\)`,
      ),
    );
    expect((error as StoreError).message).not.toContain('\n');
  });
});

describe('SQLite store specifics', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = new SqliteStore(freshFile());
  });
  afterEach(() => store.close());
  const request = requestFixture;

  it('filters by state and requester together, newest first, up to a limit', async () => {
    await store.createRequest(request('BG-a', { createdAt: 1 }));
    await store.createRequest(request('BG-b', { createdAt: 2, requesterId: 'U2' }));
    await store.createRequest(request('BG-c', { createdAt: 3, state: 'active' }));
    await store.createRequest(request('BG-d', { createdAt: 4, state: 'closed' }));
    const ids = async (filter: Parameters<SqliteStore['listRequests']>[0]) =>
      (await store.listRequests(filter)).map((r) => r.request.id);
    expect(await ids({ states: ['active', 'closed'] })).toEqual(['BG-d', 'BG-c']);
    expect(await ids({ states: ['pending', 'active'], requesterId: 'U1' })).toEqual(['BG-c', 'BG-a']);
    expect(await ids({ states: [] })).toEqual(['BG-d', 'BG-c', 'BG-b', 'BG-a']);
    expect(await ids({ limit: 2 })).toEqual(['BG-d', 'BG-c']);
  });

  it('shows where the request message lives once it is posted', async () => {
    await store.createRequest(request('BG-1'));
    expect(await store.getRequest('BG-1')).not.toHaveProperty('message');
    await store.setMessage('BG-1', { channel: 'C1', ts: '1.2' });
    expect((await store.getRequest('BG-1'))?.message).toEqual({ channel: 'C1', ts: '1.2' });
    expect((await store.listRequests({}))[0]?.message).toEqual({ channel: 'C1', ts: '1.2' });
    expect(await store.getRequest('BG-9')).toBeUndefined();
  });

  it('cancels every open job of a request when no kind is named', async () => {
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
    await store.scheduleJob({ requestId: 'BG-1', kind: 'remind', dueAt: 50 });
    await store.scheduleJob({ requestId: 'BG-2', kind: 'remind', dueAt: 50 });
    await store.cancelJobs('BG-1');
    expect(await store.pendingJobs('BG-1')).toEqual([]);
    expect(await store.pendingJobs('BG-2')).toHaveLength(1);
    await store.cancelJobs('BG-2', []);
    expect(await store.pendingJobs('BG-2')).toEqual([]);
  });

  it("does not let a worker whose claim lapsed move or finish another worker's job", async () => {
    await store.scheduleJob({ requestId: 'BG-1', kind: 'cleanup', dueAt: 100 });
    const job = await store.claimDueJob('w1', 100, 1000);
    const id = job?.id ?? '';
    // w1 stalled; w2 took the job over after the lease.
    expect(await store.claimDueJob('w2', 1101, 1000)).toMatchObject({ id });
    await store.retryJob(id, 9_999, 'w1');
    await store.completeJob(id, 'w1');
    expect(await store.renewClaim(id, 'w1', 50_000)).toBe(false);
    expect(await store.pendingJobs('BG-1')).toMatchObject([{ id, dueAt: 100 }]);
    expect(await store.claimDueJob('w3', 2000, 1000)).toBeUndefined();
    // w2 hands it back; without a worker named, anyone may move it.
    await store.retryJob(id, 5000, 'w2');
    expect(await store.claimDueJob('w3', 4999, 1000)).toBeUndefined();
    await store.retryJob(id, 3000);
    expect(await store.claimDueJob('w3', 3000, 1000)).toMatchObject({ id, attempts: 3 });
    await store.completeJob(id, 'w3');
    expect(await store.pendingJobs('BG-1')).toEqual([]);
    expect(await store.renewClaim(id, 'w3', 50_000)).toBe(false);
  });

  it('lists the whole audit trail newest first, entries without a request included', async () => {
    await store.appendAudit({ at: 1, requestId: 'BG-1', actor: 'U1', action: 'requested' });
    await store.appendAudit({ at: 2, actor: 'cli', action: 'audited', details: { accounts: 3 } });
    await store.appendAudit({ at: 3, requestId: 'BG-2', actor: 'U2', action: 'requested' });
    expect(await store.listAudit(undefined, 2)).toEqual([
      { at: 3, requestId: 'BG-2', actor: 'U2', action: 'requested' },
      { at: 2, actor: 'cli', action: 'audited', details: { accounts: 3 } },
    ]);
    expect(await store.listAudit('BG-1')).toEqual([
      { at: 1, requestId: 'BG-1', actor: 'U1', action: 'requested' },
    ]);
  });

  it('records rows of an org-wide audit it does not know without starting it or enqueueing for it', async () => {
    await store.recordOrgAuditRows('OA-none', [], { total: 1 }, [{ to: 'audit-update' }]);
    expect(await store.getOrgAudit('OA-none')).toBeUndefined();
    expect(await store.listDeliveries('OA-none')).toEqual([]);
  });

  it('works in memory, and refuses to work once closed', async () => {
    const memory = new SqliteStore(':memory:');
    await memory.createRequest(request('BG-1'));
    expect((await memory.getRequest('BG-1'))?.version).toBe(1);
    await memory.close();
    await expect(memory.getRequest('BG-1')).rejects.toThrow(/not open/);
  });
});
