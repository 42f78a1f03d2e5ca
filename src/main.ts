/** Starts the bot: `npm start`. Configuration comes from the environment (see README). */

import { type Bot, SlackTokenError, startBot } from './bot.js';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { type AwsSettings, awsSettingsFromEnv } from './config/aws-settings.js';
import { createLogger, type Logger } from './log.js';
import { checkAwsCredentials, checkSlackToken, type SlackTokenCheck } from './startup-checks.js';
import { StoreError } from './store/store-error.js';

const SHUTDOWN_DEADLINE_MS = 15_000;

/** Prints each problem on its own line, with what it is about, and exits 1: no stack trace. */
function exitWith(problems: readonly string[]): never {
  for (const line of problems) process.stderr.write(`${line}\n`);
  process.exit(1);
}

function settingsOrProblems<T>(read: () => T, problems: string[]): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.map((p) => `config: ${p}`));
    return undefined;
  }
}

interface Checked {
  config: AppConfig;
  aws: AwsSettings;
  slackToken: SlackTokenCheck;
}

/**
 * Every problem at once: the environment's (the log level among them, before any
 * logger exists), whether Slack accepts the bot token, and whether AWS
 * credentials are found (unless DRY_RUN). The two checks run together.
 */
async function checkedOrExit(env: NodeJS.ProcessEnv): Promise<Checked> {
  const problems: string[] = [];
  const config = settingsOrProblems(() => loadConfig(env), problems);
  const aws = settingsOrProblems(() => awsSettingsFromEnv(env), problems);
  const dryRun = config?.dryRun ?? (env.DRY_RUN === 'true' || env.DRY_RUN === '1');
  const [slackToken, credentials] = await Promise.all([
    config ? checkSlackToken(config.slack.botToken, config.slack.apiUrl) : undefined,
    dryRun ? undefined : checkAwsCredentials(aws?.region ?? 'us-east-1', env.AWS_PROFILE),
  ]);
  if (slackToken?.kind === 'refused') problems.push(`slack: ${slackToken.problem}`);
  if (credentials) problems.push(`aws: ${credentials}`);
  if (problems.length || !config || !aws || !slackToken) exitWith(problems);
  return { config, aws, slackToken };
}

async function startOrExit({ config, aws, slackToken }: Checked, log: Logger): Promise<Bot> {
  try {
    return await startBot({ config, aws, log, slackToken });
  } catch (error) {
    // A missing table or data from a newer release: one line saying what to do, no stack trace.
    if (error instanceof StoreError) exitWith([`store: ${error.message}`]);
    if (error instanceof SlackTokenError) exitWith([`slack: ${error.problem}`]);
    throw error;
  }
}

const checked = await checkedOrExit(process.env);
const log = createLogger({ level: checked.config.logLevel });

// Every loop catches its own errors; anything that still escapes is a bug. A stray
// rejection leaves no state half-written (each decision is one transaction), so log
// it and keep cleaning up. An uncaught exception may have cut a write short, so
// exit non-zero: durable jobs resume on restart.
process.on('unhandledRejection', (reason) => {
  log.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
});
process.on('uncaughtException', (error) => {
  log.fatal({ err: error.message }, 'uncaught exception: exiting; pending jobs resume on restart');
  process.exit(1);
});

// Listening for signals before the start, so that one arriving while the bot starts (or
// right after "started" is logged) still stops it gracefully.
const bot = startOrExit(checked, log);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing running jobs');
    // Jobs are durable: one cut short runs again after the restart. Do not hang forever.
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    bot
      .then((started) => started.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
          process.exit(1);
        },
      );
  });
}

// Anything startOrExit does not turn into a line is a bug: it ends the process with its trace.
await bot;
