/**
 * The outbox's delivery worker against a scripted Announcer: what it does with
 * each kind of Slack failure (when it tries again, what it holds back, what it
 * gives up on and who hears of it), and what it writes to the log.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClickReply, Notice } from '../../src/domain/notice.js';
import { createLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { OutboxItem, StoredRequest } from '../../src/store/store.js';
import { DeliveryWorker } from '../../src/workflow/delivery.js';
import { DeliveryError } from '../../src/workflow/delivery-error.js';
import type { Announcer } from '../../src/workflow/ports.js';
import { requestFixture } from '../support/fixtures.js';

/** An Announcer that records calls and throws the scripted failures first, in order. */
class ScriptedAnnouncer implements Announcer {
  readonly calls: string[] = [];
  readonly failures: unknown[] = [];

  private async answer(call: string): Promise<void> {
    this.calls.push(call);
    const failure = this.failures.shift();
    if (failure) throw failure;
  }
  async post(stored: StoredRequest) {
    await this.answer(`post ${stored.request.id}`);
    return { channel: 'CAPPROVALS', ts: '1.000001' };
  }
  async update(stored: StoredRequest) {
    await this.answer(`update ${stored.request.id} ${stored.message?.ts}`);
  }
  async thread(stored: StoredRequest, notice: Notice) {
    await this.answer(`thread ${stored.request.id} ${notice.kind}`);
  }
  async channel(notice: Notice) {
    await this.answer(`channel ${notice.kind}`);
  }
  async dm(userId: string, notice: Notice) {
    await this.answer(`dm ${userId} ${notice.kind}`);
  }
  async reply(reply: ClickReply) {
    await this.answer(`reply ${reply.text}`);
  }
}

const nudge = (id: string): Notice => ({ kind: 'nudge', request: requestFixture(id) });

let store: SqliteStore;
let announcer: ScriptedAnnouncer;
let lines: string[];
let undeliverable: { item: OutboxItem; error: DeliveryError }[];
const clock = { now: 1_000_000 };

function worker(
  options: { onUndeliverable?: false | (() => Promise<void>); concurrency?: number; tickMs?: number } = {},
): DeliveryWorker {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const onUndeliverable =
    options.onUndeliverable === false
      ? {}
      : {
          onUndeliverable:
            options.onUndeliverable ??
            (async (item: OutboxItem, error: DeliveryError) => {
              undeliverable.push({ item, error });
            }),
        };
  return new DeliveryWorker(store, announcer, {
    log: createLogger({ level: 'debug' }, sink),
    tickMs: options.tickMs ?? 10,
    now: () => clock.now,
    concurrency: options.concurrency ?? 4,
    ...onUndeliverable,
  });
}

/** What the worker logged, metric lines (asserted in the metrics tests) left out. */
const logged = () =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.metric === undefined);

