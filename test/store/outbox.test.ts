import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notice } from '../../src/domain/notice.js';
import { CHANNEL_TARGET } from '../../src/domain/notice.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { requestFixture } from '../support/fixtures.js';

let file: string;
let store: SqliteStore;
beforeEach(() => {
  file = join(mkdtempSync(join(tmpdir(), 'bg-outbox-')), 'breakglass.db');
  store = new SqliteStore(file);
});
afterEach(() => store.close());

const LEASE = 30_000;
const nudge = (id: string): Notice => ({ kind: 'nudge', request: requestFixture(id) });

describe('outbox', () => {
  it('commits notices with the request change, or not at all', async () => {
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }] });
    expect(await store.updateRequest('BG-1', 1, requestFixture('BG-1'), { notify: [{ to: 'update' }] })).toBe(
      true,
    );
    // A losing compare-and-set writes no notice either.
    expect(await store.updateRequest('BG-1', 1, requestFixture('BG-1'), { notify: [{ to: 'update' }] })).toBe(
      false,
    );
    expect((await store.listDeliveries('BG-1')).map((d) => d.delivery.to)).toEqual(['post', 'update']);
  });

  it('delivers in order per request, and requests independently', async () => {
    await store.createRequest(requestFixture('BG-A'), { notify: [{ to: 'post' }] });
    await store.enqueue('BG-A', [{ to: 'thread', notice: nudge('BG-A') }]);
    await store.createRequest(requestFixture('BG-B'), { notify: [{ to: 'post' }] });
    const first = await store.claimDelivery('w1', 0, LEASE);
    const second = await store.claimDelivery('w2', 0, LEASE);
    // BG-A's thread reply waits for its post; BG-B's post does not.
    expect([first?.requestId, first?.delivery.to]).toEqual(['BG-A', 'post']);
    expect([second?.requestId, second?.delivery.to]).toEqual(['BG-B', 'post']);
    expect(await store.claimDelivery('w3', 0, LEASE)).toBeUndefined();
    if (!first) throw new Error('no claim');
    await store.deliverySent(first.id, 10);
    expect((await store.claimDelivery('w3', 0, LEASE))?.delivery.to).toBe('thread');
  });

  it('lets the next notice go after one failed for good', async () => {
    await store.createRequest(requestFixture('BG-1'), {
      notify: [{ to: 'post' }, { to: 'dm', userId: 'U1', notice: nudge('BG-1') }],
    });
    const post = await store.claimDelivery('w', 0, LEASE);
    await store.deliveryFailed(post?.id ?? 0, 'not_in_channel', 5);
    expect((await store.claimDelivery('w', 0, LEASE))?.delivery.to).toBe('dm');
    const all = await store.listDeliveries('BG-1');
    expect(all[0]).toMatchObject({ status: 'failed', lastError: 'not_in_channel' });
  });

  it('re-offers a claim only after its lease lapses, and holds a deferred target', async () => {
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }] });
    await store.createRequest(requestFixture('BG-2'), {
      notify: [{ to: 'dm', userId: 'U9', notice: nudge('BG-2') }],
    });
    const claim = await store.claimDelivery('w1', 0, LEASE);
    expect(claim?.requestId).toBe('BG-1');
    await store.deferTarget(CHANNEL_TARGET, 5_000);
    // BG-1 is leased; BG-2's DM is another target and goes on.
    const dm = await store.claimDelivery('w2', 10, LEASE);
    expect(dm?.requestId).toBe('BG-2');
    await store.deliverySent(dm?.id ?? 0, 20);
    expect(await store.claimDelivery('w2', LEASE, LEASE)).toBeUndefined();
    expect(await store.claimDelivery('w2', LEASE + 1, LEASE)).toMatchObject({
      requestId: 'BG-1',
      attempts: 2,
    });
    await store.retryDelivery(claim?.id ?? 0, 90_000, 'ratelimited');
    expect(await store.claimDelivery('w2', 89_999, LEASE)).toBeUndefined();
    expect((await store.claimDelivery('w2', 90_000, LEASE))?.requestId).toBe('BG-1');
  });

  it('counts the backlog and its oldest notice', async () => {
    expect(await store.deliveryBacklog()).toEqual({ pending: 0 });
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }, { to: 'update' }] });
    const backlog = await store.deliveryBacklog();
    expect(backlog.pending).toBe(2);
    expect(backlog.oldestAt).toBeGreaterThan(Date.now() - 60_000);
  });
});
