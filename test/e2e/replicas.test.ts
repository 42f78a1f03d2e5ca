/**
 * Two bot processes (src/main.ts) on one DynamoDB table, as two replicas in AWS:
 * approvals arriving at both execute the task once, a due cleanup runs once,
 * killing the replica that holds a cleanup's lease lets the other finish it
 * once the lease lapses, and every notice reaches Slack once.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import { jobKey } from '../../src/store/dynamodb/table.js';
import type { DynamoDbStore } from '../../src/store/dynamodb-store.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { APPROVER_A, APPROVER_B, APPROVER_GROUP, REQUESTER, waitFor } from '../support/bot-env.js';
import { modalValues } from '../support/bot-flows.js';
import { type BotProcess, startBotProcess } from '../support/bot-process.js';
import { freshDynamoStore, type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-env.js';

const LEASE_MS = 1000;
let local: LocalDynamoDb;
let aws: FakeAws;
let slack: FakeSlack;
let store: DynamoDbStore;
let children: ChildProcess[] = [];

beforeAll(async () => {
  local = await startLocalDynamoDb();
  aws = await FakeAws.start();
  seedMembers(aws, 4, 0);
  slack = await FakeSlack.start();
  slack.groups.set(APPROVER_GROUP, [APPROVER_B]);
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children = [];
  await store?.close();
});
afterAll(async () => {
  await slack.close();
  await aws.close();
  await local.close();
});

/** Two replicas on a fresh table: 2 s windows, 1 s leases, fast ticks. */
async function twoReplicas(): Promise<[BotProcess, BotProcess]> {
  store = await freshDynamoStore(local);
  const dbFile = join(mkdtempSync(join(tmpdir(), 'bg-replicas-')), 'unused.db');
  const env = {
    BREAKGLASS_STORE: 'dynamodb',
    BREAKGLASS_TABLE: store.table,
    AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
    BREAKGLASS_JOB_LEASE: '1s',
    BREAKGLASS_DURATIONS: '2s',
    BREAKGLASS_REMIND_BEFORE: '1s',
  };
  return Promise.all([
    startBotProcess(aws, slack, dbFile, env, children),
    startBotProcess(aws, slack, dbFile, env, children),
  ]);
}

async function requestOn(replica: BotProcess, account: string): Promise<BreakglassRequest> {
  await replica.client.viewSubmission(REQUESTER, {
    callback_id: 'bg_request',
    values: modalValues({ account, duration: '2', justification: 'two replicas' }),
  });
  return waitFor(
    'the request with its preview',
    async () => {
      const r = (await store.listRequests({ requesterId: REQUESTER, limit: 5 })).find(
        (s) => s.request.accountId === account,
      )?.request;
      return r?.preview?.status === 'ready' ? r : undefined;
    },
    20_000,
  );
}

const stateOf = async (id: string) => (await store.getRequest(id))?.request.state;
const audited = async (id: string, action: string) =>
  (await store.listAudit(id)).filter((e) => e.action === action).length;

/** Every notice of the request was sent, and Slack saw exactly one write per notice since `from`. */
async function deliveredOnce(request: BreakglassRequest, from: number): Promise<void> {
  const notices = await waitFor(
    'every notice delivered',
    async () => {
      // Click replies queue apart from the request's own notices.
      const all = [
        ...(await store.listDeliveries(request.id)),
        ...(await store.listDeliveries(`${request.id}:replies`)),
      ];
      return all.every((d) => d.status === 'sent') ? all : undefined;
    },
    20_000,
  );
  const writes = slack.calls.slice(from);
  const count = (to: string) => notices.filter((n) => n.delivery.to === to).length;
  const updates = count('update');
  const replies = count('reply');
  expect(writes.filter((c) => c.method === 'chat.update')).toHaveLength(updates);
  expect(writes.filter((c) => c.method === 'response_url')).toHaveLength(replies);
  expect(writes.filter((c) => c.method === 'chat.postMessage')).toHaveLength(
    notices.length - updates - replies,
  );
}

