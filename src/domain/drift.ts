/**
 * Drift: root credentials present in a member account outside any approved
 * break-glass window. After each scheduled org-wide audit, every account is
 * compared with what was last alerted for it (its fingerprint: what is present,
 * by ids), so an unchanged drift is alerted once, a changed one again, a
 * lasting one reminded after an interval, and one that disappeared is recorded
 * as resolved. Pure.
 */

/** What an audit found present on an account's root user, with the dates AWS gives. */
export interface PresentCredentials {
  /** the login profile: when it was created (GetLoginProfile) and last used (GetUser) */
  password?: { createdAt?: string; lastUsedAt?: string };
  accessKeys: {
    id: string;
    status: string;
    createdAt?: string;
    lastUsed?: { at: string; service: string; region: string };
  }[];
  signingCertificates: { id: string; status: string; uploadedAt?: string }[];
  mfaDevices: { serial: string; enabledAt?: string }[];
}

/** One account as the drift check sees it after an audit. */
export interface DriftInput {
  accountId: string;
  name: string;
  status: 'clean' | 'present' | 'error';
  /** the request whose window was open on the account during the audit (its credentials are expected) */
  openWindow: string;
  present?: PresentCredentials;
  /** why the account could not be audited (status `error`), e.g. blocked-by-scp, not-active */
  errorKind?: string;
}

/** An account's drift as last alerted (stored per account). */
export interface DriftRecord {
  accountId: string;
  name: string;
  fingerprint: string;
  present: PresentCredentials;
  /** when this drift (this fingerprint) was first seen, epoch ms */
  since: number;
  /** when it was last alerted or reminded, epoch ms */
  alertedAt: number;
  /** the org-wide audit in whose thread it was last alerted */
  alertRunId: string;
  /**
   * The account could not be audited when last alerted (the error kind): drift
   * detection is blind there. `present` is what was last seen, if anything.
   */
  unauditable?: string;
}

/**
 * Not alerted as not auditable: suspended or closing accounts (on purpose), and
 * errors that pass (throttling, a network or service hiccup, an expired
 * session): alerting those would flap with every run. The record stays as it is.
 */
const NOT_ALERTED_ERRORS = new Set([
  'not-active',
  'throttled',
  'transient',
  'session-expired',
  'temporarily-unmodifiable',
  'concurrent-modification',
]);

export type DriftAlertKind = 'new' | 'changed' | 'reminder' | 'unauditable';

export interface DriftAlert {
  kind: DriftAlertKind;
  accountId: string;
  name: string;
  present: PresentCredentials;
  /** when this drift was first seen, epoch ms */
  since: number;
  /** a change: what the previous alert listed */
  previous?: PresentCredentials;
  /** unauditable: why the account could not be audited (the error kind) */
  reason?: string;
}

export interface DriftDecision {
  /** to alert now; each with the record to store with its alert */
  alerts: { alert: DriftAlert; record: DriftRecord }[];
  /** drift that disappeared: the records to drop (their alert's thread is told) */
  resolved: DriftRecord[];
  /** accounts with credentials inside an open window: expected, not drift */
  expected: string[];
}

/** An empty set of credentials. */
export const NOTHING_PRESENT: PresentCredentials = {
  accessKeys: [],
  signingCertificates: [],
  mfaDevices: [],
};

/**
 * What is present, by ids, in a stable order. A password has no id: its
 * creation date stands for it, so a password deleted and set again is a new drift.
 */
export function fingerprint(p: PresentCredentials): string {
  const parts = [
    ...(p.password ? [`password:${p.password.createdAt ?? '?'}`] : []),
    ...p.accessKeys.map((k) => `key:${k.id}`).sort(),
    ...p.signingCertificates.map((c) => `cert:${c.id}`).sort(),
    ...p.mfaDevices.map((d) => `mfa:${d.serial}`).sort(),
  ];
  return parts.join('|');
}

/**
 * Decides what to alert after an audit. `remindMs`: a drift still present this
 * long after its last alert is alerted again (a reminder). Accounts whose audit
 * failed are unknown, never resolved by a failure: alerted once as not
 * auditable (drift detection is blind there) unless the error passes by itself,
 * again when the reason changes or after `remindMs`; the record keeps what was
 * last seen, so an account audited again with the same credentials is not a new
 * drift (reminded on the usual interval).
 */
