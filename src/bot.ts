/**
 * Wires the bot together: configuration, store, AWS, Slack app, workflow and
 * scheduler. main.ts runs it; the end-to-end tests and the demo start it too.
 */
import type { App } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import pLimit from 'p-limit';
import { AwsClients } from './aws/clients.js';
import { DryRunRootTasks } from './aws/dry-run-root-tasks.js';
import { auditOrganization, DEFAULT_AUDIT_CONCURRENCY } from './aws/org-audit.js';
import { type OrgAccount, OrganizationDirectory } from './aws/organization.js';
import { OrganizationParents } from './aws/organization-parents.js';
import { AdaptiveLimiter, PriorityGate } from './aws/priority.js';
import { RootTaskService } from './aws/root-task-service.js';
import type { AppConfig } from './config/app-config.js';
import type { AwsSettings } from './config/aws-settings.js';
import { healthProbe } from './health.js';
import type { Logger } from './log.js';
import { startMetricsReporter } from './metrics-reporter.js';
import { SlackAnnouncer } from './slack/announcer.js';
import { createSlackApp } from './slack/app.js';
import { boltLogger } from './slack/bolt-logger.js';
import type { SlackDeps } from './slack/deps.js';
import type { Doctor } from './slack/doctor/doctor.js';
import { botDoctor } from './slack/doctor/wiring.js';
import { registerActions } from './slack/listeners/actions.js';
import { registerCommands } from './slack/listeners/commands.js';
import { registerEvents } from './slack/listeners/events.js';
import { registerExtensionViews } from './slack/listeners/extension-views.js';
import { registerOptions } from './slack/listeners/options.js';
import { registerViews } from './slack/listeners/views.js';
import { InstalledWorkspace, registerWorkspaceGuard } from './slack/listeners/workspace-guard.js';
import { SlackPeople } from './slack/people.js';
import { SlackReportAnnouncer } from './slack/report-announcer.js';
import { SocketConnection, type SocketReport } from './slack/socket-connection.js';
import { checkSlackToken, type SlackIdentity, type SlackTokenCheck } from './startup-checks.js';
import { createStore } from './store/create-store.js';
import type { Store } from './store/store.js';
import { DeliveryWorker } from './workflow/delivery.js';
import type { BulkRootTasks } from './workflow/hardening.js';
import type { BulkAudit } from './workflow/org-audits.js';
import { organizationAccounts } from './workflow/organization-accounts.js';
import { PolicyRouting } from './workflow/policy-routing.js';
import type { RootTasks } from './workflow/ports.js';
import { prioritizedTasks } from './workflow/prioritized-tasks.js';
import { Scheduler } from './workflow/scheduler.js';
import { BreakglassWorkflow } from './workflow/workflow.js';

/** Read-only AWS work started from Slack (`/breakglass audit`) runs this many at a time. */
const INTERACTIVE_AWS_CONCURRENCY = 4;
/** The outbox polls at least this often, so a notice goes out soon after Slack comes back. */
const OUTBOX_TICK_MS = 1_000;
/** One Slack call of the outbox never takes longer than this, nor than half a lease. */
const SLACK_CALL_TIMEOUT_MS = 10_000;

/**
 * A Slack client that never stalls its caller: no retries of its own, rate
 * limits surfaced instead of queued, and a per-call timeout.
 */
function boundedSlackClient(config: AppConfig, log: Logger): WebClient {
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: slackCallTimeoutMs(config),
    logger: boltLogger(log),
  });
}

/**
 * Options of the listeners' client (Bolt's `app.client`: modals, replies, DMs to a
 * clicker). A click or a modal waits seconds on Slack, never the WebClient's
 * default ~30 minutes of retries; a 429 fails that one call instead of pausing
 * every listener's calls for its Retry-After; no retry, so a call that timed out
 * after Slack took it (a DM) is not sent twice.
 */
function interactiveSlackClientOptions(config: AppConfig): WebClientOptions {
  return {
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: slackCallTimeoutMs(config),
  };
}

/**
 * The people lookups' own client (user groups, guests): it waits out a 429's
 * Retry-After and tries a timed-out call again, so a burst of users.info calls
 * (a bulk hardening's approvers) is answered rightly rather than failed closed;
 * being its own client, its pauses hold no modal or reply. Four calls at a time.
 */
function lookupSlackClient(config: AppConfig, log: Logger): WebClient {
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: 2, minTimeout: 250, maxTimeout: 1_000 },
    timeout: slackCallTimeoutMs(config),
    maxRequestConcurrency: 4,
    logger: boltLogger(log),
  });
}

