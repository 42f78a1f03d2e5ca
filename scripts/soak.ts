/**
 * `npm run soak`: request cycles back to back (four at a time) against the
 * in-process fakes, each with a random fault from the fault matrix, then checks
 * the promise: no root credential left on any account, every notice delivered
 * exactly once, and memory flat (the last quarter's RSS within 10% of the first).
 * SOAK_CYCLES=n changes the number of cycles (default 200).
 */

import { type LiveBot, REQUESTER, startLiveBot } from '../bench/live-bot.js';
import { fullyCredentialed, memberId } from '../test/fakes/aws/sample-org.js';
import { waitFor } from '../test/support/bot-env.js';
import { CHANNEL } from '../test/support/slack-client.js';

const CYCLES = Number(process.env.SOAK_CYCLES ?? 200);
const LANES = 4;
const WINDOW_SECONDS = 2;

type Fault = (live: LiveBot, account: string) => void;
const FAULTS: Record<string, Fault> = {
  none: () => {},
  'slack down for 3 s': (live) => live.slack.down({ until: Date.now() + 3_000 }),
  'slack 429 burst': (live) => {
    live.slack.rateLimitNext('chat.postMessage', 1, { times: 3 });
    live.slack.rateLimitNext('chat.update', 1, { times: 3 });
  },
  'slack 5xx burst': (live) => live.slack.httpErrorNext('chat.postMessage', 502, { times: 3 }),
  'aws throttling mid-cleanup': (live, account) =>
    live.aws.failNext('DeleteLoginProfile', 'Throttling', {
      message: 'Rate exceeded',
      times: 3,
      accountId: account,
    }),
  'aws AccessDenied mid-cleanup': (live, account) =>
    live.aws.failNext('DeleteAccessKey', 'AccessDenied', { status: 403, times: 1, accountId: account }),
  'root session expiry': (live) => {
    live.aws.options.expiringRootSessions = { afterCalls: 2, sessions: 1 };
  },
  'every credential added in the window': (live, account) => {
    live.aws.account(account).root = fullyCredentialed(account);
  },
};
const FAULT_NAMES = Object.keys(FAULTS);

const live = await startLiveBot({ accounts: CYCLES, durations: `${WINDOW_SECONDS}s`, tick: '1s' });
const delivered = new Map<string, number>();
live.slack.onCall = (call) => {
  // Count what people received, then forget the call: the soak measures the bot's memory, not the fake's.
  const text = String(call.args.text ?? '');
  const id = /BG-[A-Z0-9]{6}/.exec(text)?.[0];
  queueMicrotask(() => {
    if (call.outcome?.ok !== false && id && call.method === 'chat.postMessage') {
      const kind =
        call.args.channel === CHANNEL && text.includes('is closed')
          ? 'announcement'
          : call.args.channel === REQUESTER && text.includes('Root password recovery is enabled')
            ? 'granted'
            : undefined;
      if (kind) delivered.set(`${id} ${kind}`, (delivered.get(`${id} ${kind}`) ?? 0) + 1);
    }
  });
};

const rss: number[] = [];
const faultsSeen = new Map<string, number>();
const ids: string[] = [];
let next = 1;
const started = Date.now();

async function lane(): Promise<void> {
  while (next <= CYCLES) {
    const n = next++;
    const account = memberId(n);
    const fault = FAULT_NAMES[Math.floor(Math.random() * FAULT_NAMES.length)] ?? 'none';
    faultsSeen.set(fault, (faultsSeen.get(fault) ?? 0) + 1);
    live.aws.options.mfaBlocksLoginProfileDeletion = Math.random() < 0.5;
    const window = await live.openWindow(n, WINDOW_SECONDS);
    ids.push(window.id);
    FAULTS[fault]?.(live, account);
    await waitFor(
      `cleanup of ${window.id}`,
      async () => {
        const r = await live.request(window.id);
        return r.state === 'closed' ? true : undefined;
      },
      120_000,
    );
    live.slack.calls.splice(0);
    live.aws.calls.splice(0);
    live.aws.requests.splice(0);
    live.aws.refused.splice(0);
    globalThis.gc?.();
    rss.push(process.memoryUsage().rss);
    if (n % 20 === 0) console.log(`${n}/${CYCLES} cycles, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

await Promise.all(Array.from({ length: LANES }, lane));
live.slack.up();
await waitFor(
  'an empty outbox',
  async () => ((await live.bot.store.deliveryBacklog()).pending === 0 ? true : undefined),
  120_000,
);
await new Promise((resolve) => setTimeout(resolve, 2_000));

const left = [...Array(CYCLES).keys()]
  .map((i) => live.aws.account(memberId(i + 1)).root)
  .filter(
    (r) => r.loginProfile || r.accessKeys.length || r.signingCertificates.length || r.mfaDevices.length,
  );
const notOnce = ids.flatMap((id) =>
  ['announcement', 'granted']
    .filter((kind) => delivered.get(`${id} ${kind}`) !== 1)
    .map((kind) => `${id} ${kind}: ${delivered.get(`${id} ${kind}`) ?? 0}`),
);
let undelivered = 0;
for (const id of ids) {
  undelivered += (await live.bot.store.listDeliveries(id)).filter((d) => d.status !== 'sent').length;
}
const quarter = Math.max(1, Math.floor(rss.length / 4));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const first = mean(rss.slice(0, quarter)) / 2 ** 20;
const last = mean(rss.slice(-quarter)) / 2 ** 20;
const growth = (last - first) / first;

console.log(`soak: ${CYCLES} cycles in ${((Date.now() - started) / 1000).toFixed(0)} s, ${LANES} at a time`);
console.log(`faults: ${[...faultsSeen].map(([f, n]) => `${f} ${n}`).join(', ')}`);
console.log(`accounts with root credentials left: ${left.length}`);
console.log(
  `notices not delivered exactly once: ${notOnce.length}${notOnce.length ? ` (${notOnce.slice(0, 5).join('; ')})` : ''}; outbox entries not sent: ${undelivered}`,
);
console.log(
  `RSS: first quarter ${first.toFixed(0)} MB, last quarter ${last.toFixed(0)} MB (${(growth * 100).toFixed(1)}%)`,
);
await live.close();
const ok = left.length === 0 && notOnce.length === 0 && undelivered === 0 && Math.abs(growth) <= 0.1;
console.log(ok ? 'PASS' : 'MISS');
process.exit(ok ? 0 : 1);
