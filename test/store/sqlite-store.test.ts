import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/store-error.js';
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
    expect((error as StoreError).kind).toBe('newer-schema');
    expect((error as StoreError).message).toMatch(/schema version 2, newer than this breakglass knows \(1\)/);
    expect((error as StoreError).message).not.toContain('\n');
  });
});
