/**
 * Bulk hardening of 100 accounts with root credentials against the throttled
 * fake AWS (150 requests/s over all services, 20 ms per call), the bot in
 * process: from the second approval to the request closed (every account
 * deleted, verified in its own audit session, then the verification audit at
 * the end). Compared with the throttle's lower bound measured in the same run:
 * the AWS calls the fake answered meanwhile divided by its rate.
 */
import { waitFor } from '../test/support/bot-env.js';
import { REQUESTER, startLiveBot } from './live-bot.js';

const ACCOUNTS = 100;
const THROTTLE = 150;
const LATENCY_MS = 20;

export interface HardenBench {
  accounts: number;
  seconds: number;
  awsCalls: number;
  throttled: number;
  lowerBoundSeconds: number;
  ratio: number;
  verified: number;
}

export async function benchHarden(): Promise<HardenBench> {
  const live = await startLiveBot({
    accounts: ACCOUNTS,
    durations: '30m',
    tick: '1s',
    awsLatencyMs: LATENCY_MS,
    awsThrottlePerSecond: THROTTLE,
    credentialsEvery: 1,
  });
  try {
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => String(200_000_000_001 + i));
    const started = await live.bot.workflow.hardenings.start(REQUESTER, { accounts });
    if (!started.ok) throw new Error(started.text);
    const h = await waitFor(
      'the preview',
      async () => {
        const s = await live.bot.store.getHardening(started.id);
        return s?.hardening.preview === 'ready' ? s.hardening : undefined;
      },
      120_000,
    );
    await live.bot.workflow.hardenings.approve(h.id, 'UAPPROVERA1', h.contentHash);
    const before = { ...live.aws.stats };
    const t0 = performance.now();
    const reply = await live.bot.workflow.hardenings.approve(h.id, 'UAPPROVERB1', h.contentHash);
    if (!reply.ok) throw new Error(reply.text);
    await waitFor(
      'the hardening to close',
      async () =>
        (await live.bot.store.getHardening(h.id))?.hardening.state === 'closed' ? true : undefined,
      300_000,
    );
    const seconds = (performance.now() - t0) / 1000;
    const throttled = live.aws.stats.throttled - before.throttled;
    const awsCalls = live.aws.stats.requests - before.requests - throttled;
    const rows = await live.bot.store.hardenAccounts(h.id);
    const lowerBoundSeconds = awsCalls / THROTTLE;
    return {
      accounts: ACCOUNTS,
      seconds,
      awsCalls,
      throttled,
      lowerBoundSeconds,
      ratio: seconds / lowerBoundSeconds,
      verified: rows.filter((r) => r.state === 'done').length,
    };
  } finally {
    await live.close();
  }
}
