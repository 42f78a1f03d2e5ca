/**
 * SQLite store (better-sqlite3, WAL). Safe for several processes on one file:
 * decisions are single-statement compare-and-sets, and SQLite serializes writers.
 * Job and notice ids are the tables' integer keys, as decimal strings.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DriftRecord } from '../domain/drift.js';
import type { HardenAccount, Hardening } from '../domain/harden.js';
import { type Delivery, deliveryTarget } from '../domain/notice.js';
import type { OrgAuditRow, OrgAuditRun } from '../domain/org-audit.js';
import type { BreakglassRequest, RequestState } from '../domain/request.js';
import type { AuditRow, JobRow, OutboxRow, RequestRow } from './sqlite-rows.js';
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
import { newerSchemaError } from './store-error.js';

/**
 * Schema version 1: the tables below. Databases from before versioning have
 * user_version 0 and the same tables (every statement is IF NOT EXISTS).
 */
const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  requester_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  message_channel TEXT,
  message_ts TEXT
);
CREATE INDEX IF NOT EXISTS requests_state ON requests(state, created_at);
CREATE INDEX IF NOT EXISTS requests_requester ON requests(requester_id, created_at);

CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT,
  claimed_until INTEGER,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(done, due_at);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_one_open_per_kind ON jobs(request_id, kind) WHERE done = 0;

CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  request_id TEXT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT
);
CREATE INDEX IF NOT EXISTS audit_request ON audit(request_id, id);
-- The audit trail is append-only.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;

-- Notices for Slack, written with the state change that caused them; delivered in id order per request.
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  delivery TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  next_at INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT,
  claimed_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  done_at INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status, request_id, id);
CREATE INDEX IF NOT EXISTS outbox_target ON outbox(target, status);