beforeEach(async () => {
  store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bg-delivery-')), 'db.sqlite'));
  announcer = new ScriptedAnnouncer();
  lines = [];
  undeliverable = [];
  clock.now = 1_000_000;
  await store.createRequest(requestFixture('BG-1'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await store.close();
});

describe('DeliveryWorker: sending', () => {
  it('posts the request message, updates it afterwards, and sends notices in order', async () => {
    await store.enqueue('BG-1', [{ to: 'update' }, { to: 'post' }, { to: 'update' }]);
    await store.enqueue('BG-1', [
      { to: 'thread', notice: nudge('BG-1') },
      { to: 'channel', notice: nudge('BG-1') },
      { to: 'dm', userId: 'U7', notice: nudge('BG-1') },
    ]);
    await worker().drain();
    // An update before the post has nothing to update yet.
    expect(announcer.calls).toEqual([
      'post BG-1',
      'update BG-1 1.000001',
      'thread BG-1 nudge',
      'channel nudge',
      'dm U7 nudge',
    ]);
    expect((await store.getRequest('BG-1'))?.message).toEqual({ channel: 'CAPPROVALS', ts: '1.000001' });
    expect((await store.listDeliveries('BG-1')).every((d) => d.status === 'sent')).toBe(true);
  });

  it('sends nothing about a request that no longer exists', async () => {
    await store.enqueue('BG-GONE', [{ to: 'thread', notice: nudge('BG-GONE') }, { to: 'post' }]);
    await worker().drain();
    expect(announcer.calls).toEqual([]);
    expect((await store.listDeliveries('BG-GONE')).map((d) => d.status)).toEqual(['sent', 'sent']);
  });

  it('delivers on its own once started, and stops claiming once stopped', async () => {
    const w = worker({ tickMs: 60_000 });
    expect(w.workerId).toMatch(/^outbox-[0-9a-f]{8}$/);
    w.start();
    await store.enqueue('BG-1', [{ to: 'dm', userId: 'U7', notice: nudge('BG-1') }]);
    w.wake();
    await vi.waitFor(() => expect(announcer.calls).toEqual(['dm U7 nudge']));
    await w.stop();
    await store.enqueue('BG-1', [{ to: 'channel', notice: nudge('BG-1') }]);
    w.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(announcer.calls).toEqual(['dm U7 nudge']);
  });
});

describe('DeliveryWorker: failures', () => {
  /** Runs the worker at `at` and says whether the notice was tried then. */
  async function triedAt(w: DeliveryWorker, at: number): Promise<boolean> {
    const before = announcer.calls.length;
    clock.now = at;
    await w.drain();
    return announcer.calls.length > before;
  }

  it.each([
    ['at the upper end of the jitter', 1, [1000, 2000, 4000, 8000, 16000, 20000, 20000]],
    ['at the lower end of the jitter', 0, [500, 1000, 2000, 4000, 8000, 10000, 10000]],
  ])('retries an outage with back-off doubling from 1 s to 20 s (%s)', async (_end, random, delays) => {
    vi.spyOn(Math, 'random').mockReturnValue(random);
    await store.enqueue('BG-1', [{ to: 'channel', notice: nudge('BG-1') }]);
    announcer.failures.push(...delays.map(() => new DeliveryError('transient', 'http_503')));
    const w = worker();
    let at = clock.now;
    expect(await triedAt(w, at)).toBe(true);
    for (const delay of delays) {
      expect(await triedAt(w, at + delay - 1)).toBe(false);
      expect(await triedAt(w, at + delay)).toBe(true);
      at += delay;
    }
    expect((await store.listDeliveries('BG-1'))[0]).toMatchObject({
      status: 'sent',
      attempts: delays.length + 1,
    });
  });

  it('logs each retry as a warning, with the cause', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1);
    await store.enqueue('BG-1', [{ to: 'dm', userId: 'U7', notice: nudge('BG-1') }]);
    announcer.failures.push(new Error('socket hang up'));
    await worker().drain();
    const [warning] = logged();
    expect(warning).toMatchObject({
      level: 40,
      requestId: 'BG-1',
      notice: 'dm nudge',
      attempt: 1,
      err: 'socket hang up',
      retryInMs: 1000,
      msg: 'could not deliver a notice; will retry',
    });
    // No answer: the notice may have reached Slack, and its retry looks first.
    expect((await store.listDeliveries('BG-1'))[0]).toMatchObject({
      status: 'pending',
      lastError: 'uncertain: socket hang up',
    });
  });

  it('looks for an earlier post only after an attempt whose outcome is unknown, and keeps that doubt', async () => {
    const refs: boolean[] = [];
    announcer.channel = async (_notice: Notice, ref?: { retry: boolean }) => {
      refs.push(ref?.retry ?? false);
      const failure = announcer.failures.shift();
      if (failure) throw failure;
    };
    const at = clock.now;
    await store.enqueue('BG-1', [{ to: 'channel', notice: nudge('BG-1') }]);
    announcer.failures.push(new DeliveryError('rate-limited', 'ratelimited', 1000));
    announcer.failures.push(new DeliveryError('transient', 'timeout'));
    announcer.failures.push(new DeliveryError('rate-limited', 'ratelimited', 1000));
    const w = worker();
    for (const step of [0, 1000, 3000, 5000, 30_000]) {
      clock.now = at + step;
      await w.drain();
    }
    // A 429 sent nothing; a timeout may have; a 429 after it does not clear the doubt.
    expect(refs).toEqual([false, false, true, true]);
    expect((await store.listDeliveries('BG-1'))[0]?.status).toBe('sent');
  });

  it("holds the channel for Slack's Retry-After, and only the channel", async () => {
    await store.enqueue('BG-1', [{ to: 'channel', notice: nudge('BG-1') }]);
    await store.createRequest(requestFixture('BG-2'));
    await store.enqueue('BG-2', [
      { to: 'thread', notice: nudge('BG-2') },
      { to: 'dm', userId: 'U7', notice: nudge('BG-2') },
    ]);
    await store.createRequest(requestFixture('BG-3'));
    await store.enqueue('BG-3', [{ to: 'dm', userId: 'U8', notice: nudge('BG-3') }]);
    const start = clock.now;
    announcer.failures.push(new DeliveryError('rate-limited', 'ratelimited', 5000));
    const w = worker({ concurrency: 1 });
    await w.drain();
    // Another request's thread reply waits for the channel, and its DM waits behind it; another DM goes out.
    expect(announcer.calls).toEqual(['channel nudge', 'dm U8 nudge']);
    expect(await triedAt(w, start + 4999)).toBe(false);
    expect(await triedAt(w, start + 5000)).toBe(true);
    expect(announcer.calls.slice(2)).toEqual(['channel nudge', 'thread BG-2 nudge', 'dm U7 nudge']);
    expect(logged()[0]).toMatchObject({
      level: 40,
      retryAfterMs: 5000,
      msg: 'Slack rate limit: holding this channel',
    });
  });

  it('holds notices written after the 429 too, without trying them first', async () => {
    await store.enqueue('BG-1', [{ to: 'channel', notice: nudge('BG-1') }]);
    const start = clock.now;
    announcer.failures.push(new DeliveryError('rate-limited', 'ratelimited', 5000));
    const w = worker({ concurrency: 1 });
    await w.drain();
    // Written while the channel is held: by another request, and after the hold, to the same channel.
    await store.createRequest(requestFixture('BG-2'));
    await store.enqueue('BG-2', [{ to: 'channel', notice: nudge('BG-2') }]);
    await store.enqueue('BG-1', [{ to: 'dm', userId: 'U7', notice: nudge('BG-1') }]);
    clock.now = start + 1000;
    await w.drain();
    expect(announcer.calls).toEqual(['channel nudge']);
    expect(await triedAt(w, start + 5000)).toBe(true);
    expect(announcer.calls).toEqual(['channel nudge', 'channel nudge', 'channel nudge', 'dm U7 nudge']);
    // The hold ends with Retry-After: a notice written later goes out at once.
    await store.enqueue('BG-2', [{ to: 'channel', notice: nudge('BG-2') }]);
    await w.drain();
    expect(announcer.calls).toHaveLength(5);
  });

  it('drops a click reply once its response_url has lapsed, and sends one still valid', async () => {
    const reply = (text: string, expiresAt: number) => ({
      to: 'reply' as const,
      reply: { url: 'https://hooks.slack.test/x', expiresAt, replaceOriginal: false, text },
    });
    await store.enqueue('BG-1', [reply('late', clock.now), reply('in time', clock.now + 1)]);
    const w = worker();
    await w.drain();
    expect(announcer.calls).toEqual(['reply in time']);
    expect((await store.listDeliveries('BG-1')).map((d) => d.status)).toEqual(['sent', 'sent']);
    expect(logged()).toEqual([
      expect.objectContaining({ level: 30, msg: 'a click reply outlived its response_url; dropped' }),
    ]);
    expect(lines.join('')).not.toContain('hooks.slack.test');
  });

  it('drops a click reply Slack refuses for good at info: no alert, no hand-on, not unready', async () => {
    await store.enqueue('BG-1:replies', [
      {
        to: 'reply',
        reply: {
          url: 'https://hooks.slack.test/x',
          expiresAt: clock.now + 60_000,
          replaceOriginal: false,
          text: 'hi',
        },
      },
    ]);
    announcer.failures.push(new DeliveryError('permanent', 'used_url'));
    const w = worker();
    await w.drain();
    expect((await store.listDeliveries('BG-1:replies')).map((d) => [d.status, d.lastError])).toEqual([
      ['failed', 'used_url'],
    ]);
    expect(undeliverable).toEqual([]);
    expect(w.lastPermanentError).toBeUndefined();
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 30,
        slackError: 'used_url',
        msg: 'Slack refused a click reply (response_url lapsed or used up); dropped',
      }),
    ]);
    expect(lines.some((l) => l.includes('NoticeUndeliverable'))).toBe(false);
  });

  it('looks for an earlier post after a process died mid-call (a claim with no error recorded)', async () => {
    const refs: boolean[] = [];
    announcer.channel = async (_notice: Notice, ref?: { retry: boolean }) => {
      refs.push(ref?.retry ?? false);
    };
    await store.enqueue('BG-1', [{ to: 'channel', notice: nudge('BG-1') }]);
    // Claimed by a process that died: its lease lapses, nothing recorded.
    await store.claimDelivery('dead-worker', clock.now, 1);
    clock.now += 10;
    await worker().drain();
    expect(refs).toEqual([true]);
  });

  it('waits a second when Slack asks to slow down without saying how long', async () => {
    await store.enqueue('BG-1', [{ to: 'channel', notice: nudge('BG-1') }]);
    announcer.failures.push(new DeliveryError('rate-limited', 'ratelimited'));
    const w = worker();
    const start = clock.now;
    await w.drain();
    expect(await triedAt(w, start + 999)).toBe(false);
    expect(await triedAt(w, start + 1000)).toBe(true);
  });

  it('gives up on a permanent error, says so at error level, and hands the notice on', async () => {
    await store.enqueue('BG-1', [
      { to: 'dm', userId: 'U7', notice: nudge('BG-1') },
      { to: 'channel', notice: nudge('BG-1') },
    ]);
    announcer.failures.push(new DeliveryError('permanent', 'cannot_dm_bot'));
    const w = worker();
    await w.drain();
    expect(announcer.calls).toEqual(['dm U7 nudge', 'channel nudge']);
    expect((await store.listDeliveries('BG-1')).map((d) => [d.status, d.lastError])).toEqual([
      ['failed', 'cannot_dm_bot'],
      ['sent', undefined],
    ]);
    expect(w.lastPermanentError).toMatchObject({
      code: 'cannot_dm_bot',
      requestId: 'BG-1',
      what: 'dm nudge',
    });
    expect(undeliverable.map((u) => [u.item.delivery.to, u.error.code])).toEqual([['dm', 'cannot_dm_bot']]);
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 50,
        requestId: 'BG-1',
        notice: 'dm nudge',
        slackError: 'cannot_dm_bot',
        msg: 'Slack refused a notice; retrying cannot fix it',
      }),
    ]);
  });

  it('logs a failure to hand on an undeliverable notice, and goes on', async () => {
    await store.enqueue('BG-1', [{ to: 'post' }, { to: 'dm', userId: 'U7', notice: nudge('BG-1') }]);
    announcer.failures.push(new DeliveryError('permanent', 'not_in_channel'));
    await worker({ onUndeliverable: () => Promise.reject(new Error('store is read-only')) }).drain();
    expect(announcer.calls).toEqual(['post BG-1', 'dm U7 nudge']);
    expect(logged().map((l) => [l.level, l.msg, l.err])).toEqual([
      [50, 'Slack refused a notice; retrying cannot fix it', undefined],
      [50, 'could not handle an undeliverable notice', 'store is read-only'],
    ]);
  });

  it('needs nobody to hand undeliverable notices to', async () => {
    await store.enqueue('BG-1', [{ to: 'post' }]);
    announcer.failures.push(new DeliveryError('permanent', 'not_in_channel'));
    await worker({ onUndeliverable: false }).drain();
    expect(logged().map((l) => l.msg)).toEqual(['Slack refused a notice; retrying cannot fix it']);
  });
});

