/** The org-wide audit as CSV: one renderer for the Slack file and `breakglass audit --all --csv`. Pure. */
import { stringify } from 'csv-stringify/sync';
import { ORG_AUDIT_COLUMNS, type OrgAuditRow } from './org-audit.js';

/** A header row and one row per account, in account-id order (stable whatever order they were audited in). */
export function orgAuditCsv(rows: readonly OrgAuditRow[]): string {
  const sorted = [...rows].sort((a, b) => a.accountId.localeCompare(b.accountId));
  return stringify(
    sorted.map((r) => ORG_AUDIT_COLUMNS.map((c) => r[c])),
    { header: true, columns: [...ORG_AUDIT_COLUMNS] },
  );
}