/** The outbox's own Slack client (the outbox retries, durably). */
function slackAnnouncer(config: AppConfig, log: Logger, client: WebClient): SlackAnnouncer {
  const context = {
    approverIds: config.approvers,
    durationsSeconds: config.durationsSeconds,
    pendingTtlSeconds: config.pendingTtlSeconds,
  };
  return new SlackAnnouncer(client, config.channelId, context, log, slackCallTimeoutMs(config));
}

function slackCallTimeoutMs(config: AppConfig): number {
  return Math.min(SLACK_CALL_TIMEOUT_MS, config.jobLeaseMs / 2);
}

/**
 * Org-wide audits and bulk hardening in the bulk lane (root work first): their own SDK clients, whose
 * throttled answers halve the bulk limiter, and a limiter that shrinks to a
 * quarter while grants, cleanups or Slack-asked audits (the gate) are in flight.
 */
function bulkLane(
  aws: AwsSettings,
  organization: OrganizationDirectory,
  gate: PriorityGate,
  log: Logger,
  dryRunTasks: RootTasks | undefined,
): { bulkAudit: BulkAudit; bulkTasks: BulkRootTasks; clients: AwsClients; limiter: AdaptiveLimiter } {
  const limiter = new AdaptiveLimiter({ max: DEFAULT_AUDIT_CONCURRENCY }, gate);
  const clients = new AwsClients(aws, () => limiter.throttled());
  const service = dryRunTasks ?? new RootTaskService(clients, organization, log);
  const bulkAudit: BulkAudit = {
    async auditAccounts({ skip, shouldStop, onListed, onRow }) {
      await auditOrganization(service, organization, {
        limit: (work) => limiter.run(work),
        skip,
        shouldStop,
        onListed,
        includeInactive: true,
        onProgress: (_done, _total, row) => onRow(row),
      });
    },
  };
  // Bulk hardening: the same clients and budget, one account's audit or deletion per slot.
  const bulkTasks: BulkRootTasks = {
    audit: (accountId) => limiter.run(() => service.auditRootCredentials(accountId)),
    // A shutdown stops the accounts still waiting for a slot; those running finish. `mayStart` is
    // asked once the slot is had (an open window may have opened while the account waited), and
    // again right before the password is deleted.
    delete: (accountId, signal, mayStart) =>
      limiter.run(async () =>
        signal?.aborted || (mayStart && !(await mayStart()))
          ? undefined
          : service.deleteRootCredentials(accountId, mayStart ? { mayDeletePassword: mayStart } : {}),
      ),
  };
  return { bulkAudit, bulkTasks, clients, limiter };
}

/** Approver routing from the policy file, with BREAKGLASS_APPROVERS & co. as the default rule. */
function policyRouting(config: AppConfig, parents: OrganizationParents): PolicyRouting | undefined {
  if (!config.policy) return undefined;
  return new PolicyRouting(
    config.policy,
    {
      approvers: config.approvers,
      requesters: config.requesters,
      durationsSeconds: config.durationsSeconds,
      tasks: config.tasks,
    },
    (accountId) => parents.ancestors(accountId),
  );
}

/** Reads the OUs of every ACTIVE account whose rule depends on them; failures are logged, never thrown. */
function warmOus(
  routing: PolicyRouting,
  parents: OrganizationParents,
  accounts: readonly OrgAccount[],
  log: Logger,
): void {
  const ids = accounts.filter((a) => a.state === 'ACTIVE' && routing.needsOus(a.id)).map((a) => a.id);
  void parents.warm(ids).then(({ failed }) => {
    if (failed.length) {
      log.warn(
        { failed: failed.length, of: ids.length, example: failed[0] },
        "could not read some accounts' OUs (organizations:ListParents): their requests read them on submission",
      );
    }
  });
}

export interface Bot {
  app: App;
  store: Store;
  scheduler: Scheduler;
  delivery: DeliveryWorker;
  workflow: BreakglassWorkflow;
  /** `/breakglass doctor` and its last result (the App Home shows it to approvers) */
  doctor: Doctor;
  /** the start-up run of the doctor (never rejects; undefined when turned off) */
  startupDoctor: Promise<unknown> | undefined;
  /** the HTTP port actually listened on (HTTP mode: Slack and health routes; Socket Mode: health routes) */
  port: number | undefined;
  /** Socket Mode: whether the websocket to Slack is up (undefined in HTTP mode) */
  slackConnection(): SocketReport | undefined;
  stop(): Promise<void>;
}

