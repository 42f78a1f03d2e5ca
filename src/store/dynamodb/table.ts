/**
 * The DynamoDB store's single table: its keys, indexes and access patterns.
 *
 * Table: partition key `pk` (S), sort key `sk` (S); on-demand; TTL on `expiresAt`.
 *   gsi1: `gsi1pk` (S) + `gsi1sk` (N), all attributes projected. Sparse: only
 *         request items, open jobs and pending notices carry it.
 *   gsi2: `gsi2pk` (S) + `gsi2sk` (S), all attributes projected. Requests and
 *         audit entries carry it.
 *
 * | item                | pk                   | sk                  | gsi1pk / gsi1sk            | gsi2pk / gsi2sk              |
 * |---------------------|----------------------|---------------------|----------------------------|------------------------------|
 * | schema version      | `META`               | `META`              |                            |                              |
 * | request             | `REQ#<id>`           | `REQ`               | `STATE#<state>` / created  | `REQUESTER#<user>` / created |
 * | notice sequence     | `REQ#<id>`           | `SEQ`               |                            |                              |
 * | open job            | `REQ#<id>`           | `JOB#<kind>`        | `JOBS…` by lane / ready-at |                              |
 * | notice (outbox)     | `REQ#<id>`           | `OUT#<seq>`         | `OUTBOX` / created (pending)|                             |
 * | target hold         | `TARGET#<target>`    | `HOLD`              |                            |                              |
 * | seen key            | `SEEN#<key>`         | `SEEN`              |                            |                              |
 * | audit entry         | `AUDIT#<request id>` | `<at>#<writer>#<n>` |                            | `AUDIT` / same as sk         |
 * | org-audit lock      | `ORGAUDIT`           | `LOCK`              |                            |                              |
 * | org-wide audit run  | `ORGAUDIT#<id>`      | `RUN`               |                            |                              |
 * | org-audit row       | `ORGAUDIT#<id>`      | `ROW#<account>`     |                            |                              |
 * | bulk hardening      | `HARDEN#<id>`        | `RUN`               |                            |                              |
 * | hardening account   | `HARDEN#<id>`        | `ACCT#<account>`    |                            |                              |
 *
 * Access patterns:
 * - get a request: GetItem `REQ#<id>`/`REQ` (strongly consistent).
 * - create / update a request with its jobs and notices: one TransactWriteItems —
 *   the request item conditioned on its version (or absence), jobs upserted or
 *   deleted, notices put at `OUT#<seq>` with sequence numbers reserved just
 *   before by an atomic `ADD` on the request's `SEQ` counter.
 * - list requests by state, newest first: Query gsi1 `STATE#<state>` descending,
 *   one query per state, merged; with no filter, every state. By requester:
 *   Query gsi2 `REQUESTER#<user>` descending, filtered on state when asked.
 * - pending jobs of a request, notices of a request: Query `REQ#<id>` with
 *   `begins_with(sk, 'JOB#' | 'OUT#')` (strongly consistent).
 * - due jobs: Query gsi1 by lane with `gsi1sk <= now`, ascending: `JOBS` (cleanups
 *   first within a page, then every other interactive job), and `JOBS#BULK` only
 *   for the bulk slots. `gsi1sk` is
 *   when the job may next be claimed: its due time, or (while claimed) the end of
 *   its lease + 1 ms, so a leased job is not even read until its lease lapses.
 *   The claim is a conditional UpdateItem on the base item (`token` and
 *   `gsi1sk <= now`): of two workers, one wins; the index only finds candidates.
 * - next notice: Query gsi1 `OUTBOX` ascending (oldest first), filtered on
 *   `nextAt <= now` and a lapsed lease; a candidate goes only if no notice of its
 *   request with a lower sequence is pending (a consistent Query on `REQ#<id>`,
 *   `OUT#` range), and its target has no hold (`TARGET#<target>`); then a
 *   conditional UpdateItem claims it.
 * - hold a target (Slack rate limit): UpdateItem `TARGET#<target>`, keeping the
 *   later `until`; read at claim time. No scan over the target's notices.
 * - backlog: Query gsi1 `OUTBOX` (count; the first item is the oldest).
 * - seen keys: PutItem `SEEN#<key>` if absent or expired; TTL removes it later.
 * - audit: PutItem with `attribute_not_exists(pk)`, never updated or deleted by
 *   the bot (the infra role denies UpdateItem/DeleteItem on `AUDIT#*` leading
 *   keys). By request: Query `AUDIT#<id>` ascending; all, newest first: Query
 *   gsi2 `AUDIT` descending.
 *
 * - org-wide audits (dynamodb/org-audits.ts): start and finish are transactions
 *   conditioned on the lock's `runningId`; rows are BatchWriteItem puts (one item
 *   per account, replaced if written again) read back with a Query on the run's
 *   partition. An audit's job and notices use the run id as their request id.
 *
 * Why two "open jobs" partitions (one per lane) rather than sharding: open jobs
 * are few (a handful per live request; requests are rare, human-paced events;
 * bulk work is one job per run), one Query per lane returns them in due order,
 * and one partition sustains 1,000 writes/s, far above
 * what a break-glass bot writes. Shards would cost N queries and a merge per
 * poll for load that never comes. Closed jobs leave the index (the job item is
 * deleted when done), and sent notices drop their gsi1 keys, so the job and
 * outbox partitions hold live work only. The same argument holds for `OUTBOX`.
 *
 * gsi1 and gsi2 are eventually consistent: a just-written job or notice may be
 * seen one poll later, and a just-created request may be missing from a list
 * for a moment. Every decision is taken on the base item with a condition.
 */
