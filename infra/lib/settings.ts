/**
 * The deployment's settings, read from CDK context (`cdk.json` or `-c key=value`)
 * and checked before anything is built: every problem is reported at once, one
 * line each, like the bot's own configuration.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ROOT_TASK_POLICIES, type RootTaskPolicy } from './contract.js';

export type NetworkMode = 'private' | 'public';

export interface BreakglassSettings {
  /** 12-digit account to deploy into (the management or IAM delegated administrator account); undefined: the CLI's */
  account: string | undefined;
  region: string | undefined;
  stackName: string;
  channelId: string;
  approvers: string[];
  requesters: string[];
  /** as the bot reads BREAKGLASS_DURATIONS, e.g. ["30m", "1h"] */
  durations: string[];
  /** the task policies the bot may open root sessions with; the role allows exactly these */
  taskPolicies: RootTaskPolicy[];
  desiredCount: 1 | 2;
  alarmEmail: string | undefined;
  /** Secrets Manager secret (name or full ARN) holding SLACK_BOT_TOKEN and SLACK_APP_TOKEN */
  slackSecret: string;
  /** private: private subnets behind one NAT gateway; public: public subnets, a public IP per task, no NAT */
  network: NetworkMode;
  logRetention: RetentionDays;
  /** true: a customer-managed KMS key (rotated) encrypts the table; false: the AWS-managed key */
  customerManagedKey: boolean;
  /** undelivered notices above this for 15 minutes raise the alarm */
  outboxBacklogThreshold: number;
  dryRun: boolean;
  protectedAccounts: string[];
  cpuArchitecture: 'X86_64' | 'ARM64';
  /** true: the settings still hold the example values shipped in cdk.json */
  usesExampleValues: boolean;
}

/** The example values shipped in cdk.json; synth warns while they are in use. */
export const EXAMPLE_CHANNEL_ID = 'C0EXAMPLE00';

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid breakglass context:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

type Read = (key: string) => unknown;

function list(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}

function bool(value: unknown, name: string, fallback: boolean, problems: string[]): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  problems.push(`${name} must be true or false (got "${String(value)}")`);
  return fallback;
}

function integer(value: unknown, name: string, fallback: number, problems: string[]): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) {
    problems.push(`${name} must be a whole number (got "${String(value)}")`);
    return fallback;
  }
  return n;
}

