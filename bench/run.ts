/**
 * `npm run bench`: performance claims, each against a baseline measured in the same run.
 * Prints a table and the ratios the README records; exits non-zero when a target is missed.
 * BENCH_ONLY=audit,acks,cleanup,stores,auditlag,auditall,harden runs a subset (the takeover lag belongs to "cleanup").
 */
import { cpus, totalmem } from 'node:os';
import { benchAckLatency } from './ack-latency.js';
import { benchAuditLag, benchAuditPaths } from './audit-all.js';
import { benchCleanupLag } from './cleanup-lag.js';
import { benchHarden } from './harden.js';
import { benchOrgAudit } from './org-audit.js';
import { benchTakeoverLag, describeTakeoverBench } from './replica-takeover.js';
import { benchStore, describeStoreBench } from './store.js';

interface Target {
  name: string;
  value: number;
  target: string;
  ok: boolean;
}

const concurrency = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
const wanted = (part: string) => only.size === 0 || only.has(part);
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}`);
const targets: Target[] = [];

if (wanted('audit')) {
  const audit = await benchOrgAudit(concurrency);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `org audit: ${audit.accounts} accounts (${audit.withCredentials} with root credentials) in ${audit.seconds.toFixed(2)} s ` +
      `at concurrency ${audit.concurrency} (${audit.cpuSeconds.toFixed(1)} s CPU); ${audit.awsCalls} AWS calls (+${audit.throttled} throttled answers); ` +
      `lower bound ${audit.lowerBoundSeconds.toFixed(2)} s; sequential loop ${audit.baselineSeconds.toFixed(1)} s (scaled from 100)`,
  );
  targets.push(
    {
      name: 'org audit speed-up vs sequential loop',
      value: audit.speedup,
      target: '>= 20x',
      ok: audit.speedup >= 20,
    },
    {
      name: 'org audit time / throttle lower bound',
      value: audit.ratioToLowerBound,
      target: '<= 1.3x',
      ok: audit.ratioToLowerBound <= 1.3,
    },
    {
      name: 'org audit failed accounts',
      value: audit.failedAccounts,
      target: '0',
      ok: audit.failedAccounts === 0,
    },
    {
      name: 'peak RSS of the org audit process (MB)',
      value: peakRssMb,
      target: '< 200',
      ok: peakRssMb < 200,
    },
  );
}

if (wanted('acks')) {
  const ack = await benchAckLatency();
  console.log(
    `acks: ${ack.operations} requests, 50 in flight: /breakglass audit p50 ${ack.commandP50.toFixed(1)} ms, p99 ${ack.commandP99.toFixed(1)} ms; ` +
      `Approve clicks p50 ${ack.clickP50.toFixed(1)} ms, p99 ${ack.clickP99.toFixed(1)} ms; max ${ack.max.toFixed(1)} ms; ` +
      `bot CPU ${ack.botMsPerRequest.toFixed(2)} ms/request (load generator ${ack.generatorMsPerRequest.toFixed(2)}); ` +
      `baseline, an audit's answer after its AWS work: p50 ${(ack.answerAfterAwsP50 / 1000).toFixed(2)} s`,
  );
  targets.push(
    {
      name: 'ack p99 of commands and clicks, 50 concurrent, AWS at 2 s (ms)',
      value: ack.allP99,
      target: '< 100',
      ok: ack.allP99 < 100,
    },
    {
      name: 'peak RSS of the bot process (MB)',
      value: ack.botPeakRssMb,
      target: '< 150',
      ok: ack.botPeakRssMb < 150,
    },
  );
}

