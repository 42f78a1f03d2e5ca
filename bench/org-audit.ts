/**
 * Org-wide audit benchmark: 1,000 member accounts (10% with root credentials),
 * fake AWS in another process answering after 20 ms, 500 requests/s in all.
 * Compares auditOrganization with the seed's sequential per-account CLI loop.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import {
  GetLoginProfileCommand,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  ListSigningCertificatesCommand,
} from '@aws-sdk/client-iam';
import { AwsClients } from '../src/aws/clients.js';
import { ABSENT, EvidenceLog } from '../src/aws/evidence.js';
import { auditOrganization, DEFAULT_AUDIT_CONCURRENCY } from '../src/aws/org-audit.js';
import { OrganizationDirectory } from '../src/aws/organization.js';
import { openRootSession } from '../src/aws/root-session.js';
import { RootTaskService } from '../src/aws/root-task-service.js';
import { awsSettingsFromEnv } from '../src/config/aws-settings.js';

const ACCOUNTS = 1000;
const BASELINE_ACCOUNTS = 100;
const LATENCY_MS = 20;
const THROTTLE = 500;

export interface OrgAuditBench {
  accounts: number;
  seconds: number;
  awsCalls: number;
  throttled: number;
  lowerBoundSeconds: number;
  baselineSeconds: number;
  speedup: number;
  ratioToLowerBound: number;
  failedAccounts: number;
  withCredentials: number;
  concurrency: number;
  /** CPU time the bot's process spent during the audit */
  cpuSeconds: number;
}

async function startFake(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/fake-aws-process.ts', String(ACCOUNTS), String(LATENCY_MS), String(THROTTLE)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { url: line.trim(), stop: () => child.kill('SIGTERM') };
}

async function stats(url: string): Promise<{ requests: number; throttled: number }> {
  return (await (await fetch(`${url}/__fake/stats`)).json()) as { requests: number; throttled: number };
}

/** The seed's loop: for each account, assume-root then the four list/get calls, one after another. */
async function sequentialLoop(clients: AwsClients, accountIds: string[]): Promise<number> {
  const started = performance.now();
  for (const id of accountIds) {
    const evidence = new EvidenceLog();
    const iam = (await openRootSession(clients, id, 'audit', evidence)).iam();
    await evidence.call('ListAccessKeys', () => iam.send(new ListAccessKeysCommand({})));
    await evidence.call('ListSigningCertificates', () => iam.send(new ListSigningCertificatesCommand({})));
    await evidence.call('ListMFADevices', () => iam.send(new ListMFADevicesCommand({})));
    await evidence.tolerate(ABSENT, 'GetLoginProfile', () => iam.send(new GetLoginProfileCommand({})));
  }
  return (performance.now() - started) / 1000;
}

export async function benchOrgAudit(concurrency = DEFAULT_AUDIT_CONCURRENCY): Promise<OrgAuditBench> {
  const fake = await startFake();
  try {
    const env = { AWS_ENDPOINT_URL: fake.url, AWS_REGION: 'us-east-1' };
    process.env.AWS_ENDPOINT_URL = fake.url;
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEOPERATOR0001';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake-operator-secret';
    const clients = new AwsClients(awsSettingsFromEnv(env));
    const organization = new OrganizationDirectory(clients);
    const service = new RootTaskService(clients, organization);
    const members = await organization.memberAccounts();

    const baselineSample = await sequentialLoop(
      clients,
      members.slice(0, BASELINE_ACCOUNTS).map((a) => a.id),
    );
    const baselineSeconds = (baselineSample * members.length) / BASELINE_ACCOUNTS;

    organization.refresh();
    const before = await stats(fake.url);
    const cpu0 = process.cpuUsage();
    const report = await auditOrganization(service, organization, { concurrency });
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const after = await stats(fake.url);
    clients.destroy();

    const throttled = after.throttled - before.throttled;
    const awsCalls = after.requests - before.requests - throttled;
    const seconds = report.durationMs / 1000;
    const lowerBoundSeconds = awsCalls / THROTTLE;
    return {
      accounts: report.accounts,
      seconds,
      awsCalls,
      throttled,
      lowerBoundSeconds,
      baselineSeconds,
      speedup: baselineSeconds / seconds,
      ratioToLowerBound: seconds / lowerBoundSeconds,
      failedAccounts: report.failed,
      withCredentials: report.withCredentials,
      concurrency,
      cpuSeconds,
    };
  } finally {
    fake.stop();
  }
}