CREATE TABLE IF NOT EXISTS seen_keys (
  key TEXT PRIMARY KEY,
  at INTEGER NOT NULL
);
`;

/** Schema version 2: org-wide audits (one running at a time) and their rows, one per account. */
const SCHEMA_V2 = `
CREATE TABLE IF NOT EXISTS org_audits (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  body TEXT NOT NULL
);
-- At most one running audit, whichever process starts it.
CREATE UNIQUE INDEX IF NOT EXISTS org_audits_one_running ON org_audits(state) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS org_audit_rows (
  audit_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (audit_id, account_id)
);
`;

/** Schema version 3: drift records, one per account with root credentials outside a window. */
const SCHEMA_V3 = `
CREATE TABLE IF NOT EXISTS drift (
  account_id TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
`;

/** Schema version 4: bulk hardenings and their accounts, one row per account. */
const SCHEMA_V4 = `
CREATE TABLE IF NOT EXISTS hardenings (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  message_channel TEXT,
  message_ts TEXT
);
CREATE TABLE IF NOT EXISTS harden_accounts (
  hardening_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (hardening_id, account_id)
);
`;

/**
 * Forward migrations, in order: entry i takes a database from `user_version` i
 * to i + 1. Append, never edit: a database is never migrated backward.
 */
const MIGRATIONS: ((db: Database.Database) => void)[] = [
  (db) => db.exec(SCHEMA_V1),
  (db) => db.exec(SCHEMA_V2),
  (db) => db.exec(SCHEMA_V3),
  (db) => db.exec(SCHEMA_V4),
];

/** The schema version this code writes (`PRAGMA user_version`). */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database up to SQLITE_SCHEMA_VERSION; refuses a newer one. */
function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SQLITE_SCHEMA_VERSION) {
    db.close();
    throw newerSchemaError(`the SQLite database ${file}`, version, SQLITE_SCHEMA_VERSION);
  }
  for (let v = version; v < SQLITE_SCHEMA_VERSION; v++) {
    db.transaction(() => {
      MIGRATIONS[v]?.(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(file: string) {
    // Stryker disable next-line ConditionalExpression,StringLiteral: for ':memory:' the directory is '.', which exists
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db, file);
  }

  /** Statements are compiled once and reused: every Slack click and every job runs several. */
  private readonly statements = new Map<string, Database.Statement>();

  private prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.statements.get(sql);
    // Stryker disable next-line ConditionalExpression: compiling again gives the same statement, only slower
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  async createRequest(request: BreakglassRequest, effects?: RequestEffects): Promise<void> {
    this.db.transaction(() => {
      this.prepare(
        'INSERT INTO requests (id, state, requester_id, created_at, version, body) VALUES (?, ?, ?, ?, 1, ?)',
      ).run(request.id, request.state, request.requesterId, request.createdAt, JSON.stringify(request));
      this.applyEffects(request.id, effects);
    })();
  }

  async getRequest(id: string): Promise<StoredRequest | undefined> {
    const row = this.prepare<[string], RequestRow>(
      'SELECT body, version, message_channel, message_ts FROM requests WHERE id = ?',
    ).get(id);
    return row ? toStored(row) : undefined;
  }

  async updateRequest(
    id: string,
    expectedVersion: number,
    next: BreakglassRequest,
    effects?: RequestEffects,
  ): Promise<boolean> {
    // The request change and its jobs commit together: a crash cannot leave an approved request without its job.
    return this.db
      .transaction(() => {
        const result = this.prepare(
          'UPDATE requests SET state = ?, body = ?, version = version + 1 WHERE id = ? AND version = ?',
        ).run(next.state, JSON.stringify(next), id, expectedVersion);
        if (result.changes !== 1) return false;
        this.applyEffects(id, effects);
        return true;
      })
      .immediate();
  }

  private applyEffects(requestId: string, effects: RequestEffects | undefined): void {
    if (effects?.cancel?.length) this.cancelJobsSync(requestId, effects.cancel);
    for (const job of effects?.schedule ?? []) this.scheduleJobSync({ requestId, ...job });
    this.enqueueSync(requestId, effects?.notify ?? []);
  }

  private enqueueSync(requestId: string, deliveries: Delivery[]): void {
    const insert = this.prepare(
      'INSERT INTO outbox (request_id, target, kind, delivery, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    for (const d of deliveries) insert.run(requestId, deliveryTarget(d), d.to, JSON.stringify(d), now);
  }

  async enqueue(requestId: string, deliveries: Delivery[]): Promise<void> {
    this.db.transaction(() => this.enqueueSync(requestId, deliveries))();
  }

  async claimDelivery(workerId: string, now: number, leaseMs: number): Promise<OutboxItem | undefined> {
    // The head of each request's queue only: a thread reply never overtakes the post it replies to.
    const row = this.prepare<[{ worker: string; until: number; now: number }], OutboxItemRow>(
      `UPDATE outbox SET claimed_by = @worker, claimed_until = @until, attempts = attempts + 1
         WHERE id = (
           SELECT o.id FROM outbox o
           WHERE o.status = 'pending' AND o.next_at <= @now
             AND (o.claimed_until IS NULL OR o.claimed_until < @now)
             AND NOT EXISTS (
               SELECT 1 FROM outbox p WHERE p.request_id = o.request_id AND p.status = 'pending' AND p.id < o.id
             )
           ORDER BY o.id LIMIT 1
         )
         RETURNING id, request_id, delivery, attempts, created_at, last_error`,
    ).get({ worker: workerId, until: now + leaseMs, now });
    return row ? toOutboxItem(row) : undefined;
  }

  async deliverySent(id: string, now: number): Promise<void> {
    this.prepare("UPDATE outbox SET status = 'sent', done_at = ?, claimed_by = NULL WHERE id = ?").run(
      now,
      Number(id),
    );
  }

  async deliveryFailed(id: string, error: string, now: number): Promise<void> {
    this.prepare(
      "UPDATE outbox SET status = 'failed', last_error = ?, done_at = ?, claimed_by = NULL WHERE id = ?",
    ).run(error, now, Number(id));
  }

  async retryDelivery(id: string, at: number, error: string): Promise<void> {
    this.prepare(
      "UPDATE outbox SET next_at = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND status = 'pending'",
    ).run(at, error, Number(id));
  }

  async deferTarget(target: string, until: number): Promise<void> {
    this.prepare("UPDATE outbox SET next_at = MAX(next_at, ?) WHERE target = ? AND status = 'pending'").run(
      until,
      target,
    );
  }

  async deliveryBacklog(): Promise<DeliveryBacklog> {
    const row = this.prepare<[], { pending: number; oldest: number | null }>(
      "SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'",
    ).get();
    // Stryker disable next-line OptionalChaining,LogicalOperator: COUNT(*) always answers one row
    return row?.oldest ? { pending: row.pending, oldestAt: row.oldest } : { pending: row?.pending ?? 0 };
  }

  async listDeliveries(
    requestId: string,
  ): Promise<(OutboxItem & { status: 'pending' | 'sent' | 'failed'; lastError?: string })[]> {
    return this.prepare<[string], OutboxItemRow & Pick<OutboxRow, 'status'>>(
      'SELECT id, request_id, delivery, attempts, created_at, status, last_error FROM outbox WHERE request_id = ? ORDER BY id',
    )
      .all(requestId)
      .map((row) => ({
        ...toOutboxItem(row),
        status: row.status,
        ...(row.last_error ? { lastError: row.last_error } : {}),
      }));
  }

  async setMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    this.prepare('UPDATE requests SET message_channel = ?, message_ts = ? WHERE id = ?').run(
      message.channel,
      message.ts,
      id,
    );
  }

  async listRequests(filter: {
    states?: RequestState[];
    requesterId?: string;
    limit?: number;
  }): Promise<StoredRequest[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
      params.push(...filter.states);
    }
    if (filter.requesterId) {
      where.push('requester_id = ?');
      params.push(filter.requesterId);
    }
    const sql =
      'SELECT body, version, message_channel, message_ts FROM requests' +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY created_at DESC LIMIT ?';
    params.push(filter.limit ?? 50);
    return this.prepare<(string | number)[], RequestRow>(sql)
      .all(...params)
      .map(toStored);
  }

  async scheduleJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<void> {
    this.scheduleJobSync(job);
  }

  private scheduleJobSync(job: { requestId: string; kind: JobKind; dueAt: number }): void {
    // One open job per request and kind: rescheduling (e.g. an extension) moves it.
    this.prepare(
      `INSERT INTO jobs (request_id, kind, due_at) VALUES (?, ?, ?)
         ON CONFLICT (request_id, kind) WHERE done = 0 DO UPDATE SET due_at = excluded.due_at, claimed_by = NULL, claimed_until = NULL`,
    ).run(job.requestId, job.kind, job.dueAt);
  }

  async ensureJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<boolean> {
    // The unique index on open jobs decides between replicas: the first insert wins, the rest change nothing.
    const result = this.prepare(
      `INSERT INTO jobs (request_id, kind, due_at) VALUES (?, ?, ?)
         ON CONFLICT (request_id, kind) WHERE done = 0 DO NOTHING`,
    ).run(job.requestId, job.kind, job.dueAt);
    return result.changes === 1;
  }

  async expediteJob(job: { requestId: string; kind: JobKind; dueAt: number }): Promise<boolean> {
    return (
      this.prepare(
        `UPDATE jobs SET due_at = ?
           WHERE request_id = ? AND kind = ? AND done = 0 AND claimed_by IS NULL AND due_at > ?`,
      ).run(job.dueAt, job.requestId, job.kind, job.dueAt).changes === 1
    );
  }

  async driftRecords(): Promise<DriftRecord[]> {
    return this.prepare<[], { body: string }>('SELECT body FROM drift ORDER BY account_id')
      .all()
      .map((r) => JSON.parse(r.body) as DriftRecord);
  }

  async saveDrift(change: DriftChange, key: string, notify: Delivery[]): Promise<void> {
    this.db
      .transaction(() => {
        if ('record' in change)
          this.prepare(
            'INSERT INTO drift (account_id, body) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET body = excluded.body',
          ).run(change.record.accountId, JSON.stringify(change.record));
        else this.prepare('DELETE FROM drift WHERE account_id = ?').run(change.resolved);
        this.enqueueSync(key, notify);
      })
      .immediate();
  }

  async cancelJobs(requestId: string, kinds?: JobKind[]): Promise<void> {
    this.cancelJobsSync(requestId, kinds);
  }

  private cancelJobsSync(requestId: string, kinds?: JobKind[]): void {
    if (kinds?.length) {
      this.prepare(
        `UPDATE jobs SET done = 1 WHERE request_id = ? AND done = 0 AND kind IN (${kinds.map(() => '?').join(', ')})`,
      ).run(requestId, ...kinds);
    } else {
      this.prepare('UPDATE jobs SET done = 1 WHERE request_id = ? AND done = 0').run(requestId);
    }
  }

  /** Cleanups first: an overdue preview or execute never delays closing a window. */
  async claimDueJob(
    workerId: string,
    now: number,
    leaseMs: number,
    kinds?: readonly JobKind[],
  ): Promise<Job | undefined> {
    // Kinds are a fixed vocabulary (JobKind), bound as parameters all the same.
    const only = kinds ? `AND kind IN (${kinds.map(() => '?').join(', ') || 'NULL'})` : '';
    const row = this.prepare<(string | number)[], JobRow>(
      `UPDATE jobs SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
         WHERE id = (
           SELECT id FROM jobs
           WHERE done = 0 AND due_at <= ? AND (claimed_until IS NULL OR claimed_until < ?) ${only}
           ORDER BY kind = 'cleanup' DESC, due_at LIMIT 1
         )
         RETURNING id, request_id, kind, due_at, attempts`,
    ).get(workerId, now + leaseMs, now, now, ...(kinds ?? []));
    return row ? toJob(row) : undefined;
  }

  async renewClaim(id: string, workerId: string, until: number): Promise<boolean> {
    return (
      this.prepare('UPDATE jobs SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND done = 0').run(
        until,
        Number(id),
        workerId,
      ).changes === 1
    );
  }

  async completeJob(id: string, workerId: string): Promise<void> {
    this.prepare('UPDATE jobs SET done = 1 WHERE id = ? AND claimed_by = ?').run(Number(id), workerId);
  }

  async retryJob(id: string, dueAt: number, workerId?: string): Promise<void> {
    this.prepare(
      `UPDATE jobs SET due_at = ?, claimed_by = NULL, claimed_until = NULL
         WHERE id = ? AND done = 0 AND (? IS NULL OR claimed_by = ?)`,
    ).run(dueAt, Number(id), workerId ?? null, workerId ?? null);
  }

  async pendingJobs(requestId: string): Promise<Job[]> {
    return this.prepare<[string], JobRow>(
      'SELECT id, request_id, kind, due_at, attempts FROM jobs WHERE request_id = ? AND done = 0 ORDER BY due_at',
    )
      .all(requestId)
      .map(toJob);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.prepare('INSERT INTO audit (at, request_id, actor, action, details) VALUES (?, ?, ?, ?, ?)').run(
      entry.at,
      entry.requestId ?? null,
      entry.actor,
      entry.action,
      entry.details ? JSON.stringify(entry.details) : null,
    );
  }

  async listAudit(requestId?: string, limit = 500): Promise<AuditEntry[]> {
    const rows = requestId
      ? this.prepare<[string, number], AuditEntryRow>(
          'SELECT at, request_id, actor, action, details FROM audit WHERE request_id = ? ORDER BY id LIMIT ?',
        ).all(requestId, limit)
      : this.prepare<[number], AuditEntryRow>(
          'SELECT at, request_id, actor, action, details FROM audit ORDER BY id DESC LIMIT ?',
        ).all(limit);
    return rows.map((r) => ({
      at: r.at,
      actor: r.actor,
      action: r.action,
      ...(r.request_id ? { requestId: r.request_id } : {}),
      ...(r.details ? { details: JSON.parse(r.details) as Record<string, unknown> } : {}),
    }));
  }

  async startOrgAudit(
    run: OrgAuditRun,
    notify: Delivery[],
  ): Promise<{ started: true } | { started: false; running: OrgAuditRun }> {
    return this.db
      .transaction((): { started: true } | { started: false; running: OrgAuditRun } => {
        const running = this.prepare<[], { body: string }>(
          "SELECT body FROM org_audits WHERE state = 'running'",
        ).get();
        if (running) return { started: false, running: JSON.parse(running.body) as OrgAuditRun };
        this.prepare('INSERT INTO org_audits (id, state, body) VALUES (?, ?, ?)').run(
          run.id,
          run.state,
          JSON.stringify(run),
        );
        this.applyEffects(run.id, { schedule: [{ kind: 'org-audit', dueAt: run.startedAt }], notify });
        return { started: true };
      })
      .immediate();
  }

  async getOrgAudit(id: string): Promise<OrgAuditRun | undefined> {
    const row = this.prepare<[string], { body: string }>('SELECT body FROM org_audits WHERE id = ?').get(id);
    return row ? (JSON.parse(row.body) as OrgAuditRun) : undefined;
  }

  async recordOrgAuditRows(
    id: string,
    rows: OrgAuditRow[],
    progress: { total?: number },
    notify: Delivery[] = [],
  ): Promise<void> {
    this.db
      .transaction(() => {
        const put = this.prepare(
          'INSERT INTO org_audit_rows (audit_id, account_id, body) VALUES (?, ?, ?) ON CONFLICT (audit_id, account_id) DO UPDATE SET body = excluded.body',
        );
        for (const row of rows) put.run(id, row.accountId, JSON.stringify(row));
        const run = this.getOrgAuditSync(id);
        if (!run) return;
        const done = this.prepare<[string], { n: number }>(
          'SELECT COUNT(*) AS n FROM org_audit_rows WHERE audit_id = ?',
        ).get(id)?.n;
        const next: OrgAuditRun = {
          ...run,
          done: done ?? run.done,
          ...(progress.total !== undefined ? { total: progress.total } : {}),
        };
        this.prepare('UPDATE org_audits SET body = ? WHERE id = ?').run(JSON.stringify(next), id);
        this.enqueueSync(id, notify);
      })
      .immediate();
  }

  private getOrgAuditSync(id: string): OrgAuditRun | undefined {
    const row = this.prepare<[string], { body: string }>('SELECT body FROM org_audits WHERE id = ?').get(id);
    return row ? (JSON.parse(row.body) as OrgAuditRun) : undefined;
  }

  async orgAuditRows(id: string): Promise<OrgAuditRow[]> {
    return this.prepare<[string], { body: string }>(
      'SELECT body FROM org_audit_rows WHERE audit_id = ? ORDER BY account_id',
    )
      .all(id)
      .map((r) => JSON.parse(r.body) as OrgAuditRow);
  }

  async finishOrgAudit(id: string, at: number, notify: Delivery[], error?: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const run = this.getOrgAuditSync(id);
        if (run?.state !== 'running') return false;
        const next: OrgAuditRun = { ...run, state: 'done', finishedAt: at, ...(error ? { error } : {}) };
        this.prepare("UPDATE org_audits SET state = 'done', body = ? WHERE id = ? AND state = 'running'").run(
          JSON.stringify(next),
          id,
        );
        this.enqueueSync(id, notify);
        return true;
      })
      .immediate();
  }

  async setOrgAuditMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    this.db
      .transaction(() => {
        const run = this.getOrgAuditSync(id);
        if (!run) return;
        this.prepare('UPDATE org_audits SET body = ? WHERE id = ?').run(
          JSON.stringify({ ...run, message }),
          id,
        );
      })
      .immediate();
  }

  async latestOrgAudit(): Promise<OrgAuditRun | undefined> {
    const row = this.prepare<[], { body: string }>(
      "SELECT body FROM org_audits WHERE state = 'done' ORDER BY json_extract(body, '$.finishedAt') DESC LIMIT 1",
    ).get();
    return row ? (JSON.parse(row.body) as OrgAuditRun) : undefined;
  }

  async createHardening(
    hardening: Hardening,
    accounts: HardenAccount[],
    effects?: RequestEffects,
  ): Promise<void> {
    this.db.transaction(() => {
      this.prepare('INSERT INTO hardenings (id, version, body) VALUES (?, 1, ?)').run(
        hardening.id,
        JSON.stringify(hardening),
      );
      this.putHardenAccountsSync(hardening.id, accounts);
      this.applyEffects(hardening.id, effects);
    })();
  }

  async getHardening(id: string): Promise<StoredHardening | undefined> {
    const row = this.prepare<
      [string],
      { body: string; version: number; message_channel: string | null; message_ts: string | null }
    >('SELECT body, version, message_channel, message_ts FROM hardenings WHERE id = ?').get(id);
    if (!row) return undefined;
    return {
      hardening: JSON.parse(row.body) as Hardening,
      version: row.version,
      ...(row.message_channel && row.message_ts
        ? { message: { channel: row.message_channel, ts: row.message_ts } }
        : {}),
    };
  }

  async updateHardening(
    id: string,
    expectedVersion: number,
    next: Hardening,
    effects?: RequestEffects,
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        const result = this.prepare(
          'UPDATE hardenings SET body = ?, version = version + 1 WHERE id = ? AND version = ?',
        ).run(JSON.stringify(next), id, expectedVersion);
        if (result.changes !== 1) return false;
        this.applyEffects(id, effects);
        return true;
      })
      .immediate();
  }

  async hardenAccounts(id: string): Promise<HardenAccount[]> {
    return this.prepare<[string], { body: string }>(
      'SELECT body FROM harden_accounts WHERE hardening_id = ? ORDER BY account_id',
    )
      .all(id)
      .map((r) => JSON.parse(r.body) as HardenAccount);
  }

  async putHardenAccounts(id: string, rows: HardenAccount[], notify: Delivery[] = []): Promise<void> {
    this.db.transaction(() => {
      this.putHardenAccountsSync(id, rows);
      this.enqueueSync(id, notify);
    })();
  }

  private putHardenAccountsSync(id: string, rows: HardenAccount[]): void {
    const put = this.prepare(
      'INSERT INTO harden_accounts (hardening_id, account_id, body) VALUES (?, ?, ?) ON CONFLICT (hardening_id, account_id) DO UPDATE SET body = excluded.body',
    );
    for (const row of rows) put.run(id, row.accountId, JSON.stringify(row));
  }

  async setHardeningMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    this.prepare('UPDATE hardenings SET message_channel = ?, message_ts = ? WHERE id = ?').run(
      message.channel,
      message.ts,
      id,
    );
  }

  async firstTime(key: string, now: number): Promise<boolean> {
    return (
      this.prepare('INSERT OR IGNORE INTO seen_keys (key, at) VALUES (?, ?)').run(key, now).changes === 1
    );
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function toStored(row: RequestRow): StoredRequest {
  return {
    request: JSON.parse(row.body) as BreakglassRequest,
    version: row.version,
    // Stryker disable next-line LogicalOperator: setMessage always writes both columns
    ...(row.message_channel && row.message_ts
      ? { message: { channel: row.message_channel, ts: row.message_ts } }
      : {}),
  };
}

/** The columns a claimed or listed notice is read with. */
type OutboxItemRow = Pick<OutboxRow, 'id' | 'request_id' | 'delivery' | 'attempts' | 'created_at'> &
  Partial<Pick<OutboxRow, 'last_error'>>;

/** The columns an audit entry is read with. */
type AuditEntryRow = Omit<AuditRow, 'id'>;

function toOutboxItem(row: OutboxItemRow): OutboxItem {
  return {
    id: String(row.id),
    requestId: row.request_id,
    delivery: JSON.parse(row.delivery) as Delivery,
    attempts: row.attempts,
    createdAt: row.created_at,
    ...(row.last_error ? { lastError: row.last_error } : {}),
  };
}

function toJob(row: JobRow): Job {
  return {
    id: String(row.id),
    requestId: row.request_id,
    kind: row.kind,
    dueAt: row.due_at,
    attempts: row.attempts,
  };
}
