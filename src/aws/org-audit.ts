/**
 * Org-wide audit of root credentials: every ACTIVE member account, with bounded
 * concurrency. One account failing never aborts the run; it is reported in its row.
 */
import pLimit from 'p-limit';
import { RootTaskError } from './errors.js';
import type { OrgAccount, OrganizationDirectory } from './organization.js';
import type { RootCredentialAudit } from './root-task-results.js';
import type { RootTaskService } from './root-task-service.js';

/**
 * Each account audit is a short chain of dependent calls (AssumeRoot, then
 * GetAccountSummary), so parallelism across accounts is what makes it fast.
 * 12 in flight keeps a 500 request/s budget busy at ~20 ms per call with few
 * throttled answers; 16 is as fast, 24 is slower (README, Benchmarks).
 */
export const DEFAULT_AUDIT_CONCURRENCY = 12;

export type AccountAuditRow =
  | { account: OrgAccount; ok: true; audit: RootCredentialAudit }
  | { account: OrgAccount; ok: false; error: { kind: string; message: string; remediation: string } };

export interface OrgAuditReport {
  accounts: number;
  withCredentials: number;
  failed: number;
  durationMs: number;
  rows: AccountAuditRow[];
}

export interface OrgAuditOptions {
  concurrency?: number;
  /** runs each account's audit (a bulk limiter); default: `concurrency` at a time */
  limit?: <T>(work: () => Promise<T>) => Promise<T>;
  /** only these accounts (ids), else every ACTIVE member */
  accountIds?: string[];
  /** accounts already audited (a resumed run): neither audited nor counted */
  skip?: ReadonlySet<string>;
  /** rows for SUSPENDED and closing members too, as not auditable (no AWS call) */
  includeInactive?: boolean;
  /** checked before each account: true stops starting new ones (the rows so far are returned) */
  shouldStop?: () => boolean;
  /** the number of accounts to audit, once the whole account list has been read */
  onListed?: (total: number) => void;
  onProgress?: (done: number, total: number, row: AccountAuditRow) => void;
}

export async function auditOrganization(
  service: AuditService,
  organization: OrganizationDirectory,
  options: OrgAuditOptions = {},
): Promise<OrgAuditReport> {
  const started = performance.now();
  const wanted = options.accountIds ? new Set(options.accountIds) : undefined;
  const fixed = pLimit(options.concurrency ?? DEFAULT_AUDIT_CONCURRENCY);
  const limit: <T>(work: () => Promise<T>) => Promise<T> = options.limit ?? ((work) => fixed(work));
  const pending: Promise<AccountAuditRow | undefined>[] = [];
  let done = 0;
  // Audits start with the first page of accounts; listing 1,000 accounts alone takes 50 round trips.
  for await (const page of organization.memberAccountPages({ inactive: options.includeInactive === true })) {
    for (const account of page) {
      if (wanted && !wanted.has(account.id)) continue;
      if (options.skip?.has(account.id)) continue;
      pending.push(
        limit(async () => {
          if (options.shouldStop?.()) return undefined;
          const row = await auditOne(service, account);
          done += 1;
          options.onProgress?.(done, pending.length, row);
          return row;
        }),
      );
    }
  }
  options.onListed?.(pending.length);
  const rows = (await Promise.all(pending)).filter((r): r is AccountAuditRow => r !== undefined);
  return {
    accounts: rows.length,
    withCredentials: rows.filter((r) => r.ok && r.audit.anyPresent).length,
    failed: rows.filter((r) => !r.ok).length,
    durationMs: Math.round(performance.now() - started),
    rows,
  };
}

/** The part of the root-task service an audit uses. */
export type AuditService = Pick<RootTaskService, 'auditRootCredentials'>;

async function auditOne(service: AuditService, account: OrgAccount): Promise<AccountAuditRow> {
  if (account.state !== 'ACTIVE') {
    const message = `the account is ${account.state}: AWS allows root sessions in ACTIVE accounts only`;
    return { account, ok: false, error: { kind: 'not-active', message, remediation: 'Nothing to do.' } };
  }
  try {
    return { account, ok: true, audit: await service.auditRootCredentials(account.id) };
  } catch (error) {
    const e = error instanceof RootTaskError ? error : new RootTaskError('unexpected', String(error));
    return { account, ok: false, error: { kind: e.kind, message: e.message, remediation: e.remediation } };
  }
}