if (wanted('cleanup')) {
  const lag = await benchCleanupLag();
  const takeover = await benchTakeoverLag();
  console.log(
    `cleanup lag (window end to verified), ${lag.windows} windows, tick ${lag.tickMs} ms: Slack healthy p50 ${lag.healthy.p50} ms, ` +
      `p99 ${lag.healthy.p99} ms; Slack down p50 ${lag.slackDown.p50} ms, p99 ${lag.slackDown.p99} ms; ` +
      `all announcements ${(lag.announcedAfterReturnMs / 1000).toFixed(1)} s after Slack's return`,
  );
  console.log(describeTakeoverBench(takeover));
  targets.push(
    {
      name: 'cleanup lag p99 with every Slack call failing (ms)',
      value: lag.slackDown.p99,
      target: `<= healthy p99 + 1 tick (${Math.round(lag.healthy.p99 + lag.tickMs)})`,
      ok: lag.slackDown.p99 <= lag.healthy.p99 + lag.tickMs,
    },
    {
      name: "announcements delivered after Slack's return (s)",
      value: lag.announcedAfterReturnMs / 1000,
      target: '< 60',
      ok: lag.announcedAfterReturnMs < 60_000,
    },
    {
      name: 'cleanup announcements per window',
      value: lag.announcementsPerWindow,
      target: '1',
      ok: lag.announcementsPerWindow === 1,
    },
    {
      // The cleanup's own time (its AWS calls, verification) comes on top: measured above, Slack healthy, p50.
      name: 'cleanup lag after the lease holder is killed, max (ms)',
      value: takeover.max,
      target: `<= lease + 1 tick + cleanup p50 (${Math.round(takeover.leaseMs + takeover.tickMs + lag.healthy.p50)})`,
      ok: takeover.max <= takeover.leaseMs + takeover.tickMs + lag.healthy.p50,
    },
  );
}

if (wanted('auditlag')) {
  const lag = await benchAuditLag();
  console.log(
    `cleanup lag while an org-wide audit of 1,000 accounts runs (150 req/s throttle, 20 ms per call, tick ${lag.tickMs} ms), ${lag.windows} windows: ` +
      `without the audit p50 ${lag.without.p50} ms, max ${lag.without.max} ms; during it p50 ${lag.during.p50} ms, max ${lag.during.max} ms ` +
      `(${lag.endedDuringAudit} of ${lag.windows} verified while it ran; audit ${lag.auditSeconds.toFixed(1)} s, ${lag.throttled} throttled answers)`,
  );
  targets.push(
    {
      name: 'cleanup lag max during an org-wide audit (ms)',
      value: lag.during.max,
      target: `<= 1 tick + lag max without it (${lag.tickMs + lag.without.max})`,
      ok: lag.during.max <= lag.tickMs + lag.without.max,
    },
    {
      name: 'windows whose cleanup verified while the audit ran',
      value: lag.endedDuringAudit,
      target: `${lag.windows}`,
      ok: lag.endedDuringAudit === lag.windows,
    },
  );
}

if (wanted('harden')) {
  const harden = await benchHarden();
  console.log(
    `bulk hardening, ${harden.accounts} accounts with root credentials (150 req/s throttle, 20 ms per call): ` +
      `second approval to closed ${harden.seconds.toFixed(2)} s; ${harden.awsCalls} AWS calls answered (+${harden.throttled} throttled answers); ` +
      `lower bound ${harden.lowerBoundSeconds.toFixed(2)} s; ${harden.verified} verified`,
  );
  targets.push(
    {
      name: 'bulk hardening time / throttle lower bound',
      value: harden.ratio,
      target: '<= 1.5x',
      ok: harden.ratio <= 1.5,
    },
    {
      name: 'bulk hardening accounts verified',
      value: harden.verified,
      target: `${harden.accounts}`,
      ok: harden.verified === harden.accounts,
    },
  );
}

if (wanted('auditall')) {
  const paths = await benchAuditPaths();
  console.log(
    `audit all, ${paths.accounts} accounts (500 req/s throttle, 20 ms per call): CLI path ${paths.cliSeconds.toFixed(2)} s, ` +
      `Slack path (signed command to CSV shared) ${paths.slackSeconds.toFixed(2)} s; CSV rows CLI ${paths.csvRowsCli}, Slack ${paths.csvRowsSlack}`,
  );
  targets.push(
    {
      name: 'audit all: Slack path time / CLI path time',
      value: paths.ratio,
      target: '<= 1.10',
      ok: paths.ratio <= 1.1,
    },
    {
      name: 'audit all: CSV rows, Slack = CLI = accounts',
      value: paths.csvRowsSlack,
      target: `${paths.accounts}`,
      ok: paths.csvRowsSlack === paths.accounts && paths.csvRowsCli === paths.accounts,
    },
  );
}

if (wanted('stores')) console.log(describeStoreBench(await benchStore()));

for (const t of targets) {
  console.log(`${t.ok ? 'PASS' : 'MISS'}  ${t.name}: ${Number(t.value.toFixed(2))} (target ${t.target})`);
}
process.exitCode = targets.every((t) => t.ok) ? 0 : 1;
// Child processes (fakes) are stopped; do not wait for lingering sockets.
process.exit(process.exitCode ?? 0);
