/**
 * What the DynamoDB store does when DynamoDB cancels a transaction because
 * another one on the same items was in flight (`TransactionConflict`), or
 * answers with an error the store does not expect. The local server runs one
 * request at a time and never conflicts, so these answers are given by
 * DynamoDB's own error classes in place of the server's, before anything is
 * written, as DynamoDB leaves a cancelled transaction.
 */
import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Hardening } from '../../src/domain/harden.js';
import type { OrgAuditRun } from '../../src/domain/org-audit.js';
import type { DynamoDbStore } from '../../src/store/dynamodb-store.js';
import { freshDynamoStore, type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-env.js';
import { hardeningFixture, requestFixture as request } from '../support/fixtures.js';

let local: LocalDynamoDb;
beforeAll(async () => {
  local = await startLocalDynamoDb();
});
afterAll(() => local.close());

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
const conflict = () => cancelled('None', 'TransactionConflict');
const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'Rate of requests exceeds the allowed throughput',
    $metadata: {},
  });

let answerers = 0;
/**
 * From now on, the store's calls of `command` (`TransactWriteItemsCommand`,
 * `UpdateItemCommand`…) are answered by `answer` (called with the call's
 * number, from 1) when it returns an error, and reach the server otherwise.
 * Returns the count of calls made.
 */
function answerCalls(
  store: DynamoDbStore,
  command: string,
  answer: (n: number) => Error | undefined,
): { calls: number } {
  const seen = { calls: 0 };
  store.context.doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      seen.calls += 1;
      const error = answer(seen.calls);
      if (error) throw error;
      return next(args);
    },
    { step: 'initialize', name: `testAnswers${++answerers}` },
  );
  return seen;
}

function answerTransactions(
  store: DynamoDbStore,
  answer: (n: number) => Error | undefined,
): { calls: number } {
  return answerCalls(store, 'TransactWriteItemsCommand', answer);
}

const hardening = (id: string): Hardening => hardeningFixture(id);
const account = { accountId: '111111111111', name: 'acct', state: 'pending' as const, attempts: 0 };
const auditRun = (id: string): OrgAuditRun => ({
  id,
  requestedBy: 'U1',
  startedAt: 1_000,
  state: 'running',
  done: 0,
});

