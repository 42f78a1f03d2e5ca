/** Text, CSV and JSON renderings of results; no I/O here. */
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import type { DoctorCheck } from '../aws/doctor.js';
import type { AccountAuditRow } from '../aws/org-audit.js';

export { describeAudit, describeDeletion } from '../aws/root-task-text.js';

export type OutputFormat = 'table' | 'json' | 'csv';

interface FlatAuditRow {
  accountId: string;
  name: string;
  status: 'clean' | 'present' | 'error';
  password: string;
  accessKeys: string;
  signingCertificates: string;
  mfaDevices: string;
  detail: string;
}

function flatten(row: AccountAuditRow): FlatAuditRow {
  const base = { accountId: row.account.id, name: row.account.name };
  if (!row.ok) {
    return {
      ...base,
      status: 'error',
      password: '',
      accessKeys: '',
      signingCertificates: '',
      mfaDevices: '',
      detail: `${row.error.kind}: ${row.error.message}`,
    };
  }
  const a = row.audit;
  return {
    ...base,
    status: a.anyPresent ? 'present' : 'clean',
    password: a.passwordPresent ? 'yes' : 'no',
    accessKeys: a.accessKeys
      .map((k) => `${k.accessKeyId} (${k.status}${k.lastUsed ? `, used ${k.lastUsed.at.slice(0, 10)}` : ''})`)
      .join('; '),
    signingCertificates: a.signingCertificates.map((c) => `${c.certificateId} (${c.status})`).join('; '),
    mfaDevices: a.mfaDevices.map((d) => `${d.serialNumber}${d.virtual ? ' (virtual)' : ''}`).join('; '),
    detail: '',
  };
}

export function renderAuditRows(rows: AccountAuditRow[], format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2);
  const flat = rows.map(flatten);
  if (format === 'csv') return stringify(flat, { header: true }).trimEnd();
  const table = new Table({
    head: ['Account', 'Name', 'Status', 'Password', 'Access keys', 'Signing certs', 'MFA devices'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    wordWrap: true,
    colWidths: [14, 24, 9, 10, 34, 22, 34],
  });
  for (const r of flat) {
    table.push([
      r.accountId,
      r.name,
      r.status,
      r.status === 'error' ? { colSpan: 4, content: r.detail } : r.password,
      ...(r.status === 'error'
        ? []
        : [r.accessKeys || '-', r.signingCertificates || '-', r.mfaDevices || '-']),
    ]);
  }
  return table.toString();
}

export function auditSummaryLine(rows: AccountAuditRow[], durationMs: number): string {
  const present = rows.filter((r) => r.ok && r.audit.anyPresent).length;
  const failed = rows.filter((r) => !r.ok).length;
  return `${rows.length} accounts audited in ${(durationMs / 1000).toFixed(1)} s: ${present} with root credentials, ${failed} failed`;
}

const MARK: Record<DoctorCheck['status'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' };

export function renderDoctor(checks: DoctorCheck[]): string {
  return checks
    .map((c) => `${MARK[c.status]}  ${c.name}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`)
    .join('\n');
}
