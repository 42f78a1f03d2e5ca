/**
 * `npm run bench`: performance claims, each against a baseline measured in the same run.
 * Prints a table and the ratios the README records; exits non-zero when a target is missed.
 */
import { cpus, totalmem } from 'node:os';
import { benchOrgAudit } from './org-audit.js';

const concurrency = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}`);

const audit = await benchOrgAudit(concurrency);
const peakRssMb = process.resourceUsage().maxRSS / 1024;

const targets = [
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
  { name: 'peak RSS of the bench process (MB)', value: peakRssMb, target: '< 200', ok: peakRssMb < 200 },
];

console.log(
  `org audit: ${audit.accounts} accounts (${audit.withCredentials} with root credentials) in ${audit.seconds.toFixed(2)} s ` +
    `at concurrency ${audit.concurrency} (${audit.cpuSeconds.toFixed(1)} s CPU); ${audit.awsCalls} AWS calls (+${audit.throttled} throttled answers); ` +
    `lower bound ${audit.lowerBoundSeconds.toFixed(2)} s; sequential loop ${audit.baselineSeconds.toFixed(1)} s (scaled from 100)`,
);
for (const t of targets) {
  console.log(`${t.ok ? 'PASS' : 'MISS'}  ${t.name}: ${Number(t.value.toFixed(2))} (target ${t.target})`);
}
process.exitCode = targets.every((t) => t.ok) ? 0 : 1;
