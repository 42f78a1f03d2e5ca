/**
 * The end-to-end cases of the signed-HTTP suite, over Socket Mode: the bot's
 * real Bolt SocketModeReceiver connects to the fake Socket Mode service
 * (apps.connections.open on the fake Web API, then its websocket). Every
 * envelope must be acked within Slack's deadline; the bot must come back after
 * Slack asks it to reconnect or the socket drops, without losing or doubling
 * a click; /readyz must say when the connection is down.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config/app-config.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { silentLogger } from '../../src/log.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { FakeSocketMode } from '../fakes/slack/socket-mode.js';
import {
  APPROVER_A,
  APPROVER_B,
  type BotEnv,
  botEnvironment,
  OUTSIDER,
  REQUESTER,
  startBotEnv,
  waitFor,
} from '../support/bot-env.js';
import { approveValue, click, dmsTo, stateOf, submitRequest, waitForState } from '../support/bot-flows.js';

const ACCOUNT = memberId(3);
/** Slack's 3 s ack deadline; retries sooner than Slack's 1 and 5 minutes. */
const SOCKET = { retryDelaysMs: [0, 500, 500] };
/** Bolt reconnects 5 s (its client ping timeout) after a drop. */
const RECONNECT = { timeout: 40_000 };

let env: BotEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function socketEnv(
  overrides: Record<string, string> = {},
): Promise<BotEnv & { socket: FakeSocketMode }> {
  env = await startBotEnv(overrides, { socketMode: SOCKET });
  const socket = env.socket;
  if (!socket) throw new Error('no Socket Mode fake');
  return Object.assign(env, { socket });
}

/** Every payload was acked, within the deadline, on its first envelope; each ack has its latency. */
function everyEnvelopeAckedInTime(socket: FakeSocketMode, except: Set<unknown> = new Set()): void {
  const deliveries = socket.deliveries.filter((d) => !except.has(d));
  expect(deliveries.length).toBeGreaterThan(0);
  for (const d of deliveries) {
    expect(d.acked, `${d.type} ${String(d.payload.type ?? d.payload.command)} acked`).toBeDefined();
    expect(d.attempts).toHaveLength(1);
  }
  for (const ack of socket.acks) {
    expect(ack.late).toBe(false);
    expect(typeof ack.latencyMs).toBe('number');
  }
  expect(socket.strayAcks).toEqual([]);
}

async function health(e: BotEnv, path: '/healthz' | '/readyz') {
  const res = await fetch(`http://127.0.0.1:${e.bot.port}${path}`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; checks: Record<string, unknown> } };
}

