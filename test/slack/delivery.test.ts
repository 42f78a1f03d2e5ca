/**
 * The outbox's delivery worker against Slack's Web API at the HTTP layer (nock):
 * the real WebClient, its error parsing and our mapping of each Slack answer.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Notice } from '../../src/domain/notice.js';
import { silentLogger } from '../../src/log.js';
import { SlackAnnouncer } from '../../src/slack/announcer.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { OutboxItem } from '../../src/store/store.js';
import { DeliveryWorker } from '../../src/workflow/delivery.js';
import type { DeliveryError } from '../../src/workflow/delivery-error.js';
import { requestFixture } from '../support/fixtures.js';

const SLACK = 'https://slack.test';
const CHANNEL = 'CAPPROVALS';
let store: SqliteStore;
let worker: DeliveryWorker;
let makeWorker: (concurrency: number) => DeliveryWorker;
let refused: { item: OutboxItem; error: DeliveryError }[];
const clock = { now: 1_000_000 };

const OWN_BOT = 'BBREAKGLASS';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bg-delivery-')), 'breakglass.db'));
  const client = new WebClient('xoxb-test', {
    slackApiUrl: `${SLACK}/api/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 300,
  });
  const announcer = new SlackAnnouncer(client, CHANNEL, {
    approverIds: ['UAPPROVER1', 'UAPPROVER2'],
    durationsSeconds: [3600],
    pendingTtlSeconds: 3600,
  });
  refused = [];
  makeWorker = (concurrency) =>
    new DeliveryWorker(store, announcer, {
      log: silentLogger,
      tickMs: 1000,
      now: () => clock.now,
      concurrency,
      onUndeliverable: async (item, error) => {
        refused.push({ item, error });
      },
    });
  worker = makeWorker(4);
  // The announcer asks who it is once, before its first look for an earlier post.
  nock(SLACK).post('/api/auth.test').reply(200, { ok: true, bot_id: OWN_BOT }).persist();
});
afterEach(async () => {
  nock.cleanAll();
  await store.close();
});

const nudge = (id: string): Notice => ({ kind: 'nudge', request: requestFixture(id) });
const posted = { ok: true, channel: CHANNEL, ts: '1800000000.000100' };

function slackCall(method: string) {
  return nock(SLACK).post(`/api/${method}`);
}

/** The retry's look for an earlier post (its answer may have been lost) finds none. */
function noEarlierPost() {
  return slackCall('conversations.history').reply(200, {
    ok: true,
    messages: [],
    response_metadata: { next_cursor: '' },
  });
}

async function statuses(id: string) {
  return (await store.listDeliveries(id)).map((d) => `${d.delivery.to}:${d.status}`);
}

