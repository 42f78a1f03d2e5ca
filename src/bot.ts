/**
 * Wires the bot together: configuration, store, AWS, Slack app, workflow and
 * scheduler. main.ts runs it; the end-to-end tests and the demo start it too.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import pLimit from 'p-limit';
import { AwsClients } from './aws/clients.js';
import { DryRunRootTasks } from './aws/dry-run-root-tasks.js';
import { OrganizationDirectory } from './aws/organization.js';
import { RootTaskService } from './aws/root-task-service.js';
import type { AppConfig } from './config/app-config.js';
import type { AwsSettings } from './config/aws-settings.js';
import type { Logger } from './log.js';
import { SlackAnnouncer } from './slack/announcer.js';
import { createSlackApp } from './slack/app.js';
import type { SlackDeps } from './slack/deps.js';
import { registerActions } from './slack/listeners/actions.js';
import { registerCommands } from './slack/listeners/commands.js';
import { registerEvents } from './slack/listeners/events.js';
import { registerOptions } from './slack/listeners/options.js';
import { registerViews } from './slack/listeners/views.js';
import { SlackPeople } from './slack/people.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';
import { organizationAccounts } from './workflow/organization-accounts.js';
import { Scheduler } from './workflow/scheduler.js';
import { BreakglassWorkflow } from './workflow/workflow.js';

/** Read-only AWS work started from Slack (`/breakglass audit`) runs this many at a time. */
const INTERACTIVE_AWS_CONCURRENCY = 4;

export interface Bot {
  app: App;
  store: Store;
  scheduler: Scheduler;
  workflow: BreakglassWorkflow;
  /** the HTTP port actually listened on (HTTP mode) */
  port: number | undefined;
  stop(): Promise<void>;
}

export interface BotOptions {
  config: AppConfig;
  aws: AwsSettings;
  log: Logger;
  /** Web API client options (tests: no retries) */
  slackClientOptions?: WebClientOptions;
}

export async function startBot({ config, aws, log, slackClientOptions }: BotOptions): Promise<Bot> {
  const store = new SqliteStore(config.dbFile);
  const clients = new AwsClients(aws);
  const organization = new OrganizationDirectory(clients.organizations);
  const tasks = config.dryRun ? new DryRunRootTasks(log) : new RootTaskService(clients, organization, log);
  const app = createSlackApp(config, log, slackClientOptions);
  const people = new SlackPeople(app.client, config.approvers, config.requesters, log);
  const announcer = new SlackAnnouncer(app.client, config.channelId, {
    approverIds: config.approvers,
    durationsSeconds: config.durationsSeconds,
    pendingTtlSeconds: config.pendingTtlSeconds,
  });
  let scheduler: Scheduler | undefined;
  const workflow = new BreakglassWorkflow({
    store,
    tasks,
    accounts: organizationAccounts(organization),
    auth: people,
    announcer,
    log,
    settings: {
      durationsSeconds: config.durationsSeconds,
      remindBeforeSeconds: config.remindBeforeSeconds,
      pendingTtlSeconds: config.pendingTtlSeconds,
      cleanupRetryBaseMs: config.cleanupRetryBaseMs,
      dryRun: config.dryRun,
    },
    wake: () => scheduler?.wake(),
  });
  scheduler = new Scheduler(store, (job) => workflow.runJob(job), { tickMs: config.tickMs, log });

  const deps: SlackDeps = {
    workflow,
    people,
    organization,
    tasks,
    log,
    limitAws: pLimit(INTERACTIVE_AWS_CONCURRENCY),
  };
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  registerOptions(app, deps);
  registerEvents(app, deps);
  app.error(async (error) => {
    // Message and code only: Bolt errors can carry request bodies.
    log.error({ err: error.message, code: (error as { code?: string }).code }, 'Slack listener failed');
  });

  const started = (await app.start(config.slack.port)) as Server | undefined;
  const address =
    started && typeof started.address === 'function' ? (started.address() as AddressInfo | null) : null;
  // Overdue jobs (cleanups due while the bot was down) run now, on the first tick.
  scheduler.start();
  // Warm the account list so the first typeahead answers within Slack's deadline.
  organization.listAccounts().catch((error: unknown) => {
    log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      "could not list the organization's accounts",
    );
  });
  log.info(
    { mode: config.slack.appToken ? 'socket' : 'http', port: address?.port, dryRun: config.dryRun },
    'breakglass bot started',
  );

  let stopped = false;
  return {
    app,
    store,
    scheduler,
    workflow,
    port: address?.port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await scheduler?.stop();
      await app.stop();
      clients.destroy();
      await store.close();
    },
  };
}