describe('DeliveryError', () => {
  it('names the failure and the Slack error', () => {
    const error = new DeliveryError('rate-limited', 'ratelimited', 3000);
    expect(error).toMatchObject({ name: 'DeliveryError', failure: 'rate-limited', code: 'ratelimited' });
    expect(error.message).toBe('rate-limited Slack error: ratelimited');
    expect(error.retryAfterMs).toBe(3000);
    expect(error).toBeInstanceOf(Error);
  });
});

describe('DeliveryWorker: a store that fails', () => {
  it('logs a failed claim under its name and keeps going', async () => {
    class LockedStore extends SqliteStore {
      locked = 1;
      override async claimDelivery(workerId: string, now: number, leaseMs: number) {
        if (this.locked-- > 0) throw new Error('database is locked');
        return super.claimDelivery(workerId, now, leaseMs);
      }
    }
    const locked = new LockedStore(':memory:');
    await locked.createRequest(requestFixture('BG-1'));
    await locked.enqueue('BG-1', [{ to: 'channel', notice: nudge('BG-1') }]);
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const w = new DeliveryWorker(locked, announcer, {
      log: createLogger({ level: 'debug' }, sink),
      tickMs: 5,
    });
    w.start();
    await vi.waitFor(() => expect(announcer.calls).toEqual(['channel nudge']));
    await w.stop();
    expect(logged()[0]).toMatchObject({ level: 50, loop: 'outbox', err: 'database is locked' });
    await locked.close();
  });
});