describe('delivery worker', () => {
  it('posts the request message, then replies in its thread, once each', async () => {
    await store.createRequest(requestFixture('BG-1'), {
      notify: [{ to: 'post' }, { to: 'thread', notice: nudge('BG-1') }],
    });
    const bodies: URLSearchParams[] = [];
    slackCall('chat.postMessage')
      .twice()
      .reply(200, (_uri, body) => {
        bodies.push(new URLSearchParams(String(body)));
        return posted;
      });
    await worker.drain();
    expect(await statuses('BG-1')).toEqual(['post:sent', 'thread:sent']);
    expect(bodies[0]?.get('channel')).toBe(CHANNEL);
    expect(bodies[0]?.get('thread_ts')).toBeNull();
    expect(bodies[1]?.get('thread_ts')).toBe(posted.ts);
    expect((await store.getRequest('BG-1'))?.message).toEqual({ channel: CHANNEL, ts: posted.ts });
  });

  it('updates instead of posting again when the message already exists (a restart after the post)', async () => {
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }] });
    await store.setMessage('BG-1', { channel: CHANNEL, ts: posted.ts });
    const update = slackCall('chat.update').reply(200, { ok: true });
    await worker.drain();
    expect(update.isDone()).toBe(true);
    expect(await statuses('BG-1')).toEqual(['post:sent']);
  });

  it.each([
    'not_in_channel',
    'channel_not_found',
    'is_archived',
    'invalid_blocks',
    'missing_scope',
    'invalid_auth',
  ])('treats %s as permanent: recorded, reported once, and the next notice goes on', async (code) => {
    await store.createRequest(requestFixture('BG-1'), {
      notify: [{ to: 'post' }, { to: 'dm', userId: 'U1', notice: nudge('BG-1') }],
    });
    slackCall('chat.postMessage').reply(200, { ok: false, error: code });
    slackCall('chat.postMessage').reply(200, posted);
    await worker.drain();
    expect(await statuses('BG-1')).toEqual(['post:failed', 'dm:sent']);
    expect(refused.map((r) => [r.item.delivery.to, r.error.code])).toEqual([['post', code]]);
    expect(worker.lastPermanentError).toMatchObject({ code, requestId: 'BG-1' });
  });

  it('holds the rate-limited channel for Retry-After while DMs go on', async () => {
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }] });
    await store.createRequest(requestFixture('BG-2'), { notify: [{ to: 'post' }] });
    await store.createRequest(requestFixture('BG-3'), {
      notify: [{ to: 'dm', userId: 'U3', notice: nudge('BG-3') }],
    });
    slackCall('chat.postMessage').reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '7' });
    slackCall('chat.postMessage').reply(200, posted);
    // One at a time, so the order of calls (and of nock's answers) is known.
    await makeWorker(1).drain();
    // One channel post was refused; the other channel post waits behind it; the DM went out.
    expect(await statuses('BG-3')).toEqual(['dm:sent']);
    const pending = [...(await store.listDeliveries('BG-1')), ...(await store.listDeliveries('BG-2'))];
    expect(pending.map((d) => d.status)).toEqual(['pending', 'pending']);
    expect(await store.claimDelivery('probe', clock.now + 6_999, 1)).toBeUndefined();

    clock.now += 7_000;
    // Slack took nothing with its 429: no look for an earlier post.
    slackCall('chat.postMessage').twice().reply(200, posted);
    await worker.drain();
    expect([...(await statuses('BG-1')), ...(await statuses('BG-2'))]).toEqual(['post:sent', 'post:sent']);
    expect(refused).toEqual([]);
  });

  it("waits on chat.postMessage's own rate_limited answer instead of dropping the notice", async () => {
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }] });
    slackCall('chat.postMessage').reply(200, { ok: false, error: 'rate_limited' });
    await worker.drain();
    expect(await statuses('BG-1')).toEqual(['post:pending']);
    expect(refused).toEqual([]);
    clock.now += 2_000;
    slackCall('chat.postMessage').reply(200, posted);
    await worker.drain();
    expect(await statuses('BG-1')).toEqual(['post:sent']);
  });

  it.each([
    ['an HTTP 503', () => slackCall('chat.postMessage').reply(503, 'upstream down')],
    [
      'internal_error',
      () => slackCall('chat.postMessage').reply(200, { ok: false, error: 'internal_error' }),
    ],
    ['a timeout', () => slackCall('chat.postMessage').delay(1_000).reply(200, posted)],
    ['a reset connection', () => slackCall('chat.postMessage').replyWithError({ code: 'ECONNRESET' })],
  ])('retries after %s with back-off, and delivers once when Slack is back', async (_what, fail) => {
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }] });
    fail();
    await worker.drain();
    expect(await statuses('BG-1')).toEqual(['post:pending']);
    expect(await store.claimDelivery('probe', clock.now + 400, 1)).toBeUndefined();

    clock.now += 20_000;
    const looked = noEarlierPost();
    const ok = slackCall('chat.postMessage').reply(200, posted);
    await worker.drain();
    expect(looked.isDone()).toBe(true);
    expect(ok.isDone()).toBe(true);
    expect(await statuses('BG-1')).toEqual(['post:sent']);
    expect(refused).toEqual([]);
  });
});

describe('a post whose answer was lost', () => {
  async function timedOutPost(): Promise<URLSearchParams[]> {
    await store.createRequest(requestFixture('BG-1'), { notify: [{ to: 'post' }] });
    const bodies: URLSearchParams[] = [];
    // Slack takes the post but answers after the client gave up.
    slackCall('chat.postMessage')
      .delay(1_000)
      .reply(200, (_uri, body) => {
        bodies.push(new URLSearchParams(String(body)));
        return posted;
      });
    await worker.drain();
    expect(await statuses('BG-1')).toEqual(['post:pending']);
    clock.now += 20_000;
    return bodies;
  }

  it('finds the earlier post by its metadata and updates it instead of posting again', async () => {
    const bodies = await timedOutPost();
    const metadata = JSON.parse(bodies[0]?.get('metadata') ?? '{}') as {
      event_payload?: { notice_id?: string };
    };
    expect(metadata).toMatchObject({
      event_type: 'breakglass_notice',
      event_payload: { request_id: 'BG-1' },
    });
    let query: URLSearchParams | undefined;
    slackCall('conversations.history').reply(200, (_uri, body) => {
      query = new URLSearchParams(String(body));
      return {
        ok: true,
        messages: [
          { ts: '1800000000.000300', text: 'planted by another app', bot_id: 'BOTHER', metadata },
          { ts: '1800000000.000200', text: 'another' },
          { ts: posted.ts, text: 'the request', bot_id: OWN_BOT, metadata },
        ],
        response_metadata: { next_cursor: '' },
      };
    });
    const update = slackCall('chat.update').reply(200, { ok: true });
    await worker.drain();
    expect(query?.get('channel')).toBe(CHANNEL);
    expect(query?.get('include_all_metadata')).toBe('true');
    expect(update.isDone()).toBe(true);
    expect(await statuses('BG-1')).toEqual(['post:sent']);
    expect((await store.getRequest('BG-1'))?.message).toEqual({ channel: CHANNEL, ts: posted.ts });
  });

  it('retries the look, without posting, while Slack cannot answer it', async () => {
    await timedOutPost();
    slackCall('conversations.history').reply(503, 'down');
    await worker.drain();
    expect(await statuses('BG-1')).toEqual(['post:pending']);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('posts again when it may not read the history', async () => {
    await timedOutPost();
    slackCall('conversations.history').reply(200, { ok: false, error: 'missing_scope' });
    const again = slackCall('chat.postMessage').reply(200, posted);
    await worker.drain();
    expect(again.isDone()).toBe(true);
    expect(await statuses('BG-1')).toEqual(['post:sent']);
  });
});
