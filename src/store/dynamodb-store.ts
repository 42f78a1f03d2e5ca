/**
 * The DynamoDB store: the whole Store interface on one table, for several
 * replicas. Every decision is a conditional write; a request change and its
 * jobs and notices are one transaction. The table's design and its access
 * patterns are in dynamodb/table.ts; each concern has its own file beside it.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DriftRecord } from '../domain/drift.js';
import type { HardenAccount, Hardening } from '../domain/harden.js';
import type { Delivery } from '../domain/notice.js';
import type { OrgAuditRow, OrgAuditRun } from '../domain/org-audit.js';
import type { BreakglassRequest, RequestState } from '../domain/request.js';
import { DynamoAudit } from './dynamodb/audit.js';
import type { TableContext, WriteOp } from './dynamodb/context.js';
import { DynamoDrift } from './dynamodb/drift.js';
import { cancellationCodes, conflictPause } from './dynamodb/errors.js';
import { DynamoHardenings } from './dynamodb/hardenings.js';
import { DynamoJobs } from './dynamodb/jobs.js';
import { DynamoOrgAudits } from './dynamodb/org-audits.js';
import { DynamoOutbox, noticeWriteOps, reserveSequence } from './dynamodb/outbox.js';
import { DynamoRequests } from './dynamodb/requests.js';
import { checkTable, initTable, migrateForward } from './dynamodb/schema.js';
import { MAX_TRANSACTION_ITEMS } from './dynamodb/table.js';
import type {
  AuditEntry,
  DeliveryBacklog,
  DriftChange,
  Job,
  JobKind,
  OutboxItem,
  RequestEffects,
  Store,
  StoredHardening,
  StoredRequest,
} from './store.js';

export interface DynamoDbStoreOptions {
  table: string;
  /** SDK client settings (region, retries…); the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB */
  client?: DynamoDBClientConfig;
}

const MAX_CONFLICT_RETRIES = 10;

export class DynamoDbStore implements Store {
  private readonly t: TableContext;
  private readonly requests: DynamoRequests;
  private readonly jobs: DynamoJobs;
  private readonly outbox: DynamoOutbox;
  private readonly audit: DynamoAudit;
  private readonly orgAudits: DynamoOrgAudits;
  private readonly drift: DynamoDrift;
  private readonly hardenings: DynamoHardenings;

  private constructor(
    private readonly client: DynamoDBClient,
    table: string,
  ) {
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.t = { doc, name: table };
    this.requests = new DynamoRequests(this.t);
    this.jobs = new DynamoJobs(this.t);
    this.outbox = new DynamoOutbox(this.t);
    this.audit = new DynamoAudit(this.t);
    this.orgAudits = new DynamoOrgAudits(this.t);
    this.drift = new DynamoDrift(this.t);
    this.hardenings = new DynamoHardenings(this.t);
  }

  /**
   * Opens the store on an existing table: checks its keys and indexes, migrates
   * its schema forward. A missing table, a foreign one or a newer schema is a
   * StoreError with one line to act on.
   */
  static async open(options: DynamoDbStoreOptions): Promise<DynamoDbStore> {
    const store = new DynamoDbStore(new DynamoDBClient(options.client ?? {}), options.table);
    try {
      await checkTable(store.client, options.table);
      await migrateForward(store.t);
      return store;
    } catch (error) {
      store.client.destroy();
      throw error;
    }
  }

  /** Creates the table (indexes, TTL, schema version); false when it existed already. */
  static async initTable(options: DynamoDbStoreOptions): Promise<boolean> {
    const store = new DynamoDbStore(new DynamoDBClient(options.client ?? {}), options.table);
    try {
      return await initTable(store.client, store.t);
    } finally {
      store.client.destroy();
    }
  }

  get table(): string {
    return this.t.name;
  }

  createRequest(request: BreakglassRequest, effects?: RequestEffects): Promise<void> {
    return this.requests.create(request, effects);
  }

  getRequest(id: string): Promise<StoredRequest | undefined> {
    return this.requests.get(id);
  }

  updateRequest(
    id: string,
    expectedVersion: number,
    next: BreakglassRequest,
    effects?: RequestEffects,
  ): Promise<boolean> {
    return this.requests.update(id, expectedVersion, next, effects);
  }

  setMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    return this.requests.setMessage(id, message);
  }

  listRequests(filter: {
    states?: RequestState[];
    requesterId?: string;
    limit?: number;
  }): Promise<StoredRequest[]> {
    return this.requests.list(filter);
  }

  scheduleJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<void> {
    return this.jobs.schedule(job);
  }

  ensureJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<boolean> {
    return this.jobs.ensure(job);
  }

  expediteJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<boolean> {
    return this.jobs.expedite(job);
  }

  driftRecords(): Promise<DriftRecord[]> {
    return this.drift.records();
  }

  saveDrift(change: DriftChange, key: string, notify: Delivery[]): Promise<void> {
    return this.drift.save(change, key, notify);
  }

  cancelJobs(requestId: string, kinds?: JobKind[]): Promise<void> {
    return this.jobs.cancel(requestId, kinds);
  }

  claimDueJob(
    workerId: string,
    now: number,
    leaseMs: number,
    kinds?: readonly JobKind[],
  ): Promise<Job | undefined> {
    return this.jobs.claim(workerId, now, leaseMs, kinds);
  }

  renewClaim(id: string, workerId: string, until: number): Promise<boolean> {
    return this.jobs.renew(id, workerId, until);
  }

  completeJob(id: string, workerId: string): Promise<void> {
    return this.jobs.complete(id, workerId);
  }

  retryJob(id: string, dueAt: number, workerId?: string): Promise<void> {
    return this.jobs.retry(id, dueAt, workerId);
  }

  pendingJobs(requestId: string): Promise<Job[]> {
    return this.jobs.pending(requestId);
  }

  /** Appends notices after the request's last, in transactions of at most 100 items, in order. */
  async enqueue(requestId: string, deliveries: Delivery[]): Promise<void> {
    for (let start = 0; start < deliveries.length; start += MAX_TRANSACTION_ITEMS) {
      const chunk = deliveries.slice(start, start + MAX_TRANSACTION_ITEMS);
      const first = await reserveSequence(this.t, requestId, chunk.length);
      const puts = noticeWriteOps(this.t.name, requestId, first, chunk, Date.now());
      await this.transact(puts);
    }
  }

  /** A transaction of unconditional-by-design writes, tried again while another one on its items is in flight. */
  private async transact(items: WriteOp[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.t.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (attempt >= MAX_CONFLICT_RETRIES || !cancellationCodes(error)?.includes('TransactionConflict'))
          throw error;
        await conflictPause(attempt);
      }
    }
  }

  claimDelivery(workerId: string, now: number, leaseMs: number): Promise<OutboxItem | undefined> {
    return this.outbox.claim(workerId, now, leaseMs);
  }

  deliverySent(id: string, now: number): Promise<void> {
    return this.outbox.sent(id, now);
  }

  deliveryFailed(id: string, error: string, now: number): Promise<void> {
    return this.outbox.failed(id, error, now);
  }

  retryDelivery(id: string, at: number, error: string): Promise<void> {
    return this.outbox.retry(id, at, error);
  }

  deferTarget(target: string, until: number): Promise<void> {
    return this.outbox.defer(target, until);
  }

  deliveryBacklog(): Promise<DeliveryBacklog> {
    return this.outbox.backlog();
  }

  listDeliveries(
    requestId: string,
  ): Promise<(OutboxItem & { status: 'pending' | 'sent' | 'failed'; lastError?: string })[]> {
    return this.outbox.list(requestId);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.audit.append(entry);
  }

  listAudit(requestId?: string, limit = 500): Promise<AuditEntry[]> {
    return this.audit.list(requestId, limit);
  }

  startOrgAudit(
    run: OrgAuditRun,
    notify: Delivery[],
  ): Promise<{ started: true } | { started: false; running: OrgAuditRun }> {
    return this.orgAudits.start(run, notify);
  }

  getOrgAudit(id: string): Promise<OrgAuditRun | undefined> {
    return this.orgAudits.get(id);
  }

  recordOrgAuditRows(
    id: string,
    rows: OrgAuditRow[],
    progress: { total?: number },
    notify: Delivery[] = [],
  ): Promise<void> {
    return this.orgAudits.record(id, rows, progress, notify);
  }

  orgAuditRows(id: string): Promise<OrgAuditRow[]> {
    return this.orgAudits.rows(id);
  }

  finishOrgAudit(id: string, at: number, notify: Delivery[], error?: string): Promise<boolean> {
    return this.orgAudits.finish(id, at, notify, error);
  }

  setOrgAuditMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    return this.orgAudits.setMessage(id, message);
  }
  latestOrgAudit(): Promise<OrgAuditRun | undefined> {
    return this.orgAudits.latest();
  }

  createHardening(hardening: Hardening, accounts: HardenAccount[], effects?: RequestEffects): Promise<void> {
    return this.hardenings.create(hardening, accounts, effects);
  }

  getHardening(id: string): Promise<StoredHardening | undefined> {
    return this.hardenings.get(id);
  }

  updateHardening(
    id: string,
    expectedVersion: number,
    next: Hardening,
    effects?: RequestEffects,
  ): Promise<boolean> {
    return this.hardenings.update(id, expectedVersion, next, effects);
  }

  hardenAccounts(id: string): Promise<HardenAccount[]> {
    return this.hardenings.accounts(id);
  }

  putHardenAccounts(id: string, rows: HardenAccount[], notify?: Delivery[]): Promise<void> {
    return this.hardenings.putAccounts(id, rows, notify);
  }

  setHardeningMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    return this.hardenings.setMessage(id, message);
  }

  firstTime(key: string, now: number): Promise<boolean> {
    return this.audit.firstTime(key, now);
  }

  /** The table, for `breakglass migrate` (copies with its own keys). */
  get context(): TableContext {
    return this.t;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
