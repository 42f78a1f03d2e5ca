/** The fake Slack's strictness and programmable failures, seen through the real WebClient's error parsing. */
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newTriggerId } from '../../support/slack-client.js';
import { FakeSlack, TRIGGER_TTL_MS } from './server.js';

let slack: FakeSlack;
let client: WebClient;
beforeAll(async () => {
  slack = await FakeSlack.start();
  client = new WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
});
afterAll(() => slack.close());
beforeEach(() => slack.up());

const section = (text: string) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text } });
const modal = (title: string) => ({
  type: 'modal' as const,
  title: { type: 'plain_text' as const, text: title },
  blocks: [section('hello')],
});

describe('Block Kit validation', () => {
  it('posts valid blocks', async () => {
    const res = await client.chat.postMessage({
      channel: 'C1',
      text: 'hi',
      blocks: [section('x'.repeat(3000))],
    });
    expect(res).toMatchObject({ ok: true, channel: 'C1' });
  });

  it.each(['chat.postMessage', 'chat.update', 'chat.postEphemeral'] as const)(
    'refuses over-long section text in %s with invalid_blocks',
    async (method) => {
      const args = { channel: 'C1', ts: '1.2', user: 'U1', text: 'hi', blocks: [section('x'.repeat(3001))] };
      const call =
        method === 'chat.postMessage'
          ? client.chat.postMessage(args)
          : method === 'chat.update'
            ? client.chat.update(args)
            : client.chat.postEphemeral(args);
      await expect(call).rejects.toMatchObject({
        code: ErrorCode.PlatformError,
        data: {
          ok: false,
          error: 'invalid_blocks',
          errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
        },
      });
      expect(slack.calls.at(-1)?.outcome).toEqual({ status: 200, ok: false, error: 'invalid_blocks' });
    },
  );

  it('refuses 51 blocks in a message', async () => {
    const blocks = Array.from({ length: 51 }, () => section('x'));
    await expect(client.chat.postMessage({ channel: 'C1', text: 'hi', blocks })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
  });

  it.each(['views.update', 'views.publish'] as const)(
    'refuses an invalid view in %s with invalid_arguments',
    async (method) => {
      const view = {
        ...modal('t'),
        type: method === 'views.publish' ? ('home' as const) : ('modal' as const),
      };
      const tooMany = { ...view, blocks: Array.from({ length: 101 }, () => section('x')) };
      const call =
        method === 'views.update'
          ? client.views.update({ view_id: 'V1', view: tooMany })
          : client.views.publish({ user_id: 'U1', view: tooMany });
      await expect(call).rejects.toMatchObject({
        code: ErrorCode.PlatformError,
        data: {
          error: 'invalid_arguments',
          response_metadata: {
            messages: ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'],
          },
        },
      });
    },
  );

  it('refuses a modal title over 24 characters in views.open and views.push', async () => {
    for (const call of [
      () => client.views.open({ trigger_id: newTriggerId(), view: modal('x'.repeat(25)) }),
      () => client.views.push({ trigger_id: newTriggerId(), view: modal('x'.repeat(25)) }),
    ]) {
      await expect(call()).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
    }
    await expect(
      client.views.open({ trigger_id: newTriggerId(), view: modal('x'.repeat(24)) }),
    ).resolves.toMatchObject({
      ok: true,
    });
  });

  it('refuses invalid blocks sent to a response_url', async () => {
    const res = await fetch(slack.responseUrl('r1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi', blocks: [section('')] }),
    });
    expect(await res.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
  });

  it('leaves refused messages out of what people could read', async () => {
    await client.chat.postMessage({ channel: 'C1', text: 'seen', blocks: [section('seen')] });
    await expect(
      client.chat.postMessage({ channel: 'C1', text: 'unseen', blocks: [section('x'.repeat(3001))] }),
    ).rejects.toThrow();
    const texts = slack.texts('chat.postMessage').join('\n');
    expect(texts).toContain('seen');
    expect(texts).not.toContain('unseen');
  });
});

describe('trigger ids', () => {
  it('refuses a trigger id used twice', async () => {
    const trigger = newTriggerId();
    await client.views.open({ trigger_id: trigger, view: modal('one') });
    await expect(client.views.open({ trigger_id: trigger, view: modal('two') })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'invalid_trigger_id' },
    });
  });

  it('refuses a trigger id older than 3 s', async () => {
    const old = newTriggerId(Date.now() - TRIGGER_TTL_MS - 1);
    await expect(client.views.open({ trigger_id: old, view: modal('late') })).rejects.toMatchObject({
      data: { error: 'expired_trigger_id' },
    });
  });

  it('accepts trigger ids in a format it cannot read', async () => {
    await client.views.open({ trigger_id: '12345.98765.abcd', view: modal('a') });
    await expect(
      client.views.open({ trigger_id: '12345.98765.abcd', view: modal('b') }),
    ).resolves.toMatchObject({
      ok: true,
    });
  });
});

