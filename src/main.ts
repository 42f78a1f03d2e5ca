/** Starts the bot: `npm start`. Configuration comes from the environment (see README). */

import { startBot } from './bot.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { awsSettingsFromEnv } from './config/aws-settings.js';
import { createLogger } from './log.js';
import { StoreError } from './store/store-error.js';

const log = createLogger();
const SHUTDOWN_DEADLINE_MS = 15_000;

function configOrExit() {
  try {
    return { config: loadConfig(), aws: awsSettingsFromEnv() };
  } catch (error) {
    const lines =
      error instanceof ConfigError
        ? error.problems
        : [error instanceof Error ? error.message : String(error)];
    for (const line of lines) process.stderr.write(`config: ${line}\n`);
    process.exit(1);
  }
}

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

async function startOrExit() {
  try {
    return await startBot({ config, aws, log });
  } catch (error) {
    // A missing table or data from a newer release: one line saying what to do, no stack trace.
    if (!(error instanceof StoreError)) throw error;
    process.stderr.write(`store: ${error.message}\n`);
    process.exit(1);
  }
}

const { config, aws } = configOrExit();
const bot = await startOrExit();

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing running jobs');
    // Jobs are durable: one cut short runs again after the restart. Do not hang forever.
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