it('executes once when approvals arrive at both replicas at once, cleans up once, and delivers each notice once', async () => {
  const [one, two] = await twoReplicas();
  const slackFrom = slack.calls.length;
  const account = memberId(1);
  const request = await requestOn(one, account);
  const value = JSON.stringify({ id: request.id, h: request.contentHash });
  // Both approvers click on both replicas at the same moment (double clicks, two load-balanced paths).
  await Promise.all([
    one.client.blockAction(APPROVER_A, { action_id: 'bg_approve', value }),
    two.client.blockAction(APPROVER_B, { action_id: 'bg_approve', value }),
    two.client.blockAction(APPROVER_A, { action_id: 'bg_approve', value }),
    one.client.blockAction(APPROVER_B, { action_id: 'bg_approve', value }),
  ]);
  await waitFor(
    'the window to open',
    async () => ((await stateOf(request.id)) === 'active' ? true : undefined),
    20_000,
  );
  expect((await store.getRequest(request.id))?.request.approvals).toHaveLength(2);
  expect(aws.callsOf('CreateLoginProfile')).toHaveLength(1);
  expect(await audited(request.id, 'executed')).toBe(1);

  await waitFor(
    'the cleanup',
    async () => ((await stateOf(request.id)) === 'closed' ? true : undefined),
    20_000,
  );
  expect(await audited(request.id, 'cleanup verified')).toBe(1);
  expect(aws.callsOf('DeleteLoginProfile')).toHaveLength(1);
  expect(aws.account(account).root.loginProfile).toBeNull();
  await deliveredOnce(request, slackFrom);
});

it('finishes a cleanup whose replica was killed holding its lease, once the lease lapses', async () => {
  const replicas = await twoReplicas();
  const slackFrom = slack.calls.length;
  const account = memberId(2);
  const request = await requestOn(replicas[0], account);
  const value = JSON.stringify({ id: request.id, h: request.contentHash });
  await replicas[0].client.blockAction(APPROVER_A, { action_id: 'bg_approve', value });
  await replicas[1].client.blockAction(APPROVER_B, { action_id: 'bg_approve', value });
  await waitFor(
    'the window to open',
    async () => ((await stateOf(request.id)) === 'active' ? true : undefined),
    20_000,
  );

  // AWS now answers slowly: whichever replica claims the cleanup is still inside it, renewing its lease.
  aws.latencyMs = 60_000;
  const cleanupJob = async () =>
    (
      await store.context.doc.send(
        new GetCommand({ TableName: store.table, Key: jobKey(request.id, 'cleanup'), ConsistentRead: true }),
      )
    ).Item as { claimedBy?: string; claimedUntil?: number; attempts: number } | undefined;
  const claimed = await waitFor(
    'a replica to claim the cleanup',
    async () => {
      const job = await cleanupJob();
      return job?.claimedBy ? job : undefined;
    },
    20_000,
  );
  // A claim is named `<worker id>:<claim number>`: the worker id names the replica.
  const holder = replicas.find((r) => claimed.claimedBy?.startsWith(`${r.schedulerWorker}:`));
  const other = replicas.find((r) => r !== holder);
  if (!holder || !other) throw new Error(`no replica has worker ${claimed.claimedBy}`);
  await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
  // Held for two leases: the holder's heartbeat renewed it, and the other replica kept off.
  expect(await cleanupJob()).toMatchObject({ claimedBy: claimed.claimedBy, attempts: 1 });

  holder.child.kill('SIGKILL');
  await holder.exited;
  const leaseEnd = (await cleanupJob())?.claimedUntil ?? 0;
  aws.latencyMs = 0;
  await waitFor(
    'the other replica to finish',
    async () => ((await stateOf(request.id)) === 'closed' ? true : undefined),
    20_000,
  );
  const finishedAt = Date.now();
  // Not before the dead replica's lease ended, and soon after (lease + a tick or two, with slack for a busy machine).
  expect(finishedAt).toBeGreaterThan(leaseEnd);
  expect(finishedAt - leaseEnd).toBeLessThan(LEASE_MS + 5_000);
  expect(await audited(request.id, 'cleanup verified')).toBe(1);
  expect(aws.account(account).root.loginProfile).toBeNull();
  expect(other.child.exitCode).toBeNull();
  await deliveredOnce(request, slackFrom);
});
