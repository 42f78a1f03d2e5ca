/**
 * How the Bolt app is wired for Socket Mode, without a network: the socket
 * client's own Web API client (apps.connections.open) reaches SLACK_API_URL
 * with an explicit retry policy, the listeners' clients keep theirs, and the
 * connection state feeds /readyz.
 */
import { EventEmitter } from 'node:events';
import { HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app-config.js';
import { healthProbe } from '../../src/health.js';
import { silentLogger } from '../../src/log.js';
import { createSlackApp, SOCKET_OPEN_RETRY } from '../../src/slack/app.js';
import { SocketConnection } from '../../src/slack/socket-connection.js';
import type { Store } from '../../src/store/store.js';
import type { DeliveryWorker } from '../../src/workflow/delivery.js';
import type { Scheduler } from '../../src/workflow/scheduler.js';
import { FakeSlack } from '../fakes/slack/server.js';

let slack: FakeSlack;
let ENV: Record<string, string>;
beforeAll(async () => {
  slack = await FakeSlack.start();
  ENV = {
    SLACK_BOT_TOKEN: 'xoxb-1',
    BREAKGLASS_CHANNEL_ID: 'C0123ABCD',
    BREAKGLASS_APPROVERS: 'U0123AAAA,S0123GGGG',
    SLACK_API_URL: slack.apiUrl,
  };
});
afterAll(async () => {
  // Built without a known identity, Bolt asks Slack nothing until a request comes (it would keep a failed auth.test).
  expect(slack.callsOf('auth.test')).toEqual([]);
  await slack.close();
});
const READY = { ok: true, checks: {} };
const probe = { live: async () => READY, ready: async () => READY };

/** Bolt's and @slack/socket-mode's internals, read to check the wiring. */
type Internals = {
  receiver: unknown;
  clientOptions: { retryConfig?: unknown };
};
type SocketInternals = { webClient: { retryConfig: unknown; slackApiUrl: string; timeout: number } };

describe('the Slack app in Socket Mode', () => {
  it('connects through SLACK_API_URL with its own bounded retry policy, leaving the listeners\u2019 clients alone', () => {
    const config = loadConfig({ ...ENV, SLACK_APP_TOKEN: 'xapp-1-A-1-x' });
    const { app, mode } = createSlackApp(config, silentLogger, probe);
    expect(mode).toBe('socket');
    const internals = app as unknown as Internals;
    expect(internals.receiver).toBeInstanceOf(SocketModeReceiver);
    const socketClient = (internals.receiver as SocketModeReceiver).client as unknown as SocketInternals;
    expect(socketClient.webClient.slackApiUrl).toBe(ENV.SLACK_API_URL);
    expect(socketClient.webClient.retryConfig).toEqual(SOCKET_OPEN_RETRY);
    expect(socketClient.webClient.timeout).toBe(10_000);
    // @slack/socket-mode sets { retries: 100 } on the options object it is given when it has none.
    // (Given the app's clientOptions, as Bolt's own receiver would be, it would set it there, for every listener.)
    expect(internals.clientOptions.retryConfig).toBeUndefined();
  });

  it('runs in HTTP mode without an app-level token', () => {
    const config = loadConfig({ ...ENV, SLACK_SIGNING_SECRET: 's' });
    const { app, mode } = createSlackApp(config, silentLogger, probe);
    expect(mode).toBe('http');
    expect((app as unknown as Internals).receiver).toBeInstanceOf(HTTPReceiver);
  });
});

describe('the Socket Mode connection in /readyz', () => {
  const parts = {
    store: { deliveryBacklog: async () => ({ pending: 0, oldestAt: undefined }) } as unknown as Store,
    scheduler: { healthy: () => true } as unknown as Scheduler,
    delivery: { lastPermanentError: undefined } as unknown as DeliveryWorker,
  };

  it('follows the client: not ready until hello, down on close, back on the next hello', async () => {
    const client = new EventEmitter();
    const socket = new SocketConnection(silentLogger);
    socket.watch(client);
    const ready = healthProbe({ ...parts, slack: () => socket.report() }).ready;
    client.emit('connecting');
    expect(await ready()).toMatchObject({ ok: false, checks: { slack: 'disconnected' } });
    client.emit('authenticated');
    client.emit('connected');
    expect(await ready()).toEqual({
      ok: true,
      checks: { scheduler: 'polling', store: 'ok', deliveryBacklog: 0, slack: 'connected' },
    });
    client.emit('close');
    const down = await ready();
    expect(down).toMatchObject({ ok: false, checks: { slack: 'disconnected' } });
    expect(down.checks.slackDisconnectedForMs).toBeGreaterThanOrEqual(0);
    client.emit('reconnecting');
    client.emit('connecting');
    expect(socket.report()).toMatchObject({ connected: false, state: 'reconnecting' });
    client.emit('connected');
    expect(socket.report()).toMatchObject({ connected: true, connections: 2 });
    expect((await ready()).ok).toBe(true);
    client.emit('disconnected');
    expect((await ready()).ok).toBe(false);
  });

  it('says nothing about Slack in HTTP mode', async () => {
    const report = await healthProbe(parts).ready();
    expect(report.ok).toBe(true);
    expect(report.checks).not.toHaveProperty('slack');
  });
});