describe('dynamodb store under conflicting transactions', () => {
  let store: DynamoDbStore;
  beforeEach(async () => {
    store = await freshDynamoStore(local);
  });
  afterEach(() => store.close());

  it('writes a request change once after conflicts, with its jobs and notices', async () => {
    const seen = answerTransactions(store, (n) => (n <= 2 ? conflict() : undefined));
    await store.createRequest(request('BG-1'), {
      notify: [{ to: 'post' }],
      schedule: [{ kind: 'expire', dueAt: 100 }],
    });
    expect(seen.calls).toBe(3);
    expect(await store.getRequest('BG-1')).toMatchObject({ version: 1 });
    expect((await store.listDeliveries('BG-1')).map((d) => d.delivery.to)).toEqual(['post']);
    expect((await store.pendingJobs('BG-1')).map((j) => j.kind)).toEqual(['expire']);
  });

  it('gives up on a request change after ten conflicts, naming the request, and writes nothing', async () => {
    await store.createRequest(request('BG-1'));
    const seen = answerTransactions(store, () => conflict());
    await expect(store.updateRequest('BG-1', 1, request('BG-1', { state: 'denied' }))).rejects.toThrow(
      'request BG-1: gave up after 10 conflicting transactions',
    );
    expect(seen.calls).toBe(10);
    await expect(store.createRequest(request('BG-2'))).rejects.toThrow(
      'request BG-2: gave up after 10 conflicting transactions',
    );
    expect(await store.getRequest('BG-1')).toMatchObject({ version: 1, request: { state: 'pending' } });
    expect(await store.getRequest('BG-2')).toBeUndefined();
  });

  it('passes on an error that is not a cancelled transaction, and one cancelled by a job condition', async () => {
    await store.createRequest(request('BG-1'));
    answerTransactions(store, (n) =>
      n === 1 ? throttled() : n === 2 ? cancelled('None', 'ConditionalCheckFailed') : undefined,
    );
    await expect(store.updateRequest('BG-1', 1, request('BG-1', { state: 'denied' }))).rejects.toThrow(
      ProvisionedThroughputExceededException,
    );
    await expect(store.updateRequest('BG-1', 1, request('BG-1', { state: 'denied' }))).rejects.toThrow(
      TransactionCanceledException,
    );
    expect(await store.updateRequest('BG-1', 1, request('BG-1', { state: 'denied' }))).toBe(true);
  });

  it('names the hardening when its changes give up after conflicts', async () => {
    await store.createHardening(hardening('BH-1'), [account]);
    answerTransactions(store, () => conflict());
    await expect(store.updateHardening('BH-1', 1, hardening('BH-1'))).rejects.toThrow(
      'hardening BH-1: gave up after 10 conflicting transactions',
    );
    await expect(store.createHardening(hardening('BH-2'), [account])).rejects.toThrow(
      'hardening BH-2: gave up after 10 conflicting transactions',
    );
    expect(await store.getHardening('BH-2')).toBeUndefined();
  });

  it('enqueues notices once after conflicts, gives up after ten retries, and passes on other errors', async () => {
    await store.createRequest(request('BG-1'));
    let seen = answerTransactions(store, (n) => (n <= 3 ? conflict() : undefined));
    await store.enqueue('BG-1', [{ to: 'post' }]);
    expect(seen.calls).toBe(4);
    expect((await store.listDeliveries('BG-1')).map((d) => d.delivery.to)).toEqual(['post']);

    const forever = await freshDynamoStore(local);
    seen = answerTransactions(forever, () => conflict());
    await expect(forever.enqueue('BG-1', [{ to: 'update' }])).rejects.toThrow(TransactionCanceledException);
    expect(seen.calls).toBe(11);
    expect(await forever.listDeliveries('BG-1')).toEqual([]);

    seen = answerTransactions(store, (n) => (n === 1 ? throttled() : undefined));
    await expect(store.enqueue('BG-1', [{ to: 'update' }])).rejects.toThrow(
      ProvisionedThroughputExceededException,
    );
    expect(seen.calls).toBe(1);
    seen = answerTransactions(store, () => cancelled('ConditionalCheckFailed'));
    await expect(store.enqueue('BG-1', [{ to: 'update' }])).rejects.toThrow(TransactionCanceledException);
    expect(seen.calls).toBe(1);
    await forever.close();
  });

  it('starts and finishes an org-wide audit after conflicts, and gives up while they go on', async () => {
    let conflicts = 0;
    answerTransactions(store, () => {
      if (conflicts === 0) return undefined;
      conflicts -= 1;
      return conflict();
    });
    conflicts = 2;
    expect(await store.startOrgAudit(auditRun('OA-1'), [])).toEqual({ started: true });
    expect(await store.getOrgAudit('OA-1')).toMatchObject({ state: 'running' });
    conflicts = 2;
    expect(await store.finishOrgAudit('OA-1', 2_000, [{ to: 'audit-update' }])).toBe(true);
    expect(await store.getOrgAudit('OA-1')).toMatchObject({ state: 'done', finishedAt: 2_000 });
    expect((await store.listDeliveries('OA-1')).map((d) => d.delivery.to)).toEqual(['audit-update']);

    conflicts = 10;
    await expect(store.startOrgAudit(auditRun('OA-2'), [])).rejects.toThrow(
      'could not start an org-wide audit: the lock keeps changing',
    );
    expect(await store.getOrgAudit('OA-2')).toBeUndefined();
    conflicts = 0;
    expect(await store.startOrgAudit(auditRun('OA-3'), [])).toEqual({ started: true });
    conflicts = 10;
    await expect(store.finishOrgAudit('OA-3', 3_000, [])).rejects.toThrow(
      'org-wide audit OA-3: gave up after 10 conflicting transactions',
    );
    expect(conflicts).toBe(0);
    expect(await store.getOrgAudit('OA-3')).toMatchObject({ state: 'running' });
  });

  it('passes on an error that is not a cancelled transaction when starting or finishing an org-wide audit', async () => {
    let next: Error | undefined = throttled();
    answerTransactions(store, () => {
      const error = next;
      next = undefined;
      return error;
    });
    await expect(store.startOrgAudit(auditRun('OA-1'), [])).rejects.toThrow(
      ProvisionedThroughputExceededException,
    );
    expect(await store.startOrgAudit(auditRun('OA-1'), [])).toEqual({ started: true });
    next = throttled();
    await expect(store.finishOrgAudit('OA-1', 2_000, [])).rejects.toThrow(
      ProvisionedThroughputExceededException,
    );
    expect(await store.finishOrgAudit('OA-1', 2_000, [])).toBe(true);
  });

  it('passes on an error other than a lost condition met while claiming a job or a notice', async () => {
    await store.createRequest(request('BG-1'), {
      notify: [{ to: 'post' }],
      schedule: [{ kind: 'expire', dueAt: 10 }],
    });
    let next: Error | undefined;
    answerCalls(store, 'UpdateItemCommand', () => {
      const error = next;
      next = undefined;
      return error;
    });
    next = throttled();
    await expect(store.claimDueJob('w', 100, 60_000)).rejects.toThrow(ProvisionedThroughputExceededException);
    expect(await store.claimDueJob('w', 100, 60_000)).toMatchObject({ kind: 'expire' });
    next = throttled();
    await expect(store.claimDelivery('w', 100, 60_000)).rejects.toThrow(
      ProvisionedThroughputExceededException,
    );
    expect(await store.claimDelivery('w', 100, 60_000)).toMatchObject({ delivery: { to: 'post' } });
  });

  it('passes on an error other than a lost condition met while writing an audit entry', async () => {
    answerCalls(store, 'PutItemCommand', (n) => (n === 1 ? throttled() : undefined));
    const entry = { at: 1, requestId: 'BG-1', actor: 'U1', action: 'requested' };
    await expect(store.appendAudit(entry)).rejects.toThrow(ProvisionedThroughputExceededException);
    await store.appendAudit(entry);
    expect(await store.listAudit('BG-1')).toEqual([entry]);
  });
});
