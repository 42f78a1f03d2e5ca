/** Click replies through a response_url: what each answer of Slack means for the outbox. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clickReply, postToResponseUrl, RESPONSE_URL_TTL_MS } from '../../src/slack/response-url.js';

const HOOKS = 'https://hooks.slack.test';
const reply = (replace = false) =>
  clickReply(`${HOOKS}/actions/T1/1/abc`, { text: 'Approval recorded' }, replace, 0);

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

describe('postToResponseUrl', () => {
  it('sends an ephemeral answer, or replaces the message clicked on', async () => {
    const bodies: unknown[] = [];
    nock(HOOKS)
      .post('/actions/T1/1/abc')
      .twice()
      .reply(200, (_uri, body) => {
        bodies.push(body);
        return { ok: true };
      });
    await postToResponseUrl(reply(), 1000);
    await postToResponseUrl(
      { ...reply(true), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }] },
      1000,
    );
    expect(bodies).toEqual([
      { response_type: 'ephemeral', replace_original: false, text: 'Approval recorded' },
      {
        replace_original: true,
        text: 'Approval recorded',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }],
      },
    ]);
  });

  it.each([
    [
      'a 429 with Retry-After',
      () => nock(HOOKS).post(/.*/).reply(429, 'slow down', { 'Retry-After': '4' }),
      {
        failure: 'rate-limited',
        code: 'ratelimited',
        retryAfterMs: 4000,
      },
    ],
    ['a 503', () => nock(HOOKS).post(/.*/).reply(503, 'down'), { failure: 'transient', code: 'http_503' }],
    [
      'a reset',
      () => nock(HOOKS).post(/.*/).replyWithError({ code: 'ECONNRESET' }),
      {
        failure: 'transient',
        code: 'request_failed',
      },
    ],
    [
      'a timeout',
      () => nock(HOOKS).post(/.*/).delay(500).reply(200, { ok: true }),
      {
        failure: 'transient',
        code: 'timeout',
      },
    ],
    [
      'expired_url as a bare word',
      () => nock(HOOKS).post(/.*/).reply(404, 'expired_url'),
      {
        failure: 'permanent',
        code: 'expired_url',
      },
    ],
    [
      'used_url in JSON',
      () => nock(HOOKS).post(/.*/).reply(200, { ok: false, error: 'used_url' }),
      {
        failure: 'permanent',
        code: 'used_url',
      },
    ],
    [
      'any other 4xx',
      () => nock(HOOKS).post(/.*/).reply(400, 'bad'),
      { failure: 'permanent', code: 'http_400' },
    ],
  ])('maps %s', async (_what, answer, expected) => {
    answer();
    await expect(postToResponseUrl(reply(), 100)).rejects.toMatchObject(expected);
  });

  it('lives a little less than the 30 minutes Slack gives a response_url', () => {
    const r = clickReply('u', { text: 't' }, false, 1_000);
    expect(r.expiresAt).toBeLessThan(1_000 + RESPONSE_URL_TTL_MS);
    expect(r.expiresAt).toBeGreaterThan(1_000 + RESPONSE_URL_TTL_MS - 5 * 60_000);
  });
});
