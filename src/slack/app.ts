/**
 * Builds the Bolt app: HTTP mode (signed requests on POST /slack/events) or
 * Socket Mode, plus GET /healthz (liveness) and GET /readyz (readiness).
 */
import type { ServerResponse } from 'node:http';
import { App } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { AppConfig } from '../config/app-config.js';
import type { HealthProbe, HealthReport } from '../health.js';
import type { Logger } from '../log.js';
import { boltLogger } from './bolt-logger.js';

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
  clientOptions: WebClientOptions = {},
): App {
  const common = {
    token: config.slack.botToken,
    logger: boltLogger(log),
    clientOptions: { slackApiUrl: config.slack.apiUrl, ...clientOptions },
    customRoutes: [healthRoute('/healthz', health.live), healthRoute('/readyz', health.ready)],
    // Ack first, work after: listeners run on after the HTTP response went out.
    processBeforeResponse: false,
    // Bolt's conversation store is unused here and costs a lookup on every request.
    convoStore: false as const,
    // The app reacts to no message events, so Bolt's "ignore my own messages" layer has nothing to do.
    ignoreSelf: false,
  };
  if (config.slack.mode === 'socket' && config.slack.appToken) {
    return new App({
      ...common,
      socketMode: true,
      appToken: config.slack.appToken,
      installerOptions: { port: config.slack.port },
    });
  }
  return new App({ ...common, signingSecret: config.slack.signingSecret ?? '', port: config.slack.port });
}
