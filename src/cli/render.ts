/** Text, CSV and JSON renderings of results; no I/O here. */
import type { DoctorCheck } from '../aws/doctor.js';
import type { AccountAuditRow } from '../aws/org-audit.js';
import { toOrgAuditRow } from '../aws/org-audit-row.js';
import type { RootCredentialAudit } from '../aws/root-task-results.js';
import { describeAudit, describeDeletion } from '../aws/root-task-text.js';
import { doctorLine } from '../domain/doctor.js';
import { orgAuditCsv } from '../domain/org-audit-csv.js';
import type { AuditEntry } from '../store/store.js';
import { DEFAULT_COLUMNS } from './io.js';
import {
  type Cell,
  type Column,
  hiddenNote,
  paint,
  renderTable,
  type TableView,
  type Tone,
} from './table.js';

export { describeAudit, describeDeletion };

export type OutputFormat = 'table' | 'json' | 'csv';

/** How wide tables are: the terminal's width (100 when stdout is not one), or unlimited with --wide. */
export function tableView(io: { columns?: number; color: boolean }, wide = false): TableView {
  return { width: wide ? Number.POSITIVE_INFINITY : (io.columns ?? DEFAULT_COLUMNS), color: io.color };
}

/** A rendering for stdout, and a note about it for stderr (columns hidden to fit). */
export interface Rendered {
  text: string;
  note?: string;
}

const STATUS_TONE: Record<'clean' | 'present' | 'error', Tone> = {
  clean: 'good',
  present: 'warn',
  error: 'bad',
};

const DETAIL_COLUMNS: Column[] = [
  { header: 'Account', fixed: true, priority: 9 },
  { header: 'Name', keepWords: true, priority: 2 },
  { header: 'Status', fixed: true, priority: 8 },
  { header: 'Password', fixed: true, priority: 5 },
  { header: 'Access keys', keepWords: true, priority: 4 },
  { header: 'Signing certs', keepWords: true, priority: 3 },
  { header: 'MFA devices', keepWords: true, priority: 3 },
];

/** The narrow layout: what is present, counted, instead of every key and device. */
const SUMMARY_COLUMNS: Column[] = [
  { header: 'Account', fixed: true, priority: 9 },
  { header: 'Name', min: 10, overflow: 'truncate', priority: 2 },
  { header: 'Status', fixed: true, priority: 8 },
  { header: 'Root credentials', min: 12, priority: 7 },
];

function keyLine(k: RootCredentialAudit['accessKeys'][number]): string {
  return `${k.accessKeyId} (${k.status}${k.lastUsed ? `, used ${k.lastUsed.at.slice(0, 10)}` : ''})`;
}

function detailCells(row: AccountAuditRow): Cell[] {
  const head: Cell[] = [row.account.id, row.account.name];
  if (!row.ok) {
    return [
      ...head,
      { text: 'error', tone: 'bad' },
      { text: `${row.error.kind}: ${row.error.message}`, rest: true },
    ];
  }
  const a = row.audit;
  const status = a.anyPresent ? 'present' : 'clean';
  return [
    ...head,
    { text: status, tone: STATUS_TONE[status] },
    a.passwordPresent ? { text: 'yes', tone: 'warn' } : 'no',
    a.accessKeys.map(keyLine).join('\n') || '-',
    a.signingCertificates.map((c) => `${c.certificateId} (${c.status})`).join('\n') || '-',
    a.mfaDevices.map((d) => `${d.serialNumber}${d.virtual ? ' (virtual)' : ''}`).join('\n') || '-',
  ];
}

function summaryCells(row: AccountAuditRow): Cell[] {
  const cells = detailCells(row).slice(0, 3);
  if (!row.ok) return [...cells, { text: `${row.error.kind}: ${row.error.message}`, rest: true }];
  return [...cells, row.audit.anyPresent ? describeAudit(row.audit) : '-'];
}

/**
 * The audit as a table that fits `view.width`: every key, certificate and device
 * when they fit, else one summary column (and a note saying --wide shows them).
 */
export function renderAuditTable(rows: AccountAuditRow[], view: TableView): Rendered {
  const detailed = renderTable(DETAIL_COLUMNS, rows.map(detailCells), view);
  if (!detailed.hidden.length) return { text: detailed.text };
  const summary = renderTable(SUMMARY_COLUMNS, rows.map(summaryCells), view);
  const notes = [
    `(to fit ${view.width} columns, credentials are counted; --wide or --json lists every key, certificate and device)`,
    hiddenNote(summary.hidden, view.width),
  ];
  return { text: summary.text, note: notes.filter(Boolean).join('\n') };
}

export function renderAuditRows(
  rows: AccountAuditRow[],
  format: OutputFormat,
  view: TableView = { width: Number.POSITIVE_INFINITY, color: false },
): Rendered {
  if (format === 'json') return { text: JSON.stringify(rows, null, 2) };
  // The same CSV as the file the bot attaches to its org-wide audit in Slack.
  if (format === 'csv') return { text: orgAuditCsv(rows.map((r) => toOrgAuditRow(r))).trimEnd() };
  return renderAuditTable(rows, view);
}

const HISTORY_COLUMNS: Column[] = [
  { header: 'At (UTC)', fixed: true, priority: 9 },
  { header: 'Request', fixed: true, priority: 8 },
  { header: 'Actor', min: 8, overflow: 'truncate', priority: 6 },
  { header: 'Action', min: 12, priority: 7 },
  { header: 'Details', min: 16, overflow: 'truncate', priority: 1 },
];

/** The audit trail as a table, with the same fitting as the audit's (`breakglass history`). */
export function renderHistoryTable(entries: AuditEntry[], view: TableView): Rendered {
  const rows = entries.map((e) => [
    new Date(e.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    e.requestId ?? '-',
    e.actor,
    e.action,
    e.details ? JSON.stringify(e.details) : '',
  ]);
  const table = renderTable(HISTORY_COLUMNS, rows, view);
  return { text: table.text, note: hiddenNote(table.hidden, view.width) };
}

export function auditSummaryLine(rows: AccountAuditRow[], durationMs: number): string {
  const present = rows.filter((r) => r.ok && r.audit.anyPresent).length;
  const failed = rows.filter((r) => !r.ok).length;
  return `${rows.length} accounts audited in ${(durationMs / 1000).toFixed(1)} s: ${present} with root credentials, ${failed} failed`;
}

const MARK: Record<DoctorCheck['status'], [string, Tone]> = {
  pass: ['PASS', 'good'],
  warn: ['WARN', 'warn'],
  fail: ['FAIL', 'bad'],
};

export function renderDoctor(checks: DoctorCheck[], color = false): string {
  // The one rendering of a check (src/domain/doctor.ts), Slack's too; only the mark is painted here.
  return checks.map((c) => doctorLine(c, (mark) => paint(mark, MARK[c.status][1], color))).join('\n');
}
