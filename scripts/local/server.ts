/**
 * `npm run local`: the real bot, started as the demo starts it, against the
 * local fakes of Slack and AWS (a sample organization), and kept running until
 * Ctrl-C. Nothing here touches real AWS or Slack: the SDK and the Slack client
 * are pointed at the fakes, with throwaway credentials, whatever the shell holds.
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config/app-config.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { createLogger } from '../../src/log.js';
import { memberId, seedMembers } from '../../test/fakes/aws/sample-org.js';
import { FakeAws } from '../../test/fakes/aws/server.js';
import { FakeSlack } from '../../test/fakes/slack/server.js';
import { CHANNEL, SIGNING_SECRET } from '../../test/support/slack-client.js';
import { APPROVER_GROUP, PEOPLE } from '../lib/people.js';
import { clearState, readState, writeState } from './state.js';

export const LOCAL_BOT_TOKEN = 'xoxb-local-bot';
export const DEFAULT_PORT = 3978;

/** Names for a few sample accounts, so the typeahead has something to find. */
const ACCOUNT_NAMES: Record<number, string> = {
  1: 'sandbox',
  2: 'payments-dev',
  3: 'payments-prod',
  4: 'data-lake',
};

export async function serve(dir: string, options: { port: number; keep: boolean }): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const running = readState(dir);
  if (running && isAlive(running.pid)) {
    console.error(`A local bot is already running at ${running.botUrl} (pid ${running.pid}); stop it first.`);
    process.exit(1);
  }
  const dbFile = join(dir, 'breakglass.db');
  // The fakes start empty each time: a database left from a previous run would name messages they never saw.
  if (!options.keep) for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbFile}${suffix}`, { force: true });

  const aws = await FakeAws.start({ latencyMs: 10 });
  // Every fourth account has root credentials, so audits and cleanups have something to find.
  seedMembers(aws, 12, 4);
  for (const [n, name] of Object.entries(ACCOUNT_NAMES)) aws.account(memberId(Number(n))).name = name;
  const slack = await FakeSlack.start({ tokens: [LOCAL_BOT_TOKEN] });
  slack.groups.set(APPROVER_GROUP, [PEOPLE.carol]);

  // Real credentials or profiles in the shell must never be used: the fakes' throwaway ones win.
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'])
    delete process.env[name];
  const env = {
    ...aws.env(),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SLACK_BOT_TOKEN: LOCAL_BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(options.port),
    BREAKGLASS_CHANNEL_ID: CHANNEL,
    BREAKGLASS_APPROVERS: `${PEOPLE.bob},${APPROVER_GROUP}`,
    BREAKGLASS_DURATIONS: '30m,1h,2h',
    BREAKGLASS_TICK: '1s',
    // No scheduled org-wide audit unless a test or run asks for one (drift detection).
    BREAKGLASS_AUDIT_EVERY: 'off',
    BREAKGLASS_DB: dbFile,
  };
  Object.assign(process.env, env);
  const logFile = join(dir, 'bot.log');
  const bot = await startBot({
    config: loadConfig(env),
    aws: awsSettingsFromEnv(env),
    log: createLogger({ level: 'info' }, createWriteStream(logFile, { flags: 'a' })),
  }).catch(async (error: unknown) => {
    await slack.close();
    await aws.close();
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    console.error(`Port ${options.port} is in use: choose another with \`npm run local -- --port <n>\`.`);
    process.exit(1);
  });
  const botUrl = `http://127.0.0.1:${bot.port}`;
  writeState(dir, {
    pid: process.pid,
    botUrl,
    slackUrl: slack.url,
    awsUrl: aws.url,
    startedAt: new Date().toISOString(),
  });

  console.log(`breakglass is running locally at ${botUrl} (fake Slack ${slack.url}, fake AWS ${aws.url})`);
  console.log(`state and database in ${dir}; the bot's log in ${logFile}`);
  console.log('people: alice (asks), bob (approver), carol (approver via the @approvers group), dave');
  console.log(
    `accounts: ${Object.entries(ACCOUNT_NAMES)
      .map(([n, name]) => `${memberId(Number(n))} ${name}`)
      .join(', ')}, … up to ${memberId(12)}`,
  );
  console.log('\nIn another terminal:');
  console.log(
    '  npm run local -- request --as alice --account 200000000003 --duration 30m --why "Locked out"',
  );
  console.log('  npm run local -- approve BG-XXXX --as bob');
  console.log('  npm run local -- help          (every command)');
  console.log('\nCtrl-C stops it.');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearState(dir);
    await bot.stop();
    await slack.close();
    await aws.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
