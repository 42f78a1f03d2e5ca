/**
 * The Socket Mode fake against the real @slack/socket-mode client (the one
 * Bolt's SocketModeReceiver uses): it connects, gets envelopes, acks them,
 * and reconnects the way it would with Slack.
 */
import { LogLevel, SocketModeClient } from '@slack/socket-mode';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlack } from './server.js';
import { APP_TOKEN, FakeSocketMode, type SocketModeOptions } from './socket-mode.js';

let slack: FakeSlack | undefined;
let socket: FakeSocketMode | undefined;
let client: SocketModeClient | undefined;

afterEach(async () => {
  await client?.disconnect();
  await socket?.close();
  await slack?.close();
  client = socket = slack = undefined;
});

async function connect(options: SocketModeOptions = {}, appToken = APP_TOKEN) {
  slack = await FakeSlack.start();
  socket = await FakeSocketMode.start(slack, options);
  client = new SocketModeClient({
    appToken,
    logLevel: process.env.SM_DEBUG ? LogLevel.DEBUG : LogLevel.ERROR,
    // reconnects 50 ms after a drop (Bolt's default: 5 s)
    clientPingTimeout: 50,
    clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
  });
  return { slack, socket, client };
}

/** The client's next `connected` (Slack's hello reached it, not just sent). */
function reconnected(c: SocketModeClient): Promise<void> {
  return new Promise((resolve) => c.once('connected', () => resolve()));
}

type Received = { type: string; envelope_id: string; body: Record<string, unknown>; retry_num?: number };

function collect(
  c: SocketModeClient,
  answer: (e: Received & { ack: (r?: object) => Promise<void> }) => void,
) {
  const seen: Received[] = [];
  c.on('slack_event', (e) => {
    seen.push({ type: e.type, envelope_id: e.envelope_id, body: e.body, retry_num: e.retry_num });
    answer(e);
  });
  return seen;
}

describe('apps.connections.open', () => {
  it('hands out a single-use websocket URL for the app-level token only', async () => {
    const { slack, socket } = await connect();
    const open = async (token?: string) => {
      const res = await fetch(`${slack.apiUrl}apps.connections.open`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return (await res.json()) as { ok: boolean; url?: string; error?: string };
    };
    expect(await open()).toEqual({ ok: false, error: 'not_authed' });
    expect(await open('xoxb-bot')).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await open('xapp-1-other')).toEqual({ ok: false, error: 'invalid_auth' });
    const ok = await open(APP_TOKEN);
    expect(ok.url).toMatch(new RegExp(`^${socket.url}/link/\\?ticket=[0-9a-f-]{36}&app_id=A0APP$`));
  });

  it('lets the real client connect: hello, and start() resolves', async () => {
    const { client, socket } = await connect();
    const opened = (await client.start()) as { ok: boolean; url: string };
    expect(opened.ok).toBe(true);
    expect(socket.connected).toBe(true);
    expect(socket.hellos).toBe(1);
  });

  it('refuses a wrong app token: the client does not connect', async () => {
    const { client, socket } = await connect({}, 'xapp-1-wrong');
    await expect(client.start()).rejects.toThrow(/invalid_auth/);
    expect(socket.hellos).toBe(0);
  });
});

