import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Bot, startBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config/app-config.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { createLogger } from '../../src/log.js';
import { seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { FakeSocketMode, type SocketModeOptions } from '../fakes/slack/socket-mode.js';
import { CHANNEL, SIGNING_SECRET, SlackTestClient } from './slack-client.js';
import { SocketModeTestClient } from './socket-mode-client.js';

export const BOT_TOKEN = 'xoxb-test-bot-token-0000000000';
export const REQUESTER = 'UREQUESTER1';
export const APPROVER_A = 'UAPPROVERA1';
/** a member of the approvers' user group */
export const APPROVER_B = 'UAPPROVERB1';
export const OUTSIDER = 'UOUTSIDER01';
export const APPROVER_GROUP = 'SAPPROVERS1';

export interface BotEnv {
  aws: FakeAws;
  slack: FakeSlack;
  /** Socket Mode runs: the fake websocket service the bot is connected to */
  socket: FakeSocketMode | undefined;
  bot: Bot;
  client: SlackTestClient;
  dbFile: string;
  env: Record<string, string>;
  logLines: string[];
  /** stops the bot only (as a crash would, minus the crash) and starts a new one on the same database */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The bot's environment pointing at the fakes: fast ticks, test approvers, a fresh database. */
export function botEnvironment(
  aws: Pick<FakeAws, 'env'>,
  slack: FakeSlack,
  dbFile: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    ...aws.env(),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    BREAKGLASS_CHANNEL_ID: CHANNEL,
    BREAKGLASS_APPROVERS: `${APPROVER_A},${APPROVER_GROUP}`,
    BREAKGLASS_DURATIONS: '30m,1h',
    BREAKGLASS_TICK: '100ms',
    // No scheduled org-wide audit unless a test or run asks for one (drift detection).
    BREAKGLASS_AUDIT_EVERY: 'off',
    BREAKGLASS_DB: dbFile,
    ...overrides,
  };
}

export async function startBotEnv(
  overrides: Record<string, string> = {},
  /** startupDoctor: run the doctor at start (off by default here: its Slack calls would mix with what tests count) */
  options: { aws?: FakeAws; socketMode?: SocketModeOptions; startupDoctor?: boolean } = {},
): Promise<BotEnv> {
  const aws = options.aws ?? (await FakeAws.start());
  if (!options.aws) seedMembers(aws, 5, 0);
  const slack = await FakeSlack.start();
  slack.groups.set(APPROVER_GROUP, [APPROVER_B]);
  // Socket Mode: the app-level token is what selects it; the signing secret stays set (the bot warns).
  const socket = options.socketMode ? await FakeSocketMode.start(slack, options.socketMode) : undefined;
  const dbFile = join(mkdtempSync(join(tmpdir(), 'bg-e2e-')), 'breakglass.db');
  const env = botEnvironment(aws, slack, dbFile, {
    ...(socket ? { SLACK_APP_TOKEN: socket.token } : {}),
    ...overrides,
  });
  Object.assign(process.env, env);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug' }, sink);
  const boot = () =>
    startBot({
      config: loadConfig(env),
      aws: awsSettingsFromEnv(env),
      log,
      slackClientOptions: { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
      startupDoctor: options.startupDoctor ?? false,
    });
  let bot = await boot();
  const clientOf = (b: Bot) =>
    socket
      ? new SocketModeTestClient(socket, (id) => slack.responseUrl(id))
      : new SlackTestClient(`http://127.0.0.1:${b.port}`, (id) => slack.responseUrl(id));
  const result: BotEnv = {
    aws,
    slack,
    socket,
    bot,
    client: clientOf(bot),
    dbFile,
    env,
    logLines,
    async restart() {
      await bot.stop();
      bot = await boot();
      result.bot = bot;
      result.client = clientOf(bot);
    },
    async close() {
      await bot.stop();
      await socket?.close();
      await slack.close();
      if (!options.aws) await aws.close();
    },
  };
  return result;
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