export interface BotOptions {
  config: AppConfig;
  aws: AwsSettings;
  log: Logger;
  /** Web API client options of the listeners' client, over the bounded defaults (tests: no retries) */
  slackClientOptions?: WebClientOptions;
  /** the bot token's auth.test, when the caller made it already (main.ts lists it with the other problems) */
  slackToken?: SlackTokenCheck;
  /**
   * Run the doctor once after the start, logging failures at warn (default true).
   * The end-to-end harness turns it off unless a test is about it, so that its
   * Slack calls do not mix with what other tests count.
   */
  startupDoctor?: boolean;
}

/** Slack refused the bot token at start-up: nothing was started; `problem` says what to do. */
export class SlackTokenError extends Error {
  override readonly name = 'SlackTokenError';

  constructor(readonly problem: string) {
    super(problem);
  }
}

/**
 * The token's identity, before anything starts or is announced. A refused token
 * stops the start (every Slack call would fail); an unreachable Slack does not:
 * cleanups must not wait on Slack, and the workspace is asked again later.
 */
async function verifiedSlackIdentity(
  config: AppConfig,
  log: Logger,
  made: SlackTokenCheck | undefined,
): Promise<SlackIdentity | undefined> {
  const check = made ?? (await checkSlackToken(config.slack.botToken, config.slack.apiUrl));
  if (check.kind === 'refused') throw new SlackTokenError(check.problem);
  if (check.kind === 'unreachable') {
    log.warn(
      { err: check.reason },
      'could not check the Slack bot token (Slack did not answer auth.test): starting anyway',
    );
    return undefined;
  }
  return check.identity;
}

