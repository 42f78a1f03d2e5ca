/** An account's audit result as the flat row of the org-wide report (Slack's CSV and the CLI's). */
import type { PresentCredentials } from '../domain/drift.js';
import type { OrgAuditRow } from '../domain/org-audit.js';
import type { AccountAuditRow } from './org-audit.js';
import type { RootCredentialAudit } from './root-task-results.js';

export function toOrgAuditRow(row: AccountAuditRow, openWindow = ''): OrgAuditRow {
  const base = { accountId: row.account.id, name: row.account.name, openWindow };
  if (!row.ok) {
    return {
      ...base,
      status: 'error',
      password: '',
      accessKeys: '',
      signingCertificates: '',
      mfaDevices: '',
      errorKind: row.error.kind,
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
    errorKind: '',
    detail: '',
    ...(a.anyPresent ? { present: presentCredentials(a) } : {}),
  };
}

/** What the audit found, with its dates, as the drift check keeps it. */
export function presentCredentials(a: RootCredentialAudit): PresentCredentials {
  return {
    ...(a.passwordPresent ? { password: { ...a.password } } : {}),
    accessKeys: a.accessKeys.map((k) => ({
      id: k.accessKeyId,
      status: k.status,
      ...(k.createdAt ? { createdAt: k.createdAt } : {}),
      ...(k.lastUsed ? { lastUsed: k.lastUsed } : {}),
    })),
    signingCertificates: a.signingCertificates.map((c) => ({
      id: c.certificateId,
      status: c.status,
      ...(c.uploadedAt ? { uploadedAt: c.uploadedAt } : {}),
    })),
    mfaDevices: a.mfaDevices.map((d) => ({
      serial: d.serialNumber,
      ...(d.enabledAt ? { enabledAt: d.enabledAt } : {}),
    })),
  };
}
