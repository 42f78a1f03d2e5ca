/** Builds the Bolt app: HTTP mode (signed requests on POST /slack/events) or Socket Mode, plus GET /healthz. */
import { App } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { AppConfig } from '../config/app-config.js';
import type { Logger } from '../log.js';
import { boltLogger } from './bolt-logger.js';

export function createSlackApp(config: AppConfig, log: Logger, clientOptions: WebClientOptions = {}): App {
  const health = {
    path: '/healthz',
    method: ['GET'],
    handler: (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    },
  };
  const common = {
    token: config.slack.botToken,
    logger: boltLogger(log),
    clientOptions: { slackApiUrl: config.slack.apiUrl, ...clientOptions },
    customRoutes: [health],
    // Ack first, work after: listeners run on after the HTTP response went out.
    processBeforeResponse: false,
    // Bolt's conversation store is unused here and costs a lookup on every request.
    convoStore: false as const,
    // The app reacts to no message events, so Bolt's "ignore my own messages" layer has nothing to do.
    ignoreSelf: false,
  };
  if (config.slack.appToken) {
    return new App({
      ...common,
      socketMode: true,
      appToken: config.slack.appToken,
      installerOptions: { port: config.slack.port },
    });
  }
  return new App({ ...common, signingSecret: config.slack.signingSecret ?? '', port: config.slack.port });
}