export function decideDrift(
  rows: readonly DriftInput[],
  records: readonly DriftRecord[],
  options: { now: number; remindMs: number; runId: string },
): DriftDecision {
  const known = new Map(records.map((r) => [r.accountId, r]));
  const decision: DriftDecision = { alerts: [], resolved: [], expected: [] };
  for (const row of rows) {
    const record = known.get(row.accountId);
    if (row.status === 'error') {
      const blind = unauditableAlert(row, options, record);
      if (blind) decision.alerts.push(blind);
      continue;
    }
    const present = row.status === 'present' ? (row.present ?? NOTHING_PRESENT) : NOTHING_PRESENT;
    const print = fingerprint(present);
    if (row.status === 'present' && row.openWindow) {
      // Inside an approved window: expected. The window's cleanup removes them; the next audit decides.
      decision.expected.push(row.accountId);
      continue;
    }
    if (!print && row.status === 'present') {
      // Present by GetAccountSummary but not listed: fail closed, as drift of unknown content.
      const alert = alertFor('new', row, present, options, record);
      if (!record || record.unauditable !== undefined) decision.alerts.push(alert);
      continue;
    }
    if (!print) {
      if (record) decision.resolved.push(record);
      continue;
    }
    // Blind before, with nothing seen then: what is there now is new.
    if (!record || record.fingerprint === '') {
      decision.alerts.push(alertFor('new', row, present, options));
      continue;
    }
    if (record.fingerprint !== print) {
      decision.alerts.push(alertFor('changed', row, present, options, record));
      continue;
    }
    if (options.now - record.alertedAt >= options.remindMs) {
      decision.alerts.push(alertFor('reminder', row, present, options, record));
    }
  }
  return decision;
}

function unauditableAlert(
  row: DriftInput,
  options: { now: number; remindMs: number; runId: string },
  record: DriftRecord | undefined,
): { alert: DriftAlert; record: DriftRecord } | undefined {
  const reason = row.errorKind || 'unknown';
  if (NOT_ALERTED_ERRORS.has(reason)) return undefined;
  if (record?.unauditable === reason && options.now - record.alertedAt < options.remindMs) return undefined;
  const present = record?.present ?? NOTHING_PRESENT;
  const since = record?.since ?? options.now;
  return {
    alert: { kind: 'unauditable', accountId: row.accountId, name: row.name, present, since, reason },
    record: {
      accountId: row.accountId,
      name: row.name,
      fingerprint: record?.fingerprint ?? '',
      present,
      since,
      alertedAt: options.now,
      alertRunId: options.runId,
      unauditable: reason,
    },
  };
}

function alertFor(
  kind: DriftAlertKind,
  row: DriftInput,
  present: PresentCredentials,
  options: { now: number; runId: string },
  record?: DriftRecord,
): { alert: DriftAlert; record: DriftRecord } {
  const since = kind === 'reminder' && record ? record.since : options.now;
  return {
    alert: {
      kind,
      accountId: row.accountId,
      name: row.name,
      present,
      since,
      ...(kind === 'changed' && record ? { previous: record.present } : {}),
    },
    record: {
      accountId: row.accountId,
      name: row.name,
      fingerprint: fingerprint(present),
      present,
      since,
      alertedAt: options.now,
      alertRunId: options.runId,
    },
  };
}

/** One line per credential, with who/when as far as AWS tells: for alerts, the CLI and the audit trail. */
export function describePresent(p: PresentCredentials): string[] {
  const lines: string[] = [];
  if (p.password) {
    const used = p.password.lastUsedAt ? `, last used ${day(p.password.lastUsedAt)}` : ', never used';
    lines.push(`password (login profile created ${day(p.password.createdAt)}${used})`);
  }
  for (const k of p.accessKeys) {
    const used = k.lastUsed
      ? `, last used ${day(k.lastUsed.at)} (${k.lastUsed.service}, ${k.lastUsed.region})`
      : ', never used';
    lines.push(`access key ${k.id} (${k.status}, created ${day(k.createdAt)}${used})`);
  }
  for (const c of p.signingCertificates)
    lines.push(`signing certificate ${c.id} (${c.status}, uploaded ${day(c.uploadedAt)})`);
  for (const d of p.mfaDevices) lines.push(`MFA device ${d.serial} (enabled ${day(d.enabledAt)})`);
  if (!lines.length) lines.push('root credentials reported present, but none could be listed');
  return lines;
}

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : 'date unknown';
}
