/**
 * Cleanup lag: from a window's end to its verified cleanup, over 50 windows,
 * with Slack healthy (the baseline) and with every Slack call failing. The claim:
 * Slack being down costs the cleanup nothing; once Slack is back, every
 * announcement goes out within a minute, exactly once.
 */

import { waitFor } from '../test/support/bot-env.js';
import { CHANNEL } from '../test/support/slack-client.js';
import { percentile, startLiveBot } from './live-bot.js';

const WINDOWS = 50;
const TICK_MS = 1000;
const AWS_LATENCY_MS = 20;

export interface CleanupLagRun {
  p50: number;
  p99: number;
  max: number;
}

export interface CleanupLagBench {
  windows: number;
  tickMs: number;
  healthy: CleanupLagRun;
  slackDown: CleanupLagRun;
  /** ms from Slack's return until every cleanup announcement was delivered */
  announcedAfterReturnMs: number;
  /** cleanup announcements Slack accepted, per window (1 = exactly once) */
  announcementsPerWindow: number;
}

async function run(
  slackDown: boolean,
): Promise<CleanupLagRun & { announcedAfterReturnMs: number; perWindow: number }> {
  const live = await startLiveBot({
    accounts: WINDOWS,
    durations: '20s',
    tick: '1s',
    awsLatencyMs: AWS_LATENCY_MS,
  });
  try {
    // Open the windows one after the other, so that their ends are spread over several ticks.
    const windows = [];
    for (let i = 1; i <= WINDOWS; i++) windows.push(await live.openWindow(i, 20));
    if (slackDown) live.slack.down();
    const lags = await Promise.all(
      windows.map(async (w) => {
        const closed = await waitFor(
          'verified cleanup',
          async () => {
            const r = await live.request(w.id);
            return r.state === 'closed' ? r : undefined;
          },
          120_000,
        );
        return (closed.cleanup?.verifiedAt ?? 0) - (w.windowEndsAt ?? 0);
      }),
    );
    const announced = () =>
      live.slack
        .callsOf('chat.postMessage')
        .filter(
          (c) =>
            c.outcome?.ok !== false &&
            c.args.channel === CHANNEL &&
            String(c.args.text).includes('is closed'),
        ).length;
    const back = Date.now();
    live.slack.up();
    await waitFor('every announcement', () => (announced() >= WINDOWS ? true : undefined), 120_000);
    const announcedAfterReturnMs = Date.now() - back;
    await new Promise((resolve) => setTimeout(resolve, 2 * TICK_MS));
    return {
      p50: percentile(lags, 50),
      p99: percentile(lags, 99),
      max: Math.max(...lags),
      announcedAfterReturnMs: slackDown ? announcedAfterReturnMs : 0,
      perWindow: announced() / WINDOWS,
    };
  } finally {
    await live.close();
  }
}

export async function benchCleanupLag(): Promise<CleanupLagBench> {
  const healthy = await run(false);
  const down = await run(true);
  return {
    windows: WINDOWS,
    tickMs: TICK_MS,
    healthy: { p50: healthy.p50, p99: healthy.p99, max: healthy.max },
    slackDown: { p50: down.p50, p99: down.p99, max: down.max },
    announcedAfterReturnMs: down.announcedAfterReturnMs,
    announcementsPerWindow: Math.max(healthy.perWindow, down.perWindow),
  };
}