describe('programmed failures', () => {
  it('answers a programmed error the given number of times', async () => {
    slack.failNext('chat.postMessage', 'internal_error', { times: 2 });
    for (let i = 0; i < 2; i++) {
      await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
        data: { error: 'internal_error' },
      });
    }
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('answers 429 with Retry-After', async () => {
    slack.rateLimitNext('chat.postMessage', 7);
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 7,
    });
    expect(slack.calls.at(-1)?.outcome).toEqual({ status: 429, ok: false, error: 'ratelimited' });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('answers HTTP 5xx', async () => {
    slack.httpErrorNext('chat.update', 502);
    await expect(client.chat.update({ channel: 'C1', ts: '1.1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 502,
    });
  });

  it.each(['not_in_channel', 'channel_not_found', 'is_archived'] as const)(
    'answers %s for one channel until it is restored',
    async (error) => {
      slack.failChannel('CBROKEN', error);
      await expect(client.chat.postMessage({ channel: 'CBROKEN', text: 'x' })).rejects.toMatchObject({
        data: { error },
      });
      await expect(client.chat.update({ channel: 'CBROKEN', ts: '1.1', text: 'x' })).rejects.toMatchObject({
        data: { error },
      });
      await expect(client.chat.postMessage({ channel: 'COTHER', text: 'x' })).resolves.toMatchObject({
        ok: true,
      });
      slack.restoreChannel('CBROKEN');
      await expect(client.chat.postMessage({ channel: 'CBROKEN', text: 'x' })).resolves.toMatchObject({
        ok: true,
      });
    },
  );

  it('is down (503 to every call) until up()', async () => {
    slack.down();
    expect(slack.isDown).toBe(true);
    for (const call of [
      () => client.chat.postMessage({ channel: 'C1', text: 'x' }),
      () => client.auth.test(),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    }
    slack.up();
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
  });

  it('is down until a given time', async () => {
    slack.down({ until: Date.now() + 150 });
    await expect(client.auth.test()).rejects.toMatchObject({ statusCode: 503 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(slack.isDown).toBe(false);
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
  });

  it('answers no_such_subteam for a user group the workspace does not have', async () => {
    await expect(client.usergroups.users.list({ usergroup: 'SNOSUCH01' })).rejects.toMatchObject({
      data: { ok: false, error: 'no_such_subteam' },
    });
  });

  it('answers a delayed call late, keeping its arrival time', async () => {
    slack.groups.set('S1', []);
    slack.delayNext('usergroups.users.list', 200);
    const started = Date.now();
    await expect(client.usergroups.users.list({ usergroup: 'S1' })).resolves.toMatchObject({ ok: true });
    const call = slack.callsOf('usergroups.users.list').at(-1);
    expect(call?.at).toBeLessThan(started + 100);
    expect(call?.answeredAt).toBeGreaterThanOrEqual((call?.at ?? 0) + 200);
    const next = Date.now();
    await client.usergroups.users.list({ usergroup: 'S1' });
    expect(Date.now() - next).toBeLessThan(150);
  });

  it('can reset connections while down, as when Slack cannot be reached', async () => {
    slack.down({ mode: 'reset' });
    await expect(client.auth.test()).rejects.toMatchObject({ code: ErrorCode.RequestError });
    expect(slack.calls.at(-1)?.outcome).toEqual({ status: 0, ok: false, error: 'connection_reset' });
    slack.up();
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
  });
});

describe('tokens, as strictly as Slack', () => {
  const answerTo = async (fake: FakeSlack, token: string) => {
    const other = new WebClient(token, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
    return other.auth.test().then(
      (res) => ({ ok: res.ok, team: res.team_id }),
      (error: { data?: { error?: string } }) => ({ ok: false, error: error.data?.error }),
    );
  };

  it('knows only the installed tokens, and answers token_revoked once one is revoked', async () => {
    const fake = await FakeSlack.start({ tokens: ['xoxb-installed'] });
    try {
      expect(await answerTo(fake, 'xoxb-installed')).toEqual({ ok: true, team: 'T0TEAM' });
      expect(await answerTo(fake, 'xoxb-someone-else')).toEqual({ ok: false, error: 'invalid_auth' });
      fake.revoke('xoxb-installed');
      expect(await answerTo(fake, 'xoxb-installed')).toEqual({ ok: false, error: 'token_revoked' });
      // Every method, not only auth.test.
      const revoked = new WebClient('xoxb-installed', {
        slackApiUrl: fake.apiUrl,
        retryConfig: { retries: 0 },
      });
      await expect(revoked.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
        data: { error: 'token_revoked' },
      });
    } finally {
      await fake.close();
    }
  });

  it('answers not_authed without a token, and invalid_auth to a token of no Slack form', async () => {
    const res = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST' });
    expect(await res.json()).toEqual({ ok: false, error: 'not_authed' });
    expect(await answerTo(slack, 'not-a-token')).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await answerTo(slack, 'xoxb-any-well-formed')).toMatchObject({ ok: true });
  });
});

describe('channel history and message metadata', () => {
  const meta = (id: string) => ({ event_type: 'breakglass_notice', event_payload: { notice_id: id } });

  it('returns top-level messages newest first, metadata only when asked, replies in their thread', async () => {
    const first = await client.chat.postMessage({ channel: 'CHIST1', text: 'one', metadata: meta('1') });
    await client.chat.postMessage({
      channel: 'CHIST1',
      text: 'reply',
      thread_ts: first.ts,
      metadata: meta('2'),
    });
    await client.chat.postMessage({ channel: 'CHIST1', text: 'two' });
    const plain = await client.conversations.history({ channel: 'CHIST1' });
    expect(plain.messages?.map((m) => [m.text, m.metadata])).toEqual([
      ['two', undefined],
      ['one', undefined],
    ]);
    const withMeta = await client.conversations.history({ channel: 'CHIST1', include_all_metadata: true });
    expect(withMeta.messages?.[1]?.metadata).toEqual(meta('1'));
    const thread = await client.conversations.replies({
      channel: 'CHIST1',
      ts: first.ts ?? '',
      include_all_metadata: true,
    });
    expect(thread.messages?.map((m) => [m.text, m.metadata?.event_payload])).toEqual([
      ['one', { notice_id: '1' }],
      ['reply', { notice_id: '2' }],
    ]);
  });

  it('pages with a cursor and leaves out messages not newer than `oldest`', async () => {
    const posted = [];
    for (let i = 0; i < 5; i++)
      posted.push(await client.chat.postMessage({ channel: 'CHIST2', text: `m${i}` }));
    const page1 = await client.conversations.history({ channel: 'CHIST2', limit: 2 });
    expect(page1.messages?.map((m) => m.text)).toEqual(['m4', 'm3']);
    const page2 = await client.conversations.history({
      channel: 'CHIST2',
      limit: 2,
      cursor: page1.response_metadata?.next_cursor ?? '',
    });
    expect(page2.messages?.map((m) => m.text)).toEqual(['m2', 'm1']);
    const newer = await client.conversations.history({ channel: 'CHIST2', oldest: posted[2]?.ts ?? '' });
    expect(newer.messages?.map((m) => m.text)).toEqual(['m4', 'm3']);
    expect(newer.response_metadata?.next_cursor).toBe('');
  });

  it('posts a message whose event_type breaks the character rule, without its metadata and with a warning', async () => {
    const res = await client.chat.postMessage({
      channel: 'CHIST6',
      text: 'x',
      metadata: { event_type: 'break.glass', event_payload: { a: 1 } },
    });
    expect(res).toMatchObject({ ok: true, warning: 'invalid_metadata_schema' });
    expect(slack.messages.get('CHIST6')?.[0]?.metadata).toBeUndefined();
  });

  it('marks each message with the app that posted it, as auth.test names it', async () => {
    const other = new WebClient('xoxb-other-app', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    await client.chat.postMessage({ channel: 'CHIST7', text: 'mine' });
    await other.chat.postMessage({ channel: 'CHIST7', text: 'theirs' });
    const [mine, theirs] = slack.messages.get('CHIST7') ?? [];
    expect(mine?.bot_id).toBe((await client.auth.test()).bot_id);
    expect(theirs?.bot_id).toBe((await other.auth.test()).bot_id);
    expect(mine?.bot_id).not.toBe(theirs?.bot_id);
  });

  it('refuses malformed metadata, a missing history scope and an unknown thread', async () => {
    await expect(
      client.chat.postMessage({
        channel: 'CHIST3',
        text: 'x',
        metadata: { event_type: 'x' } as never,
      }),
    ).rejects.toMatchObject({ data: { error: 'invalid_metadata_schema' } });
    slack.missingScopes.add('groups:history');
    await expect(client.conversations.history({ channel: 'GPRIVATE1' })).rejects.toMatchObject({
      data: { error: 'missing_scope', needed: 'groups:history' },
    });
    // Private channels created today have C ids too.
    slack.privateChannels.add('CPRIVATE2');
    await expect(client.conversations.history({ channel: 'CPRIVATE2' })).rejects.toMatchObject({
      data: { error: 'missing_scope', needed: 'groups:history' },
    });
    await expect(client.conversations.history({ channel: 'CHIST3' })).resolves.toMatchObject({ ok: true });
    slack.missingScopes.clear();
    await expect(client.conversations.replies({ channel: 'CHIST3', ts: '1.000001' })).rejects.toMatchObject({
      data: { error: 'thread_not_found' },
    });
  });

  it('can lose an answer after doing the work, for one channel only', async () => {
    slack.program('chat.postMessage', { kind: 'lost', channel: 'CHIST4' });
    await client.chat.postMessage({ channel: 'CHIST5', text: 'passes by' });
    await expect(client.chat.postMessage({ channel: 'CHIST4', text: 'lost' })).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(slack.messages.get('CHIST4')?.map((m) => m.text)).toEqual(['lost']);
    await expect(client.chat.postMessage({ channel: 'CHIST4', text: 'again' })).resolves.toMatchObject({
      ok: true,
    });
  });
});