import { BULK_JOB_KINDS, type JobKind } from '../store.js';

export const SCHEMA_VERSION = 2;

export const GSI1 = 'gsi1';
export const GSI2 = 'gsi2';
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * Open jobs sit in two gsi1 partitions, so a backlog of bulk work (org-wide
 * audits, bulk hardening: many due at once) never hides a cleanup from a claim,
 * which reads a bounded number of candidates. Cleanups and every other
 * interactive job stay in `JOBS`, where schema 1 kept every job: a release
 * rolled back to schema 1 still closes every window (only bulk work waits for
 * the newer release). Schema 2 moved bulk jobs to `JOBS#BULK`.
 */
export const JOB_PARTITIONS = { urgent: 'JOBS', bulk: 'JOBS#BULK' } as const;

export function jobsPartition(kind: JobKind): string {
  return BULK_JOB_KINDS.includes(kind) ? JOB_PARTITIONS.bulk : JOB_PARTITIONS.urgent;
}
export const OUTBOX_PARTITION = 'OUTBOX';
export const AUDIT_PARTITION = 'AUDIT';

/** DynamoDB's limit of items in one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

export interface Key {
  pk: string;
  sk: string;
}

export const metaKey = (): Key => ({ pk: 'META', sk: 'META' });
export const requestPk = (id: string): string => `REQ#${id}`;
export const requestKey = (id: string): Key => ({ pk: requestPk(id), sk: 'REQ' });
export const sequenceKey = (id: string): Key => ({ pk: requestPk(id), sk: 'SEQ' });
export const jobKey = (requestId: string, kind: JobKind): Key => ({
  pk: requestPk(requestId),
  sk: `JOB#${kind}`,
});
export const noticeKey = (requestId: string, seq: number): Key => ({
  pk: requestPk(requestId),
  sk: `OUT#${pad(seq, 10)}`,
});
export const targetKey = (target: string): Key => ({ pk: `TARGET#${target}`, sk: 'HOLD' });
export const seenKey = (key: string): Key => ({ pk: `SEEN#${key}`, sk: 'SEEN' });
export const auditPk = (requestId: string | undefined): string => `AUDIT#${requestId ?? '-'}`;
export const statePartition = (state: string): string => `STATE#${state}`;
export const requesterPartition = (userId: string): string => `REQUESTER#${userId}`;

/** Sorts as the number does (non-negative integers up to `width` digits). */
export function pad(n: number, width = 15): string {
  return String(Math.max(0, Math.trunc(n))).padStart(width, '0');
}

/** Job ids name the job item and the generation that was claimed: `<kind>:<token>:<request id>`. */
export function jobId(requestId: string, kind: JobKind, token: string): string {
  return `${kind}:${token}:${requestId}`;
}

export function parseJobId(id: string): { requestId: string; kind: JobKind; token: string } | undefined {
  const [kind, token] = id.split(':', 2);
  if (!kind || !token) return undefined;
  return { kind: kind as JobKind, token, requestId: id.slice(kind.length + token.length + 2) };
}

/** Notice ids: `<seq>:<request id>`. */
export function noticeId(requestId: string, seq: number): string {
  return `${seq}:${requestId}`;
}

export function parseNoticeId(id: string): { requestId: string; seq: number } | undefined {
  const colon = id.indexOf(':');
  const seq = Number(id.slice(0, colon));
  if (colon < 1 || !Number.isInteger(seq)) return undefined;
  return { seq, requestId: id.slice(colon + 1) };
}

/** CreateTable input: `breakglass init-table`, the tests, and the reference for infra/. */
export function tableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' as const },
      { AttributeName: 'sk', AttributeType: 'S' as const },
      { AttributeName: 'gsi1pk', AttributeType: 'S' as const },
      { AttributeName: 'gsi1sk', AttributeType: 'N' as const },
      { AttributeName: 'gsi2pk', AttributeType: 'S' as const },
      { AttributeName: 'gsi2sk', AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI1,
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' as const },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
      {
        IndexName: GSI2,
        KeySchema: [
          { AttributeName: 'gsi2pk', KeyType: 'HASH' as const },
          { AttributeName: 'gsi2sk', KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
    SSESpecification: { Enabled: true },
  };
}
