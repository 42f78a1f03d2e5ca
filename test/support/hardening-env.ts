/**
 * Bulk hardening in the workflow, over the fake AWS and a real SQLite store with
 * a controllable clock: the real BreakglassWorkflow with approver routing from a
 * policy file (or none), and `runJobs()` running every job due now.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPolicy, type Policy } from '../../src/domain/policy.js';
import { TASK_KINDS } from '../../src/domain/request.js';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Job } from '../../src/store/store.js';
import { organizationAccounts } from '../../src/workflow/organization-accounts.js';
import { PolicyRouting } from '../../src/workflow/policy-routing.js';
import type { Accounts, Authorizer, RootTasks } from '../../src/workflow/ports.js';
import { BreakglassWorkflow } from '../../src/workflow/workflow.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from './fake-aws-env.js';
import { SETTINGS } from './workflow-env.js';

export const PAYMENTS_LEAD = 'UPAYLEAD01';
export const BOTH_1 = 'UBOTH00001';
export const BOTH_2 = 'UBOTH00002';
export const DEFAULT_ONLY = 'UDEFAULT01';
export const REQUESTER = 'UREQUEST01';
export const ISLAND_1 = 'UISLAND001';
export const ISLAND_2 = 'UISLAND002';
export const SANDBOX_ONLY_REQUESTER = 'USANDREQ01';
/** may request nothing at all */
export const OUTSIDER = 'UOUTSIDE01';
/** matched by no account: accounts not listed by a rule need their OUs read */
export const OU_OF_RULE = 'ou-abcd-12345678';
/** under the rule "audit-only", which does not offer deleting root credentials */
export const AUDIT_ONLY_ACCOUNT = memberId(90);

function policy(): Policy {
  const checked = checkPolicy({
    version: 1,
    rules: [
      {
        name: 'payments',
        match: { accounts: [memberId(1)] },
        approvers: { users: [PAYMENTS_LEAD, BOTH_1, BOTH_2] },
      },
      {
        name: 'island',
        match: { accounts: [memberId(4)] },
        approvers: { users: [ISLAND_1, ISLAND_2] },
      },
      {
        name: 'sandbox',
        match: { accounts: [memberId(3)] },
        approvers: { users: [BOTH_1, BOTH_2] },
        requesters: { users: [SANDBOX_ONLY_REQUESTER] },
      },
      {
        name: 'audit-only',
        match: { accounts: [AUDIT_ONLY_ACCOUNT] },
        approvers: { users: [BOTH_1, BOTH_2] },
        tasks: ['password-recovery'],
      },
      {
        name: 'by-ou',
        match: { ous: [OU_OF_RULE] },
        approvers: { users: [BOTH_1, BOTH_2] },
      },
    ],
  });
  if (!checked.policy) throw new Error(checked.problems.join('; '));
  return checked.policy;
}

/** Users only: an approver list names its approvers; the outsider may request nothing. */
const auth: Authorizer = {
  isApprover: async (userId, approvers = [BOTH_1, BOTH_2, DEFAULT_ONLY]) => approvers.includes(userId),
  mayRequest: async (userId, requesters = []) =>
    userId !== OUTSIDER && (requesters.length === 0 || requesters.includes(userId)),
  people: async (ids) => [...ids],
};

export interface HardeningEnvOptions {
  /** wraps the root tasks over the fake AWS */
  wrap?: (tasks: RootTasks) => RootTasks;
  /** member accounts seeded (each with root credentials); default 4 */
  members?: number;
  /** false: no policy file (the configured approvers decide) */
  routing?: boolean;
  /** an account's OUs (default: none) */
  ancestors?: (accountId: string) => Promise<string[]>;
  /** a deployment that neither wakes its workers nor reads group members (no `wake`, `wakeOutbox`, `people`) */
  bare?: boolean;
  /** the organization's accounts (default: the fake's) */
  accounts?: (aws: FakeAwsEnv) => Accounts;
}

export type HardeningEnv = Awaited<ReturnType<typeof startHardeningEnv>>;

const open: { close(): Promise<void> }[] = [];

/** For afterEach: closes every environment started since. */
export async function closeHardeningEnvs(): Promise<void> {
  for (const env of open.splice(0)) await env.close();
}

export async function startHardeningEnv(options: HardeningEnvOptions = {}) {
  const aws = await startFakeAwsEnv();
  seedMembers(aws.fake, options.members ?? 4, 1);
  aws.fake.addAccount(AUDIT_ONLY_ACCOUNT, { name: 'audit-only' });
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bg-harden-')), 'breakglass.db'));
  open.push({
    async close() {
      await store.close();
      await aws.close();
    },
  });
  const clock = { now: Date.parse('2026-11-26T10:00:00Z') };
  /** how often the workflow woke the scheduler and the outbox */
  const wakes = { scheduler: 0, outbox: 0 };
  const routing =
    options.routing === false
      ? undefined
      : new PolicyRouting(
          policy(),
          {
            approvers: [BOTH_1, BOTH_2, DEFAULT_ONLY],
            requesters: [],
            durationsSeconds: [1800],
            tasks: TASK_KINDS,
          },
          options.ancestors ?? (async () => []),
        );
  const workflow = new BreakglassWorkflow({
    store,
    tasks: (options.wrap ?? ((tasks) => tasks))(aws.service),
    accounts: options.accounts ? options.accounts(aws) : organizationAccounts(aws.organization),
    auth: options.bare ? { isApprover: auth.isApprover, mayRequest: auth.mayRequest } : auth,
    log: silentLogger,
    ...(routing ? { routing } : {}),
    settings: SETTINGS,
    now: () => clock.now,
    ...(options.bare
      ? {}
      : {
          wake: () => {
            wakes.scheduler++;
          },
          wakeOutbox: () => {
            wakes.outbox++;
          },
        }),
  });
  /** Runs every job due now (again when one is retried for now); what each returned, in order. */
  const runJobs = async () => {
    const ran: { kind: Job['kind']; retryAt: number | undefined }[] = [];
    for (;;) {
      const job = await store.claimDueJob('w', clock.now, 60_000);
      if (!job) return ran;
      const { retryAt } = await workflow.runJob(job);
      ran.push({ kind: job.kind, retryAt });
      if (retryAt !== undefined) await store.retryJob(job.id, retryAt, 'w');
      else await store.completeJob(job.id, 'w');
    }
  };
  /** The open job of a kind (to run it by hand, or see when it is due). */
  const jobOf = async (id: string, kind: Job['kind']) => {
    const job = (await store.pendingJobs(id)).find((j) => j.kind === kind);
    if (!job) throw new Error(`no ${kind} job for ${id}`);
    return job;
  };
  return { aws, fake: aws.fake, workflow, clock, runJobs, store, wakes, jobOf };
}
