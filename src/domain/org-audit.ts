/**
 * An org-wide audit of root credentials as the workflow keeps it: one run at a
 * time, one flat row per account (stored as audited, so a restart resumes and
 * the CSV is regenerated from the rows), the summary's counts, and when a run
 * will finish. Pure.
 */
import type { PresentCredentials } from './drift.js';

/** One account's result, flat: what the CSV shows, in Slack and in the CLI alike. */
export interface OrgAuditRow {
  accountId: string;
  name: string;
  status: 'clean' | 'present' | 'error';
  /** 'yes' | 'no'; empty when the audit failed */
  password: string;
  /** each key with its status and last use, `; `-separated */
  accessKeys: string;
  signingCertificates: string;
  mfaDevices: string;
  /** the error kind (e.g. blocked-by-scp, throttled, not-active) when the audit failed */
  errorKind: string;
  /** `<kind>: <message>` when the audit failed */
  detail: string;
  /** the break-glass request whose window was open when the account was audited: its credentials are expected */
  openWindow: string;
  /** what is present, with its dates (for drift alerts; not a CSV column) */
  present?: PresentCredentials;
}

/** The CSV's columns, in order (the header row). */
export const ORG_AUDIT_COLUMNS: readonly (keyof OrgAuditRow)[] = [
  'accountId',
  'name',
  'status',
  'password',
  'accessKeys',
  'signingCertificates',
  'mfaDevices',
  'errorKind',
  'detail',
  'openWindow',
];

export interface OrgAuditRun {
  /** `OA-…`: also the outbox key of its notices and the request id of its job */
  id: string;
  /** a Slack user id, or "scheduler" for a scheduled run */
  requestedBy: string;
  /** a scheduled run (BREAKGLASS_AUDIT_EVERY): no progress in Slack; drift alerts at its end */
  scheduled?: boolean;
  /** epoch ms */
  startedAt: number;
  state: 'running' | 'done';
  /** accounts to audit; known once the account list has been read */
  total?: number;
  /** accounts audited so far (rows stored) */
  done: number;
  finishedAt?: number;
  /** why the run ended before every account was audited (e.g. the account list could not be read) */
  error?: string;
  /** the summary message in Slack, once posted */
  message?: { channel: string; ts: string };
}

/** Why an account could not be audited, for the summary. */
const REASONS: Record<string, string> = {
  'blocked-by-scp': 'root sessions denied by an SCP',
  throttled: 'throttled by AWS after retries',
  'not-active': 'not ACTIVE (suspended or closing)',
  'not-authorized': 'not authorized',
  'session-expired': 'root session expired',
  transient: 'AWS failed temporarily',
  'region-disabled': 'STS region disabled',
};

export function reasonLabel(kind: string): string {
  return REASONS[kind] ?? kind;
}

export interface OrgAuditSummary {
  accounts: number;
  clean: number;
  /** root credentials present outside any open break-glass window */
  present: number;
  /** present while a break-glass window is open: expected */
  expected: number;
  /** among `present` (outside a window): how many have each credential */
  withPassword: number;
  withAccessKeys: number;
  withCertificates: number;
  withMfa: number;
  failed: number;
  /** failed accounts by reason, most frequent first */
  reasons: { kind: string; label: string; count: number }[];
}

export function summarize(rows: readonly OrgAuditRow[]): OrgAuditSummary {
  const outside = rows.filter((r) => r.status === 'present' && !r.openWindow);
  const byKind = new Map<string, number>();
  for (const r of rows) if (r.status === 'error') byKind.set(r.errorKind, (byKind.get(r.errorKind) ?? 0) + 1);
  return {
    accounts: rows.length,
    clean: rows.filter((r) => r.status === 'clean').length,
    present: outside.length,
    expected: rows.filter((r) => r.status === 'present' && r.openWindow).length,
    withPassword: outside.filter((r) => r.password === 'yes').length,
    withAccessKeys: outside.filter((r) => r.accessKeys !== '').length,
    withCertificates: outside.filter((r) => r.signingCertificates !== '').length,
    withMfa: outside.filter((r) => r.mfaDevices !== '').length,
    failed: rows.filter((r) => r.status === 'error').length,
    reasons: [...byKind]
      .map(([kind, count]) => ({ kind, label: reasonLabel(kind), count }))
      .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind)),
  };
}

/**
 * When a running audit should finish (epoch ms), from its pace so far; undefined
 * while the total or the pace is not known yet.
 */
export function estimatedFinish(run: OrgAuditRun, now: number): number | undefined {
  if (run.state === 'done') return run.finishedAt;
  if (run.total === undefined || run.done === 0) return undefined;
  const elapsed = Math.max(1, now - run.startedAt);
  const remaining = Math.max(0, run.total - run.done);
  return now + Math.ceil((elapsed / run.done) * remaining);
}

/** Progress updates of the summary message at most this often (chat.update is Tier 3; ~1 message/s per channel). */
export const PROGRESS_EVERY_MS = 3_000;
