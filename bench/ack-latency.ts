/**
 * Ack latency: slash commands and button clicks sent over loopback, 50 at a
 * time, to the bot running in its own process while every AWS call takes 2 s.
 * Baseline in the same run: how long the same commands take to get their real
 * answer, i.e. what Slack would wait for if the bot acked after the AWS work.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { contentHash } from '../src/domain/content-hash.js';
import type { BreakglassRequest } from '../src/domain/request.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { memberId } from '../test/fakes/aws/sample-org.js';
import {
  CHANNEL,
  type PreparedRequest,
  SIGNING_SECRET,
  SlackTestClient,
} from '../test/support/slack-client.js';
import { RawConnection, serialize } from './raw-http.js';

const AWS_LATENCY_MS = 2000;
const CONCURRENCY = 50;
const OPERATIONS = 1000;
const REQUESTS = OPERATIONS / 4;
const WARM_UP = 5;
const [APPROVER_A, APPROVER_B, REQUESTER] = ['UAPPROVERA1', 'UAPPROVERB1', 'UREQUESTER1'];

export interface AckBench {
  commandP50: number;
  commandP99: number;
  clickP50: number;
  clickP99: number;
  allP99: number;
  max: number;
  /** CPU time the bot spent per request during the load, and the load generator */
  botMsPerRequest: number;
  generatorMsPerRequest: number;
  answerAfterAwsP50: number;
  operations: number;
  botPeakRssMb: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function firstLine(child: ChildProcess, match: RegExp): Promise<RegExpExecArray> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const m = match.exec(line);
    if (m) return m;
  }
  throw new Error(`process ended before printing ${match}`);
}

/** Pending requests, already previewed, for the approve clicks. */
async function seedRequests(dbFile: string): Promise<BreakglassRequest[]> {
  const store = new SqliteStore(dbFile);
  const requests: BreakglassRequest[] = [];
  for (let i = 0; i < REQUESTS + WARM_UP; i++) {
    const draft: BreakglassRequest = {
      id: `BG-BENCH${String(i).padStart(3, '0')}`,
      requesterId: REQUESTER,
      accountId: memberId((i % 20) + 1),
      accountName: `workload-${i % 20}`,
      task: 'password-recovery',
      durationSeconds: 1800,
      justification: 'bench',
      createdAt: Date.now(),
      state: 'pending',
      approvals: [],
      preview: { status: 'ready', rootCredentials: 'no root credentials' },
      contentHash: '',
    };
    const request = { ...draft, contentHash: contentHash(draft) };
    await store.createRequest(request);
    await store.setMessage(request.id, { channel: CHANNEL, ts: `1800000000.${String(i).padStart(6, '0')}` });
    requests.push(request);
  }
  await store.close();
  return requests;
}

