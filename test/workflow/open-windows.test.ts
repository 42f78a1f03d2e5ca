/**
 * The accounts with an open break-glass window (executing, active or cleaning),
 * read in full, and the cache the accounts of one hardening round share.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestState } from '../../src/domain/request.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { OpenWindowsCache, openWindows } from '../../src/workflow/open-windows.js';
import { requestFixture } from '../support/fixtures.js';

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function newStore(): SqliteStore {
  store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bg-windows-')), 'breakglass.db'));
  return store;
}

const account = (n: number) => String(300_000_000_000 + n);

describe('openWindows', () => {
  it('maps each account with an executing, active or cleaning request to that request, every page of them', async () => {
    const s = newStore();
    const states: RequestState[] = ['pending', 'executing', 'active', 'cleaning', 'closed', 'denied'];
    for (const [i, state] of states.entries()) {
      await s.createRequest(requestFixture(`BG-STATE${i}`, { accountId: account(i), state, createdAt: i }));
    }
    // More open windows than any first page.
    for (let i = 0; i < 120; i++) {
      await s.createRequest(
        requestFixture(`BG-MANY${String(i).padStart(3, '0')}`, {
          accountId: account(100 + i),
          state: 'active',
        }),
      );
    }
    const windows = await openWindows(s);
    expect(windows.get(account(1))).toBe('BG-STATE1');
    expect(windows.get(account(2))).toBe('BG-STATE2');
    expect(windows.get(account(3))).toBe('BG-STATE3');
    for (const i of [0, 4, 5]) expect(windows.has(account(i))).toBe(false);
    expect(windows.size).toBe(123);
    expect(windows.get(account(219))).toBe('BG-MANY119');
  });
});

describe('OpenWindowsCache', () => {
  function counted(s: Store) {
    let reads = 0;
    let fail = false;
    const wrapped = Object.create(s) as Store;
    wrapped.listRequests = async (filter) => {
      reads++;
      if (fail) throw new Error('database is locked');
      return s.listRequests(filter);
    };
    return {
      store: wrapped,
      reads: () => reads,
      failing: (f: boolean) => {
        fail = f;
      },
    };
  }

  it('reads once for callers within its age, and again once older', async () => {
    const s = newStore();
    await s.createRequest(requestFixture('BG-OPEN1', { accountId: account(1), state: 'active' }));
    const c = counted(s);
    const clock = { now: 1000 };
    const cache = new OpenWindowsCache(c.store, () => clock.now, 500);
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a.get(account(1))).toBe('BG-OPEN1');
    expect(b).toBe(a);
    expect(c.reads()).toBe(1);
    await s.createRequest(requestFixture('BG-OPEN2', { accountId: account(2), state: 'cleaning' }));
    clock.now += 500;
    expect((await cache.get()).has(account(2))).toBe(false);
    expect(c.reads()).toBe(1);
    clock.now += 1;
    expect((await cache.get()).get(account(2))).toBe('BG-OPEN2');
    expect(c.reads()).toBe(2);
  });

  it('forgets a failed read, so the next caller reads again', async () => {
    const s = newStore();
    const c = counted(s);
    const cache = new OpenWindowsCache(c.store, () => 0, 60_000);
    c.failing(true);
    await expect(cache.get()).rejects.toThrow('database is locked');
    c.failing(false);
    expect((await cache.get()).size).toBe(0);
    expect(c.reads()).toBe(2);
  });
});