export function readSettings(read: Read): BreakglassSettings {
  const problems: string[] = [];

  const account = text(read('account'));
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    problems.push(`account must be a 12-digit AWS account id (got "${account}")`);
  }
  const region = text(read('region'));
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    problems.push(`region must be a region such as us-east-1 (got "${region}")`);
  }

  const channelId = text(read('channelId')) ?? '';
  if (!/^[CG][A-Z0-9]{2,}$/.test(channelId)) {
    problems.push(`channelId is required: the approvals channel id such as C0123ABCD (got "${channelId}")`);
  }

  const approvers = list(read('approvers'));
  const requesters = list(read('requesters'));
  for (const [name, ids] of [
    ['approvers', approvers],
    ['requesters', requesters],
  ] as const) {
    const bad = ids.filter((id) => !/^[UWS][A-Z0-9]{2,}$/.test(id));
    if (bad.length) {
      problems.push(`${name} takes Slack user ids (U…/W…) and user-group ids (S…); not: ${bad.join(', ')}`);
    }
  }
  if (approvers.length < 2 && !approvers.some((id) => id.startsWith('S'))) {
    problems.push(
      'approvers is required: two or more user ids, or a user group (two different people approve)',
    );
  }

  const durations = list(read('durations') ?? '30m,1h,2h,4h');
  const badDurations = durations.filter((d) => !/^\d+[smh]$/.test(d));
  if (!durations.length || badDurations.length) {
    problems.push(
      `durations takes a comma list such as 30m,1h,2h,4h; not: ${badDurations.join(', ') || '(empty)'}`,
    );
  }

  const taskPolicyNames = list(read('taskPolicies') ?? ROOT_TASK_POLICIES.join(',')).map((p) =>
    p.replace(/^arn:aws:iam::aws:policy\/root-task\//, ''),
  );
  const unknown = taskPolicyNames.filter((p) => !(ROOT_TASK_POLICIES as readonly string[]).includes(p));
  if (unknown.length) {
    problems.push(
      `taskPolicies takes names from ${ROOT_TASK_POLICIES.join(', ')}; not: ${unknown.join(', ')}`,
    );
  }
  const taskPolicies = ROOT_TASK_POLICIES.filter((p) => taskPolicyNames.includes(p));
  // The bot verifies every cleanup with an audit session, and a password grant is
  // cleaned up by deleting it: without these two it could grant and never clean up.
  if (!taskPolicies.includes('IAMAuditRootUserCredentials')) {
    problems.push('taskPolicies must include IAMAuditRootUserCredentials: every cleanup is verified with it');
  }
  if (
    taskPolicies.includes('IAMCreateRootUserPassword') &&
    !taskPolicies.includes('IAMDeleteRootUserCredentials')
  ) {
    problems.push(
      'taskPolicies with IAMCreateRootUserPassword must include IAMDeleteRootUserCredentials: the password is deleted when the window ends',
    );
  }

  const desiredCount = integer(read('desiredCount'), 'desiredCount', 1, problems);
  if (desiredCount !== 1 && desiredCount !== 2) {
    problems.push(`desiredCount must be 1 or 2 (got ${desiredCount})`);
  }

  const alarmEmail = text(read('alarmEmail'));
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    problems.push(`alarmEmail must be an email address (got "${alarmEmail}")`);
  }

  const slackSecret = text(read('slackSecret')) ?? 'breakglass/slack';

  const network = text(read('network')) ?? 'private';
  if (network !== 'private' && network !== 'public') {
    problems.push(`network must be private or public (got "${network}")`);
  }

  const retentionDays = integer(read('logRetentionDays'), 'logRetentionDays', 365, problems);
  const allowedRetention = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowedRetention.includes(retentionDays) || retentionDays === RetentionDays.INFINITE) {
    problems.push(
      `logRetentionDays must be one of CloudWatch's retention periods (e.g. 90, 365, 731); got ${retentionDays}`,
    );
  }

  const outboxBacklogThreshold = integer(
    read('outboxBacklogThreshold'),
    'outboxBacklogThreshold',
    20,
    problems,
  );
  if (outboxBacklogThreshold < 1) problems.push('outboxBacklogThreshold must be 1 or more');

  const protectedAccounts = list(read('protectedAccounts'));
  const badAccounts = protectedAccounts.filter((id) => !/^\d{12}$/.test(id));
  if (badAccounts.length) {
    problems.push(`protectedAccounts takes 12-digit account ids; not: ${badAccounts.join(', ')}`);
  }

  const cpuArchitecture = (text(read('cpuArchitecture')) ?? 'X86_64').toUpperCase();
  if (cpuArchitecture !== 'X86_64' && cpuArchitecture !== 'ARM64') {
    problems.push(`cpuArchitecture must be X86_64 or ARM64 (got "${cpuArchitecture}")`);
  }

  const stackName = text(read('stackName')) ?? 'Breakglass';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    problems.push(`stackName must be a CloudFormation stack name (got "${stackName}")`);
  }

  const customerManagedKey = bool(read('customerManagedKey'), 'customerManagedKey', false, problems);
  const dryRun = bool(read('dryRun'), 'dryRun', false, problems);

  if (problems.length) throw new SettingsError(problems);
  return {
    account,
    region,
    stackName,
    channelId,
    approvers,
    requesters,
    durations,
    taskPolicies,
    desiredCount: desiredCount as 1 | 2,
    alarmEmail,
    slackSecret,
    network: network as NetworkMode,
    logRetention: retentionDays as RetentionDays,
    customerManagedKey,
    outboxBacklogThreshold,
    dryRun,
    protectedAccounts,
    cpuArchitecture: cpuArchitecture as 'X86_64' | 'ARM64',
    usesExampleValues: channelId === EXAMPLE_CHANNEL_ID,
  };
}