export async function startBot({
  config,
  aws,
  log,
  slackClientOptions,
  slackToken,
  startupDoctor = true,
}: BotOptions): Promise<Bot> {
  for (const warning of config.warnings) log.warn(warning);
  const identity = await verifiedSlackIdentity(config, log, slackToken);
  // First, so that a missing table or a newer schema stops the start before anything listens.
  const store = await createStore(config, { region: aws.region, requestTimeoutMs: aws.requestTimeoutMs });
  const clients = new AwsClients(aws);
  const parents = new OrganizationParents(clients.organizations);
  const routing = policyRouting(config, parents);
  // Each time the account list loads (at start-up, then on each refresh), the OUs of the
  // accounts routed by OU are read too: a request submission then needs no AWS call.
  const organization = new OrganizationDirectory(clients, {
    log,
    ...(routing ? { onAccounts: (accounts) => warmOus(routing, parents, accounts, log) } : {}),
  });
  const rawTasks = config.dryRun ? new DryRunRootTasks(log) : new RootTaskService(clients, organization, log);
  // Root work first: grants, cleanups and Slack-asked audits are priority work; org-wide audits are bulk.
  const gate = new PriorityGate();
  const tasks = prioritizedTasks(rawTasks, gate);
  const bulk = bulkLane(aws, organization, gate, log, config.dryRun ? rawTasks : undefined);
  // Jobs (AWS) and notices (Slack) run in separate loops: a slow or failing Slack never holds up a cleanup.
  const scheduler = new Scheduler(store, (job, signal) => workflow.runJob(job, signal), {
    tickMs: config.tickMs,
    leaseMs: config.jobLeaseMs,
    log,
  });
  const outboxClient = boundedSlackClient(config, log);
  const delivery = new DeliveryWorker(store, slackAnnouncer(config, log, outboxClient), {
    log,
    reports: new SlackReportAnnouncer(outboxClient, config.channelId, log),
    tickMs: Math.min(config.tickMs, OUTBOX_TICK_MS),
    leaseMs: config.jobLeaseMs,
    onDelivered: (item) => workflow.delivered(item),
    onUndeliverable: (item, error) => workflow.undeliverable(item, error),
  });
  const socket = config.slack.mode === 'socket' ? new SocketConnection(log) : undefined;
  const health = healthProbe({ store, scheduler, delivery, slack: socket && (() => socket.report()) });
  const slackApp = createSlackApp(config, log, health, {
    clientOptions: { ...interactiveSlackClientOptions(config), ...slackClientOptions },
    socket,
    ...(identity ? { identity } : {}),
  });
  const app = slackApp.app;
  // Without a request at hand (App Home, list, opening the modal), anyone approving or
  // requesting under some rule counts; a request itself is decided by its own rule.
  const people = new SlackPeople(
    lookupSlackClient(config, log),
    routing?.everyone.approvers ?? config.approvers,
    routing?.everyone.requesters ?? config.requesters,
    log,
  );
  const workflow: BreakglassWorkflow = new BreakglassWorkflow({
    store,
    tasks,
    accounts: organizationAccounts(organization),
    auth: people,
    log,
    bulkAudit: bulk.bulkAudit,
    bulkTasks: bulk.bulkTasks,
    ...(routing ? { routing } : {}),
    settings: {
      durationsSeconds: config.durationsSeconds,
      tasks: config.tasks,
      remindBeforeSeconds: config.remindBeforeSeconds,
      pendingTtlSeconds: config.pendingTtlSeconds,
      cleanupRetryBaseMs: config.cleanupRetryBaseMs,
      dryRun: config.dryRun,
      ...(config.auditEveryMs !== undefined ? { auditEveryMs: config.auditEveryMs } : {}),
      driftRemindMs: config.driftRemindMs,
    },
    wake: () => scheduler.wake(),
    wakeOutbox: () => delivery.wake(),
    crashAt: process.env.BREAKGLASS_TEST_CRASH_AT,
  });

  const deps: SlackDeps = {
    workflow,
    people,
    organization,
    tasks,
    log,
    limitAws: (() => {
      const limit = pLimit(INTERACTIVE_AWS_CONCURRENCY);
      return <T>(work: () => Promise<T>) => limit(() => gate.run(work));
    })(),
  };
  const doctor = botDoctor({
    config,
    clients,
    organization,
    slack: boundedSlackClient(config, log),
    deps,
    log,
  });
  deps.doctor = doctor;
  // auth.test names the installed workspace; every request that names another is refused,
  // before any listener runs. Known from the start-up check, or, if Slack did not answer
  // it, asked now, not awaited: a Slack outage must not hold up the start.
  const workspaceClient = boundedSlackClient(config, log);
  const workspace = new InstalledWorkspace(
    () => (identity?.teamId ? Promise.resolve({ team_id: identity.teamId }) : workspaceClient.auth.test()),
    log,
  );
  void workspace.id();
  registerWorkspaceGuard(app, workspace, log);
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  registerExtensionViews(app, deps);
  registerOptions(app, deps);
  registerEvents(app, deps);
  app.error(async (error) => {
    // Message and code only: Bolt errors can carry request bodies.
    log.error({ err: error.message, code: (error as { code?: string }).code }, 'Slack listener failed');
  });

  // The scheduled org-wide audit (drift detection): one fixed job per deployment; a restart keeps its time.
  await workflow.orgAudits.drift.ensureSchedule();
  // Overdue jobs (cleanups due while the bot was down) run now, on the first tick, whether
  // or not Slack can be reached yet (Socket Mode waits for Slack's hello below).
  scheduler.start();
  delivery.start();
  const stopMetrics = startMetricsReporter({ store, scheduler, log });
  let port: number | undefined;
  try {
    port = await slackApp.start();
  } catch (error) {
    stopMetrics();
    await scheduler.stop();
    await delivery.stop();
    await app.stop().catch(() => {});
    clients.destroy();
    bulk.clients.destroy();
    await store.close();
    throw error;
  }
  // Warm the account list so the first typeahead answers within Slack's deadline.
  organization.listAccounts().catch((error: unknown) => {
    log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      "could not list the organization's accounts",
    );
  });
  log.info(
    {
      mode: config.slack.mode,
      port,
      dryRun: config.dryRun,
      store: config.store.kind,
      // With several replicas, a job or notice item's claimedBy names the replica holding it.
      workers: { scheduler: scheduler.workerId, outbox: delivery.workerId },
    },
    'breakglass bot started',
  );
  // Once, in the background: never fatal, never in the way of cleanups (failures are logged at warn).
  const startupRun = startupDoctor
    ? doctor.atStartup().catch((error: unknown) => {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'doctor failed to run');
      })
    : undefined;

  let stopped = false;
  return {
    app,
    store,
    scheduler,
    delivery,
    workflow,
    doctor,
    startupDoctor: startupRun,
    port,
    slackConnection: () => socket?.report(),
    async stop() {
      if (stopped) return;
      stopped = true;
      stopMetrics();
      await scheduler.stop();
      await delivery.stop();
      await app.stop();
      clients.destroy();
      bulk.clients.destroy();
      await store.close();
    },
  };
}
