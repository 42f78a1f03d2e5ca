/**
 * Builds the Bolt app: HTTP mode (signed requests on POST /slack/events) or
 * Socket Mode, plus GET /healthz (liveness) and GET /readyz (readiness).
 *
 * The mode is settled by the configuration alone (an app-level token means
 * Socket Mode). In Socket Mode the app has no inbound Slack endpoint, but still
 * listens on the port, for the health routes only.
 */
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, SocketModeReceiver } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { AppConfig } from '../config/app-config.js';
import type { HealthProbe, HealthReport } from '../health.js';
import type { Logger } from '../log.js';
import type { SlackIdentity } from '../startup-checks.js';
import { boltLogger } from './bolt-logger.js';
import type { SocketConnection } from './socket-connection.js';

/**
 * apps.connections.open (Socket Mode) is retried without end, at most 30 s
 * apart, each try bounded: the bot reconnects soon after Slack is back. Set
 * explicitly because @slack/socket-mode otherwise imposes 100 retries growing
 * by 1.3x (hours apart after an hour-long outage), and a finite policy would
 * leave the client stopped for good once spent (its reconnect loop gives up on
 * an HTTP or network error).
 */
export const SOCKET_OPEN_RETRY = {
  forever: true,
  factor: 2,
  minTimeout: 1_000,
  maxTimeout: 30_000,
  randomize: true,
} as const;
const SOCKET_OPEN_TIMEOUT_MS = 10_000;

export interface SlackApp {
  app: App;
  mode: 'http' | 'socket';
  /**
   * Listens on the configured port (HTTP mode: Slack's endpoint and the health
   * routes; Socket Mode: the health routes) and, in Socket Mode, connects to
   * Slack. Resolves with the port listened on, once listening and connected.
   */
  start(): Promise<number | undefined>;
}

function healthRoute(path: string, report: () => Promise<HealthReport>) {
  return {
    path,
    method: ['GET'],
    handler: (_req: unknown, res: ServerResponse) => {
      report().then(
        (r) => res.writeHead(r.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
        () => res.writeHead(503).end(),
      );
    },
  };
}

export function createSlackApp(
  config: AppConfig,
  log: Logger,
  health: HealthProbe,
  options: { clientOptions?: WebClientOptions; socket?: SocketConnection; identity?: SlackIdentity } = {},
): SlackApp {
  const logger = boltLogger(log);
  const customRoutes = [healthRoute('/healthz', health.live), healthRoute('/readyz', health.ready)];
  const common = {
    token: config.slack.botToken,
    logger,
    clientOptions: { slackApiUrl: config.slack.apiUrl, ...options.clientOptions },
    // Ack first, work after: listeners run on after the HTTP response went out.
    processBeforeResponse: false,
    // Bolt's conversation store is unused here and costs a lookup on every request.
    convoStore: false as const,
    // The app reacts to no message events, so Bolt's "ignore my own messages" layer has nothing to do.
    ignoreSelf: false,
    ...boltIdentity(options.identity),
  };

  if (config.slack.mode === 'socket') {
    if (!config.slack.appToken) throw new Error('Socket Mode needs SLACK_APP_TOKEN');
    // The receiver is built here, not by Bolt, to hold its SocketModeClient (connection
    // state) and to give the client's own WebClient its own options: Bolt would hand it
    // the app's clientOptions object, which @slack/socket-mode then alters (retryConfig)
    // for every listener's client too.
    const receiver = new SocketModeReceiver({
      appToken: config.slack.appToken,
      logger,
      customRoutes,
      installerOptions: {
        // The health routes are served on this port (Bolt: `installerOptions.port`).
        port: config.slack.port,
        clientOptions: {
          slackApiUrl: config.slack.apiUrl,
          retryConfig: { ...SOCKET_OPEN_RETRY },
          timeout: SOCKET_OPEN_TIMEOUT_MS,
        },
      },
    });
    options.socket?.watch(receiver.client);
    const app = new App({ ...common, socketMode: true, receiver });
    return {
      app,
      mode: 'socket',
      async start() {
        const server = healthServer(receiver);
        const listening = new Promise<void>((resolve, reject) => {
          server.once('listening', resolve);
          server.once('error', reject);
        });
        // Resolves on Slack's `hello`; the health routes answer meanwhile.
        await Promise.all([app.start(), listening]);
        return (server.address() as AddressInfo).port;
      },
    };
  }

  const app = new App({
    ...common,
    customRoutes,
    signingSecret: config.slack.signingSecret ?? '',
    port: config.slack.port,
  });
  return {
    app,
    mode: 'http',
    async start() {
      const started = (await app.start(config.slack.port)) as Server | undefined;
      const address =
        started && typeof started.address === 'function' ? (started.address() as AddressInfo | null) : null;
      return address?.port;
    },
  };
}

/**
 * The receiver's HTTP server (for the health routes). Bolt keeps it private and
 * listens without reporting the port, which the tests (port 0) need.
 */
function healthServer(receiver: SocketModeReceiver): Server {
  const server = (receiver as unknown as { httpServer?: Server }).httpServer;
  if (!server) throw new Error('Bolt SocketModeReceiver has no HTTP server for the health routes');
  return server;
}

/**
 * Bolt calls auth.test once when the app is built and keeps the answer for good,
 * a failure too: every request after a Slack hiccup at start-up would then be
 * refused until a restart. Given the identity the start-up check learned, Bolt
 * calls nothing; without it, Bolt asks on each request until Slack answers.
 */
function boltIdentity(identity: SlackIdentity | undefined) {
  if (identity?.botId && identity.botUserId) return { botId: identity.botId, botUserId: identity.botUserId };
  return { tokenVerificationEnabled: false };
}
