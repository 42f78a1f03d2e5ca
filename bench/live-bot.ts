/**
 * The bot in this process against in-process fakes of Slack and AWS, driven
 * through the workflow API (what a click would call), for measurements that
 * need many root windows: the cleanup-lag benchmark and the soak.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Bot, startBot } from '../src/bot.js';
import { loadConfig } from '../src/config/app-config.js';
import { awsSettingsFromEnv } from '../src/config/aws-settings.js';
import type { BreakglassRequest } from '../src/domain/request.js';
import { createLogger } from '../src/log.js';
import { memberId, seedMembers } from '../test/fakes/aws/sample-org.js';
import { FakeAws } from '../test/fakes/aws/server.js';
import { FakeSlack } from '../test/fakes/slack/server.js';
import { botEnvironment, waitFor } from '../test/support/bot-env.js';

export const REQUESTER = 'UREQUESTER1';
const APPROVERS = ['UAPPROVERA1', 'UAPPROVERB1'] as const;

export interface LiveBot {
  bot: Bot;
  aws: FakeAws;
  slack: FakeSlack;
  /** warn-and-above log lines (kept small: the soak measures memory) */
  warnings: number;
  /** submits, waits for the preview, approves twice, waits for the window to open */
  openWindow(account: number, durationSeconds: number): Promise<BreakglassRequest>;
  request(id: string): Promise<BreakglassRequest>;
  close(): Promise<void>;
}

export async function startLiveBot(options: {
  accounts: number;
  durations: string;
  tick: string;
  awsLatencyMs?: number;
  /** AWS requests per second over all services (excess answered with Throttling) */
  awsThrottlePerSecond?: number;
  /** every n-th account has root credentials (0: none) */
  credentialsEvery?: number;
}): Promise<LiveBot> {
  const aws = await FakeAws.start({
    latencyMs: options.awsLatencyMs ?? 0,
    ...(options.awsThrottlePerSecond ? { throttlePerSecond: options.awsThrottlePerSecond } : {}),
  });
  seedMembers(aws, options.accounts, options.credentialsEvery ?? 0);
  const slack = await FakeSlack.start();
  const dbFile = join(mkdtempSync(join(tmpdir(), 'bg-live-')), 'breakglass.db');
  const env = botEnvironment(aws, slack, dbFile, {
    BREAKGLASS_APPROVERS: APPROVERS.join(','),
    BREAKGLASS_DURATIONS: options.durations,
    BREAKGLASS_REMIND_BEFORE: '1s',
    BREAKGLASS_TICK: options.tick,
    // No scheduled org-wide audit unless a test or run asks for one (drift detection).
    BREAKGLASS_AUDIT_EVERY: 'off',
    BREAKGLASS_CLEANUP_RETRY: '1s',
    BREAKGLASS_JOB_LEASE: '10s',
  });
  Object.assign(process.env, env);
  const live = { warnings: 0 } as { warnings: number };
  const sink = new Writable({
    write(_chunk, _enc, done) {
      live.warnings += 1;
      done();
    },
  });
  const bot = await startBot({
    config: loadConfig(env),
    aws: awsSettingsFromEnv(env),
    log: createLogger({ level: 'warn' }, sink),
    slackClientOptions: { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
  });
  const request = async (id: string) => {
    const stored = await bot.workflow.get(id);
    if (!stored) throw new Error(`no request ${id}`);
    return stored.request;
  };
  return {
    bot,
    aws,
    slack,
    get warnings() {
      return live.warnings;
    },
    request,
    async openWindow(account, durationSeconds) {
      const submitted = await bot.workflow.actions.submit({
        requesterId: REQUESTER,
        accountId: memberId(account),
        task: 'password-recovery',
        durationSeconds,
        justification: 'benchmark',
      });
      if (!submitted.ok || !('request' in submitted)) throw new Error(JSON.stringify(submitted));
      const id = submitted.request.id;
      const ready = await waitFor(
        'the preview',
        async () => {
          const r = await request(id);
          return r.preview?.status === 'ready' ? r : undefined;
        },
        30_000,
      );
      for (const approver of APPROVERS) {
        // While Slack is down the approver check (users.info) fails closed: click again, as a person would.
        await waitFor(
          'an approval',
          async () => {
            const reply = await bot.workflow.actions.approve(id, approver, ready.contentHash);
            if (reply.ok) return true;
            await new Promise((resolve) => setTimeout(resolve, 250));
            return undefined;
          },
          60_000,
        );
      }
      return waitFor(
        'the window',
        async () => {
          const r = await request(id);
          return r.state === 'active' ? r : undefined;
        },
        30_000,
      );
    },
    async close() {
      await bot.stop();
      await slack.close();
      await aws.close();
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