export async function benchAckLatency(): Promise<AckBench> {
  const fakeAws = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/fake-aws-process.ts', '20', String(AWS_LATENCY_MS), '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [awsUrl] = (await firstLine(fakeAws, /^(http:\S+)$/)) as unknown as [string];
  const fakeSlack = spawn(process.execPath, ['--import', 'tsx', 'bench/fake-slack-process.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [slackUrl] = (await firstLine(fakeSlack, /^(http:\S+)$/)) as unknown as [string];
  const slack = {
    url: slackUrl.trim(),
    apiUrl: `${slackUrl.trim()}/api/`,
    responseUrl: (id: string) => `${slackUrl.trim()}/response/${id}`,
  };
  const dbFile = join(mkdtempSync(join(tmpdir(), 'bg-bench-')), 'bench.db');
  const requests = await seedRequests(dbFile);
  // BENCH_BOT_PROFILE=<dir> writes a CPU profile of the bot (how the ack path was tuned).
  const profile = process.env.BENCH_BOT_PROFILE
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_BOT_PROFILE]
    : [];
  // The bot as it runs in production: the bundle from `npm run build`, plain node.
  execFileSync('npm', ['run', '-s', 'build']);
  const bot = spawn(process.execPath, [...profile, 'dist/main.js'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ENDPOINT_URL: awsUrl.trim(),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAFAKEOPERATOR0001',
      AWS_SECRET_ACCESS_KEY: 'fake-operator-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      BREAKGLASS_CHANNEL_ID: CHANNEL,
      BREAKGLASS_APPROVERS: `${APPROVER_A},${APPROVER_B}`,
      BREAKGLASS_DB: dbFile,
      LOG_LEVEL: 'info',
    },
  });
  try {
    const [, port] = await firstLine(bot, /"port":(\d+)/);
    // Keep reading the bot's log: a full pipe would block its (synchronous) logging, as a stuck log shipper would.
    bot.stdout?.resume();
    const client = new SlackTestClient(`http://127.0.0.1:${port}`, (id) => slack.responseUrl(id));

    // Warm-up, not measured: the first requests load code paths (SDK credential
    // chain, XML parser) once. Doubles as the baseline: a few audits one at a time,
    // each timed from the command to its answer, i.e. to the end of the AWS work
    // that an ack-after-AWS design would make Slack wait for.
    const baseline: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      await client.command(REQUESTER, `audit ${memberId(20 - i)}`, { responseId: `warm-${i}` });
      baseline.push((await answerOf(slack.url, `warm-${i}`)) - started);
      const extra = requests[REQUESTS + i] as BreakglassRequest;
      await client.blockAction(APPROVER_A, {
        action_id: 'bg_approve',
        value: JSON.stringify({ id: extra.id, h: extra.contentHash }),
      });
    }

    // A first burst of 50 at once, not measured either: it opens the connections
    // (to the bot, to Slack, to AWS) that a running bot keeps open.
    await Promise.all(Array.from({ length: CONCURRENCY }, () => client.command(REQUESTER, 'help')));
    await new Promise((r) => setTimeout(r, 1000));

    // Operations: audit commands (AWS after the ack) and approve clicks (the
    // second approval of a request starts its AWS task).
    // Built and signed before the clock starts, so the load generator stays light.
    const ops: { kind: 'command' | 'click'; request: PreparedRequest }[] = [];
    const collect = (kind: 'command' | 'click', build: () => Promise<unknown>) => {
      client.collect = [];
      void build();
      const [request] = client.collect;
      client.collect = undefined;
      if (request) ops.push({ kind, request });
    };
    for (let i = 0; i < OPERATIONS / 2; i++) {
      collect('command', () => client.command(REQUESTER, `audit ${memberId((i % 20) + 1)}`));
      const request = requests[i % REQUESTS] as BreakglassRequest;
      const approver = i < REQUESTS ? APPROVER_A : APPROVER_B;
      const value = JSON.stringify({ id: request.id, h: request.contentHash });
      collect('click', () => client.blockAction(approver, { action_id: 'bg_approve', value }));
    }
    const latency = { command: [] as number[], click: [] as number[] };
    let next = 0;
    const cpuOf = (pid: number | undefined) => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(f[11]) + Number(f[12])) * 10;
    };
    const cpu0 = {
      bot: cpuOf(bot.pid),
      slack: cpuOf(fakeSlack.pid),
      aws: cpuOf(fakeAws.pid),
      bench: process.cpuUsage(),
    };
    const host = `127.0.0.1:${port}`;
    const wire = ops.map((op) => ({
      kind: op.kind,
      bytes: serialize(host, { path: '/slack/events', ...op.request }),
    }));
    const connections = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => RawConnection.open(Number(port))),
    );
    // Connections first, then the clock: a running bot serves Slack over open
    // connections; 50 opened at once cost about 1 s on this machine (README).
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all(
      connections.map(async (connection) => {
        while (next < wire.length) {
          const op = wire[next++];
          if (!op) break;
          const started = performance.now();
          const status = await connection.send(op.bytes);
          if (status !== 200) throw new Error(`request answered ${status}`);
          latency[op.kind].push(performance.now() - started);
        }
        connection.close();
      }),
    );
    const generatorCpu = process.cpuUsage(cpu0.bench);
    const cpu = {
      botMsPerRequest: (cpuOf(bot.pid) - cpu0.bot) / OPERATIONS,
      generatorMsPerRequest: (generatorCpu.user + generatorCpu.system) / 1000 / OPERATIONS,
    };
    const rss = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${bot.pid}/status`, 'utf8'));
    return {
      commandP50: percentile(latency.command, 50),
      commandP99: percentile(latency.command, 99),
      clickP50: percentile(latency.click, 50),
      clickP99: percentile(latency.click, 99),
      allP99: percentile([...latency.command, ...latency.click], 99),
      max: percentile([...latency.command, ...latency.click], 100),
      ...cpu,
      answerAfterAwsP50: percentile(baseline, 50),
      operations: OPERATIONS,
      botPeakRssMb: Number(rss?.[1] ?? 0) / 1024,
    };
  } finally {
    bot.kill('SIGTERM');
    fakeAws.kill('SIGTERM');
    fakeSlack.kill('SIGTERM');
    await Promise.race([once(bot, 'exit'), new Promise((r) => setTimeout(r, 20_000))]);
  }
}

/** When the answer (after the AWS work) to the command with this response id arrived. */
async function answerOf(slackUrl: string, responseId: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const calls = (await (await fetch(`${slackUrl}/__fake/calls?method=response_url`)).json()) as {
      path: string;
      at: number;
      text?: string;
    }[];
    const answer = calls.find(
      (c) => c.path.endsWith(`/${responseId}`) && /^Root credentials of|^Audit failed/.test(String(c.text)),
    );
    if (answer) return answer.at;
    if (Date.now() > deadline) throw new Error(`no answer for ${responseId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