describe('envelopes', () => {
  it('delivers each type in Slack shape and records acks with their payload and latency', async () => {
    const { client, socket } = await connect();
    const seen = collect(client, (e) => {
      void e.ack(e.body.type === 'block_suggestion' ? { options: [] } : undefined);
    });
    await client.start();
    const command = socket.deliver('slash_commands', { command: '/breakglass', text: '' });
    const suggestion = socket.deliver('interactive', { type: 'block_suggestion', value: 'x' });
    const click = socket.deliver('interactive', { type: 'block_actions', actions: [] });
    const event = socket.deliver('events_api', {
      type: 'event_callback',
      event: { type: 'app_home_opened' },
    });
    await Promise.all([command, suggestion, click, event].map((d) => d.response));
    expect(seen.map((e) => e.type)).toEqual(['slash_commands', 'interactive', 'interactive', 'events_api']);
    // events_api envelopes always carry retry fields; the client passes them on
    expect(seen[3]?.retry_num).toBe(0);
    expect(seen[0]?.retry_num).toBeUndefined();
    expect([command, suggestion, click, event].map((d) => d.accepts_response_payload)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(suggestion.acked?.payload).toEqual({ options: [] });
    expect(command.acked?.payload).toBeUndefined();
    expect(socket.acks).toHaveLength(4);
    for (const ack of socket.acks) {
      expect(ack.latencyMs).toBeGreaterThanOrEqual(0);
      expect(ack.late).toBe(false);
    }
    expect(socket.strayAcks).toEqual([]);
  });

  it('redelivers an envelope not acked in time, under a new id with retry_attempt and retry_reason', async () => {
    const { client, socket } = await connect({ ackDeadlineMs: 100, retryDelaysMs: [0, 50, 50] });
    let calls = 0;
    const seen = collect(client, (e) => {
      calls += 1;
      if (calls === 3) void e.ack();
    });
    await client.start();
    const delivery = socket.deliver('events_api', { type: 'event_callback', event: { type: 'x' } });
    const ack = await delivery.response;
    expect(ack?.envelope_id).toBe(delivery.attempts[2]?.envelope_id);
    expect(seen.map((e) => e.retry_num)).toEqual([0, 1, 2]);
    expect(new Set(seen.map((e) => e.envelope_id)).size).toBe(3);
  });

  it('loses an ack on request: the payload comes again as a retry', async () => {
    const { client, socket } = await connect({ ackDeadlineMs: 100, retryDelaysMs: [0, 0, 0] });
    const seen = collect(client, (e) => void e.ack());
    await client.start();
    socket.loseAcks(1);
    const delivery = socket.deliver('interactive', { type: 'block_actions' });
    await delivery.response;
    expect(seen.map((e) => e.retry_num)).toEqual([undefined, 1]);
    expect(socket.lostAcks).toEqual([delivery.attempts[0]?.envelope_id]);
    expect(socket.acks.map((a) => a.envelope_id)).toEqual([delivery.attempts[1]?.envelope_id]);
  });

  it('gives up after three retries', async () => {
    const { client, socket } = await connect({ ackDeadlineMs: 30, retryDelaysMs: [0, 0, 0] });
    const seen = collect(client, () => {});
    await client.start();
    const delivery = socket.deliver('interactive', { type: 'block_actions' });
    expect(await delivery.response).toBeUndefined();
    expect(delivery.lost).toBe(true);
    expect(seen).toHaveLength(4);
  });
});

describe('connections', () => {
  for (const reason of ['refresh_requested', 'warning'] as const) {
    it(`the client reconnects after a disconnect (${reason}) message`, async () => {
      const { client, socket } = await connect();
      await client.start();
      const back = reconnected(client);
      socket.disconnect(reason);
      await back;
      expect(socket.hellos).toBe(2);
      expect(socket.connections[0]?.closeCode).toBe(1000);
    });
  }

  it('the client reconnects after an abrupt drop, and gets what was sent meanwhile as a retry', async () => {
    const { client, socket } = await connect();
    const seen = collect(client, (e) => void e.ack());
    await client.start();
    const back = reconnected(client);
    socket.drop();
    const click = socket.deliver('interactive', { type: 'block_actions' });
    expect(click.attempts[0]?.sentAt).toBeUndefined();
    const ack = await click.response;
    expect(ack).toBeDefined();
    await back;
    expect(socket.hellos).toBe(2);
    expect(socket.connections[0]?.closeCode).toBe(1006);
    expect(seen).toMatchObject([{ type: 'interactive', retry_num: 1 }]);
  });
});
