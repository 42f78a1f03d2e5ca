/**
 * `/breakglass audit all` benchmarks.
 *
 * - Root work first: the cleanup lag (window end to verified cleanup) of windows
 *   that end while an org-wide audit of 1,000 accounts runs against the
 *   throttled fake (150 requests/s, 20 ms per call), against the same lag
 *   without the audit, in the same run and on the same fake.
 * - Slack path against CLI path: audit-all of 1,000 accounts from the signed
 *   `/breakglass audit all` to the CSV shared in Slack (durable job, rows stored,
 *   progress through the outbox, files.uploadV2), against `auditOrganization`
 *   plus the same CSV renderer (`breakglass audit --all --csv`), same fake.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { AwsClients } from '../src/aws/clients.js';
import { auditOrganization } from '../src/aws/org-audit.js';
import { toOrgAuditRow } from '../src/aws/org-audit-row.js';
import { OrganizationDirectory } from '../src/aws/organization.js';
import { RootTaskService } from '../src/aws/root-task-service.js';
import { startBot } from '../src/bot.js';
import { loadConfig } from '../src/config/app-config.js';
import { awsSettingsFromEnv } from '../src/config/aws-settings.js';
import { orgAuditCsv } from '../src/domain/org-audit-csv.js';
import type { BreakglassRequest } from '../src/domain/request.js';
import { createLogger } from '../src/log.js';
import { FakeSlack } from '../test/fakes/slack/server.js';
import { botEnvironment, waitFor } from '../test/support/bot-env.js';
import { SlackTestClient } from '../test/support/slack-client.js';
import { percentile, REQUESTER, startLiveBot } from './live-bot.js';

const ACCOUNTS = 1000;
const LATENCY_MS = 20;
const THROTTLE = 500;
/**
 * The cleanup-lag part throttles harder: with the fake in the bot's process on 2
 * shared cores, an audit at 12 in flight stays under 500 requests/s and is
 * never throttled; at 150/s AWS throttles it and the cleanups must compete.
 */
const LAG_THROTTLE = 150;
const TICK_MS = 1000;
const WINDOWS = 5;

export interface AuditLagBench {
  tickMs: number;
  windows: number;
  without: { p50: number; max: number };
  during: { p50: number; max: number };
  /** windows whose cleanup verified while the audit was still running */
  endedDuringAudit: number;
  auditSeconds: number;
  throttled: number;
}

async function lags(live: Awaited<ReturnType<typeof startLiveBot>>, windows: BreakglassRequest[]) {
  return Promise.all(
    windows.map(async (w) => {
      const closed = await waitFor(
        'verified cleanup',
        async () => {
          const r = await live.request(w.id);
          return r.state === 'closed' ? r : undefined;
        },
        120_000,
      );
      return {
        lag: (closed.cleanup?.verifiedAt ?? 0) - (w.windowEndsAt ?? 0),
        at: closed.cleanup?.verifiedAt ?? 0,
      };
    }),
  );
}

export async function benchAuditLag(): Promise<AuditLagBench> {
  const live = await startLiveBot({
    accounts: ACCOUNTS,
    durations: '4s',
    tick: '1s',
    awsLatencyMs: LATENCY_MS,
    awsThrottlePerSecond: LAG_THROTTLE,
    credentialsEvery: 10,
  });
  try {
    // Baseline: the same windows, no audit.
    const quiet = [];
    for (let i = 1; i <= WINDOWS; i++) quiet.push(await live.openWindow(i * 7, 4));
    const without = (await lags(live, quiet)).map((l) => l.lag);
    // During the audit: open the windows, then start the audit; they end while it runs.
    const busy = [];
    for (let i = 1; i <= WINDOWS; i++) busy.push(await live.openWindow(100 + i * 7, 4));
    const throttledBefore = live.aws.stats.throttled;
    const started = await live.bot.workflow.orgAudits.start(REQUESTER);
    if (!started.started) throw new Error('an audit was already running');
    const during = await lags(live, busy);
    const run = await waitFor(
      'the audit',
      async () => {
        const r = await live.bot.store.getOrgAudit(started.run.id);
        return r?.state === 'done' ? r : undefined;
      },
      300_000,
    );
    const finishedAt = run.finishedAt ?? 0;
    return {
      tickMs: TICK_MS,
      windows: WINDOWS,
      without: { p50: percentile(without, 50), max: Math.max(...without) },
      during: {
        p50: percentile(
          during.map((d) => d.lag),
          50,
        ),
        max: Math.max(...during.map((d) => d.lag)),
      },
      endedDuringAudit: during.filter((d) => d.at < finishedAt).length,
      auditSeconds: (finishedAt - run.startedAt) / 1000,
      throttled: live.aws.stats.throttled - throttledBefore,
    };
  } finally {
    await live.close();
  }
}