describe('Socket Mode: the same cases as over signed HTTP', () => {
  it('starts in Socket Mode because SLACK_APP_TOKEN is set, and serves /healthz and /readyz', async () => {
    const e = await socketEnv();
    expect(e.socket.hellos).toBe(1);
    expect(e.logLines.join('')).toContain('starting in Socket Mode because an app-level token is set');
    expect(JSON.parse(e.logLines.find((l) => l.includes('breakglass bot started')) ?? '{}')).toMatchObject({
      mode: 'socket',
    });
    // The fake's apps.connections.open saw the app-level token, not the bot token.
    expect(e.slack.callsOf('apps.connections.open').map((c) => c.token)).toEqual([e.socket.token]);
    expect(await health(e, '/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    expect(await health(e, '/readyz')).toMatchObject({
      status: 200,
      body: { checks: { slack: 'connected' } },
    });
  });

  it('request: /breakglass opens the modal, the typeahead answers in the ack, the submission posts the request', async () => {
    const e = await socketEnv();
    e.aws.account(ACCOUNT).name = 'payments-prod';
    const cmd = await e.client.command(REQUESTER, '');
    expect(cmd.status).toBe(200);
    expect(cmd.body).toBe('');
    const open = await waitFor('views.open', () => e.slack.callsOf('views.open')[0]);
    expect(open.outcome?.ok).toBe(true);
    expect(JSON.stringify(open.args.view)).toContain('bg_request');

    const suggestion = await e.client.blockSuggestion(REQUESTER, 'bg_account_select', 'payments');
    expect(suggestion.json()).toEqual({
      options: [{ text: { type: 'plain_text', text: `payments-prod (${ACCOUNT})` }, value: ACCOUNT }],
    });

    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'Billing' });
    const posted = e.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAPPROVALS1');
    expect(String(posted?.args.text)).toContain(request.id);
    everyEnvelopeAckedInTime(e.socket);
    expect(e.socket.envelopes.map((x) => x.type)).toEqual(['slash_commands', 'interactive', 'interactive']);
  });

  it('approvals: two Approve clicks (and a double click) execute once', async () => {
    const e = await socketEnv();
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const value = approveValue(e.slack, request.id) ?? '';
    expect(await click(e, REQUESTER, 'bg_approve', value)).toMatch(/cannot approve your own request/);
    await Promise.all([
      e.client.blockAction(APPROVER_A, { action_id: 'bg_approve', value }),
      e.client.blockAction(APPROVER_B, { action_id: 'bg_approve', value }),
      e.client.blockAction(APPROVER_B, { action_id: 'bg_approve', value }),
    ]);
    await waitForState(e, request.id, 'active');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(e.aws.callsOf('CreateLoginProfile')).toHaveLength(1);
    expect((await stateOf(e, request.id)).approvals.map((a) => a.userId).sort()).toEqual([
      APPROVER_A,
      APPROVER_B,
    ]);
    everyEnvelopeAckedInTime(e.socket);
  });

  it('deny: the modal refuses an empty reason in the ack, then denies and tells the requester', async () => {
    const e = await socketEnv();
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    await e.client.blockAction(OUTSIDER, { action_id: 'bg_deny', value: request.id });
    const refused = await waitFor('the refusal', () => e.slack.callsOf('views.update')[0]);
    expect(JSON.stringify(refused.args.view)).toContain('Only approvers can deny');
    await e.client.blockAction(APPROVER_A, { action_id: 'bg_deny', value: request.id });
    await waitFor('the deny modal', () =>
      e.slack.callsOf('views.open').find((c) => JSON.stringify(c.args.view).includes('bg_deny')),
    );
    const reason = (value: string) =>
      e.client.viewSubmission(APPROVER_A, {
        callback_id: 'bg_deny',
        private_metadata: request.id,
        values: { reason: { bg_deny_reason: { type: 'plain_text_input', value } } },
      });
    expect((await reason(' ')).json()).toMatchObject({
      response_action: 'errors',
      errors: { reason: expect.stringMatching(/reason/) },
    });
    expect((await reason('No incident ticket')).body).toBe('');
    expect(await waitForState(e, request.id, 'denied')).toMatchObject({
      denial: { reason: 'No incident ticket' },
    });
    await waitFor('the denial DM', () =>
      dmsTo(e.slack, REQUESTER).find((t) => t.includes('No incident ticket')),
    );
    everyEnvelopeAckedInTime(e.socket);
  });

  it('App Home: app_home_opened publishes the Home tab', async () => {
    const e = await socketEnv();
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'home' });
    const res = await e.client.event({
      type: 'app_home_opened',
      user: APPROVER_A,
      channel: 'D1',
      tab: 'home',
      event_ts: '1',
    });
    expect(res.status).toBe(200);
    const publish = await waitFor('views.publish', () =>
      e.slack.callsOf('views.publish').find((c) => c.args.user_id === APPROVER_A),
    );
    expect(JSON.stringify(publish.args.view)).toContain(request.id);
    expect(e.socket.envelopes.at(-1)).toMatchObject({ type: 'events_api', retry_attempt: 0 });
    everyEnvelopeAckedInTime(e.socket);
  });
});

