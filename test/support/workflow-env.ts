import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { WorkflowSettings } from '../../src/workflow/core.js';
import { DeliveryWorker } from '../../src/workflow/delivery.js';
import type { BulkAudit } from '../../src/workflow/org-audits.js';
import { organizationAccounts } from '../../src/workflow/organization-accounts.js';
import type { PolicyRouting } from '../../src/workflow/policy-routing.js';
import type { Authorizer, RootTasks } from '../../src/workflow/ports.js';
import { Scheduler } from '../../src/workflow/scheduler.js';
import { BreakglassWorkflow } from '../../src/workflow/workflow.js';
import { seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from './fake-aws-env.js';
import { SwitchableAnnouncer } from './switchable-announcer.js';

export const REQUESTER = 'UREQUESTER';
export const APPROVER_A = 'UAPPROVERA';
export const APPROVER_B = 'UAPPROVERB';
export const OUTSIDER = 'UOUTSIDER';

export const SETTINGS: WorkflowSettings = {
  durationsSeconds: [1800, 3600, 7200],
  remindBeforeSeconds: 600,
  pendingTtlSeconds: 3600,
  cleanupRetryBaseMs: 30_000,
  dryRun: false,
};

export interface WorkflowEnv {
  aws: FakeAwsEnv;
  store: SqliteStore;
  dbFile: string;
  /** records what was said; can be taken down or made to refuse, as Slack can */
  announcer: SwitchableAnnouncer;
  workflow: BreakglassWorkflow;
  clock: { now: number };
  delivery: DeliveryWorker;
  /** run every job due at the current fake time, then deliver the notices they wrote */
  runDue(): Promise<void>;
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export const staticAuthorizer: Authorizer = {
  isApprover: async (userId) => userId === APPROVER_A || userId === APPROVER_B,
  mayRequest: async (userId) => userId !== OUTSIDER,
};

export async function startWorkflowEnv(
  options: {
    members?: number;
    /** the root tasks over the fake AWS (default: the real service, pausing for real) */
    tasks?: (aws: FakeAwsEnv) => RootTasks;
    settings?: Partial<WorkflowSettings>;
    /** org-wide audits' account-by-account reads (none: org-wide audits cannot run) */
    bulkAudit?: BulkAudit;
    /** told when a job is due now / notices were written (default: none, as in most tests) */
    wake?: () => void;
    wakeOutbox?: () => void;
    /** who approves and may request (default: staticAuthorizer) */
    auth?: Authorizer;
    /** approver routing from a policy file (default: none) */
    routing?: PolicyRouting;
    /** the workflow's logger (default: silent) */
    log?: Logger;
  } = {},
): Promise<WorkflowEnv> {
  const aws = await startFakeAwsEnv();
  seedMembers(aws.fake, options.members ?? 5, 0);
  const dbFile = join(mkdtempSync(join(tmpdir(), 'bg-wf-')), 'breakglass.db');
  const store = new SqliteStore(dbFile);
  const announcer = new SwitchableAnnouncer();
  const clock = { now: Date.parse('2026-11-26T10:00:00Z') };
  const workflow = new BreakglassWorkflow({
    store,
    tasks: options.tasks ? options.tasks(aws) : aws.service,
    accounts: organizationAccounts(aws.organization),
    auth: options.auth ?? staticAuthorizer,
    ...(options.routing ? { routing: options.routing } : {}),
    log: options.log ?? silentLogger,
    ...(options.bulkAudit ? { bulkAudit: options.bulkAudit } : {}),
    ...(options.wake ? { wake: options.wake } : {}),
    ...(options.wakeOutbox ? { wakeOutbox: options.wakeOutbox } : {}),
    settings: { ...SETTINGS, ...options.settings },
    now: () => clock.now,
  });
  const scheduler = new Scheduler(store, (job) => workflow.runJob(job), {
    tickMs: 1000,
    log: silentLogger,
    now: () => clock.now,
  });
  const delivery = new DeliveryWorker(store, announcer, {
    tickMs: 1000,
    log: silentLogger,
    now: () => clock.now,
    onDelivered: (item) => workflow.delivered(item),
    onUndeliverable: (item, error) => workflow.undeliverable(item, error),
  });
  // Jobs first, then the notices they wrote (which may, when refused, write more).
  const runDue = async () => {
    await scheduler.drain();
    await delivery.drain();
    await scheduler.drain();
    await delivery.drain();
  };
  return {
    aws,
    store,
    dbFile,
    announcer,
    workflow,
    clock,
    delivery,
    runDue,
    async advance(ms) {
      clock.now += ms;
      await runDue();
    },
    async close() {
      await store.close();
      await aws.close();
    },
  };
}