export interface AuditPathsBench {
  accounts: number;
  cliSeconds: number;
  slackSeconds: number;
  ratio: number;
  csvRowsSlack: number;
  csvRowsCli: number;
}

async function startFakeAws(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/fake-aws-process.ts', String(ACCOUNTS), String(LATENCY_MS), String(THROTTLE)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { url: line.trim(), stop: () => child.kill('SIGTERM') };
}

export async function benchAuditPaths(): Promise<AuditPathsBench> {
  const fake = await startFakeAws();
  const slack = await FakeSlack.start();
  try {
    const awsEnv = {
      AWS_ENDPOINT_URL: fake.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAFAKEOPERATOR0001',
      AWS_SECRET_ACCESS_KEY: 'fake-operator-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    Object.assign(process.env, awsEnv);

    // The CLI path: `breakglass audit --all --csv` (its engine and its renderer), from a cold account list.
    const clients = new AwsClients(awsSettingsFromEnv(awsEnv));
    const organization = new OrganizationDirectory(clients);
    const cliStart = performance.now();
    const report = await auditOrganization(new RootTaskService(clients, organization), organization);
    const cliCsv = orgAuditCsv(report.rows.map((r) => toOrgAuditRow(r)));
    const cliSeconds = (performance.now() - cliStart) / 1000;
    clients.destroy();

    // The Slack path: the bot, a signed command, until the CSV is shared in the summary's thread.
    const dbFile = join(mkdtempSync(join(tmpdir(), 'bg-auditall-')), 'breakglass.db');
    const env = botEnvironment({ env: () => awsEnv }, slack, dbFile, { BREAKGLASS_TICK: '1s' });
    Object.assign(process.env, env);
    const bot = await startBot({
      config: loadConfig(env),
      aws: awsSettingsFromEnv(env),
      log: createLogger({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() })),
      slackClientOptions: { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
    });
    try {
      const client = new SlackTestClient(`http://127.0.0.1:${bot.port}`, (id) => slack.responseUrl(id));
      const slackStart = performance.now();
      const res = await client.command(REQUESTER, 'audit all', {});
      if (res.status !== 200) throw new Error(`command answered ${res.status}`);
      const shared = await waitFor(
        'the CSV in Slack',
        () => slack.callsOf('files.completeUploadExternal').find((c) => c.outcome?.ok),
        300_000,
      );
      const slackSeconds = (performance.now() - slackStart) / 1000;
      const fileId = (shared.args.files as { id: string }[])[0]?.id ?? '';
      const slackCsv = slack.files.get(fileId)?.content?.toString('utf8') ?? '';
      return {
        accounts: report.accounts,
        cliSeconds,
        slackSeconds,
        ratio: slackSeconds / cliSeconds,
        csvRowsSlack: slackCsv.trimEnd().split('\n').length - 1,
        csvRowsCli: cliCsv.trimEnd().split('\n').length - 1,
      };
    } finally {
      await bot.stop();
    }
  } finally {
    await slack.close();
    fake.stop();
  }
}