describe('Socket Mode: the connection goes away', () => {
  /**
   * Takes the connection down with `down`, sends an Approve click right after,
   * and checks: /readyz fails while down, the click arrives after the reconnect
   * (redelivered) and counts once, /readyz recovers.
   */
  async function clickAcrossReconnect(down: (socket: FakeSocketMode) => void): Promise<void> {
    const e = await socketEnv();
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const value = approveValue(e.slack, request.id) ?? '';
    const before = e.socket.deliveries.length;
    down(e.socket);
    const approve = e.client.blockAction(APPROVER_A, { action_id: 'bg_approve', value });
    const ready = await waitFor('/readyz to report the lost connection', async () => {
      const r = await health(e, '/readyz');
      return r.status === 503 ? r : undefined;
    });
    expect(ready.body.checks).toMatchObject({ slack: 'disconnected' });
    expect(ready.body.checks.slackDisconnectedForMs).toEqual(expect.any(Number));
    // Liveness does not depend on Slack: the scheduler runs on.
    expect((await health(e, '/healthz')).status).toBe(200);

    const res = await approve;
    expect(res.status).toBe(200);
    expect(e.socket.hellos).toBe(2);
    const reply = await waitFor('the reply to the click', () =>
      e.slack.callsOf('response_url').find((c) => /Approval recorded \(1\/2\)/.test(String(c.args.text))),
    );
    expect(reply).toBeDefined();
    // The click went out again (a retry) after the reconnect, and counted once.
    const delivery = e.socket.deliveries[before];
    expect(delivery?.attempts.length).toBeGreaterThan(1);
    expect(delivery?.acked?.envelope_id).toBe(delivery?.attempts.at(-1)?.envelope_id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await stateOf(e, request.id)).approvals.map((a) => a.userId)).toEqual([APPROVER_A]);
    expect(
      e.slack
        .callsOf('response_url')
        .filter((c) => /Approval recorded|already counted/.test(String(c.args.text))),
    ).toHaveLength(1);
    await waitFor('/readyz to recover', async () =>
      (await health(e, '/readyz')).status === 200 ? true : undefined,
    );
    expect((await health(e, '/readyz')).body.checks.slack).toBe('connected');

    // And the bot works on the new connection.
    expect(await click(e, APPROVER_B, 'bg_approve', value)).toMatch(/Second approval/);
    await waitForState(e, request.id, 'active');
    expect(e.aws.callsOf('CreateLoginProfile')).toHaveLength(1);
    everyEnvelopeAckedInTime(e.socket, new Set([delivery]));
  }

  it('counts a click once when its ack was lost and Slack redelivers it', async () => {
    const e = await socketEnv();
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const value = approveValue(e.slack, request.id) ?? '';
    e.socket.loseAcks(1);
    const res = await e.client.blockAction(APPROVER_A, { action_id: 'bg_approve', value });
    expect(res.status).toBe(200);
    const delivery = e.socket.deliveries.at(-1);
    expect(delivery?.attempts.map((a) => a.retry_attempt)).toEqual([0, 1]);
    await waitFor('the replies to both deliveries', () =>
      e.slack.callsOf('response_url').length >= 2 ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await stateOf(e, request.id)).approvals.map((a) => a.userId)).toEqual([APPROVER_A]);
    expect(await click(e, APPROVER_B, 'bg_approve', value)).toMatch(/Second approval/);
    await waitForState(e, request.id, 'active');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(e.aws.callsOf('CreateLoginProfile')).toHaveLength(1);
    everyEnvelopeAckedInTime(e.socket, new Set([delivery]));
  });

  it(
    'reconnects after Slack sends disconnect (refresh_requested), without losing a click',
    RECONNECT,
    async () => {
      await clickAcrossReconnect((socket) => socket.disconnect('refresh_requested'));
    },
  );

  it('reconnects after Slack sends disconnect (warning)', RECONNECT, async () => {
    const e = await socketEnv();
    e.socket.disconnect('warning');
    await e.socket.waitForConnection(2);
    await waitFor('/readyz to recover', async () =>
      (await health(e, '/readyz')).status === 200 ? true : undefined,
    );
    const res = await e.client.command(REQUESTER, 'help');
    expect(res.status).toBe(200);
    everyEnvelopeAckedInTime(e.socket);
  });

  it('reconnects after the socket drops without a close, without losing a click', RECONNECT, async () => {
    await clickAcrossReconnect((socket) => socket.drop());
  });
});

describe('Socket Mode: starting while Slack cannot be reached', () => {
  /** A port nobody listens on now (the bot must be reachable before startBot resolves). */
  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it(
    'serves /healthz and runs the scheduler before Slack answers; connects once it does',
    RECONNECT,
    async () => {
      const aws = await FakeAws.start();
      seedMembers(aws, 2, 0);
      const slack = await FakeSlack.start();
      const socket = await FakeSocketMode.start(slack, SOCKET);
      const port = await freePort();
      const vars = botEnvironment(aws, slack, join(mkdtempSync(join(tmpdir(), 'bg-sm-')), 'bg.db'), {
        SLACK_APP_TOKEN: socket.token,
        PORT: String(port),
      });
      // apps.connections.open fails twice (HTTP 503): the bot retries, a second or two apart.
      slack.httpErrorNext('apps.connections.open', 503, { times: 2 });
      let started = false;
      const starting = startBot({
        config: loadConfig(vars),
        aws: awsSettingsFromEnv(vars),
        log: silentLogger,
        slackClientOptions: { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
      }).then((bot) => {
        started = true;
        return bot;
      });
      try {
        const get = async (path: string) => {
          const res = await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined);
          return (
            res && { status: res.status, body: (await res.json()) as { checks: Record<string, unknown> } }
          );
        };
        const live = await waitFor('/healthz before Slack answers', async () => {
          const r = await get('/healthz');
          return r?.status === 200 ? r : undefined;
        });
        expect(live.body.checks.scheduler).toBe('polling');
        const ready = await get('/readyz');
        expect(started).toBe(false);
        expect(ready).toMatchObject({ status: 503, body: { checks: { slack: 'disconnected' } } });
        const bot = await starting;
        expect(bot.port).toBe(port);
        expect(slack.callsOf('apps.connections.open').map((c) => c.outcome?.status)).toEqual([503, 503, 200]);
        expect(await get('/readyz')).toMatchObject({ status: 200, body: { checks: { slack: 'connected' } } });
        await bot.stop();
      } finally {
        await starting.then((b) => b.stop()).catch(() => {});
        await socket.close();
        await slack.close();
        await aws.close();
      }
    },
  );
});
