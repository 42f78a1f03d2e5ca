/** Starts the bot: `npm start`. Configuration comes from the environment (see README). */

import { AwsClients } from './aws/clients.js';
import { OrganizationDirectory } from './aws/organization.js';
import { checkPolicyTargets } from './aws/policy-targets.js';
import { type Bot, SlackTokenError, startBot } from './bot.js';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { type AwsSettings, awsSettingsFromEnv } from './config/aws-settings.js';
import { DEFAULT_RULE_NAME } from './domain/policy.js';
import { createLogger, type Logger } from './log.js';
import {
  type ApproverRule,
  checkApproverReach,
  checkAwsCredentials,
  checkSlackToken,
  type SlackTokenCheck,
} from './startup-checks.js';
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
  /** what could not be checked: logged once the logger exists */
  warnings: string[];
}

/** The policy's accounts and OUs must exist; this long at most, then a warning (a slow AWS never blocks the start). */
const POLICY_TARGETS_TIMEOUT_MS = 15_000;

async function within<T>(work: Promise<T>, ms: number, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every approver rule, the default included, for the user-group check. */
function approverRules(config: AppConfig): ApproverRule[] {
  return [
    { label: `the rule "${DEFAULT_RULE_NAME}" (BREAKGLASS_APPROVERS)`, approvers: config.approvers },
    ...(config.policy?.rules ?? []).map((rule, index) => ({
      label: `the rule "${rule.name}" (BREAKGLASS_POLICY rules[${index}].approvers)`,
      approvers: rule.approvers,
    })),
  ];
}

/** The policy file's accounts and OUs against the organization, with the bot's own credentials. */
async function policyTargets(
  config: AppConfig,
  aws: AwsSettings,
): Promise<{ problems: string[]; warnings: string[] }> {
  if (!config.policy) return { problems: [], warnings: [] };
  const clients = new AwsClients(aws);
  try {
    const directory = new OrganizationDirectory(clients.organizations);
    const checked = await within(
      checkPolicyTargets(config.policy, clients.organizations, () => directory.listAccounts()),
      POLICY_TARGETS_TIMEOUT_MS,
      {
        problems: [],
        warnings: [
          `BREAKGLASS_POLICY: its accounts and OUs were not checked against AWS Organizations within ${POLICY_TARGETS_TIMEOUT_MS / 1000} s`,
        ],
      },
    );
    return {
      problems: checked.problems.map((p) => `config: BREAKGLASS_POLICY ${p}`),
      warnings: checked.warnings.map((w) =>
        w.startsWith('BREAKGLASS_POLICY') ? w : `BREAKGLASS_POLICY ${w}`,
      ),
    };
  } finally {
    clients.destroy();
  }
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
  // Then what needs them: the user groups of every approver rule (Slack), and that the
  // policy file's accounts and OUs exist (AWS). Neither blocks the start when unreachable.
  const warnings: string[] = [];
  const [reach, targets] = await Promise.all([
    config && slackToken?.kind === 'ok'
      ? checkApproverReach(config.slack.botToken, config.slack.apiUrl, approverRules(config))
      : undefined,
    config?.policy && aws && !credentials ? policyTargets(config, aws) : undefined,
  ]);
  problems.push(...(targets?.problems ?? []), ...(reach?.problems ?? []).map((p) => `slack: ${p}`));
  warnings.push(...(targets?.warnings ?? []), ...(reach?.warnings ?? []));
  if (problems.length || !config || !aws || !slackToken) exitWith(problems);
  return { config, aws, slackToken, warnings };
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
for (const warning of checked.warnings) log.warn(warning);

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
