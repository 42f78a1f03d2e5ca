/** One-line texts of root-task results, shared by the CLI and Slack. */
import type { CredentialItem } from '../domain/request.js';
import type { DeletionResult, RootCredentialAudit } from './root-task-results.js';

/** Each root credential of an audit with the dates AWS gave, as approvers see them. */
export function credentialItems(audit: RootCredentialAudit): CredentialItem[] {
  const items: CredentialItem[] = [];
  if (audit.passwordPresent) items.push({ kind: 'password', ...audit.password });
  for (const k of audit.accessKeys)
    items.push({
      kind: 'access-key',
      id: k.accessKeyId,
      status: k.status,
      ...(k.createdAt ? { createdAt: k.createdAt } : {}),
      ...(k.lastUsed
        ? {
            lastUsedAt: k.lastUsed.at,
            lastUsedWhere: [k.lastUsed.service, k.lastUsed.region].filter(Boolean).join(', '),
          }
        : {}),
    });
  for (const c of audit.signingCertificates)
    items.push({
      kind: 'signing-certificate',
      id: c.certificateId,
      status: c.status,
      ...(c.uploadedAt ? { createdAt: c.uploadedAt } : {}),
    });
  for (const d of audit.mfaDevices)
    items.push({
      kind: 'mfa-device',
      id: d.serialNumber,
      ...(d.enabledAt ? { createdAt: d.enabledAt } : {}),
    });
  return items;
}

export function describeAudit(audit: RootCredentialAudit): string {
  if (!audit.anyPresent) return 'no root credentials';
  const parts: string[] = [];
  if (audit.passwordPresent) parts.push('password');
  if (audit.accessKeys.length) parts.push(`${audit.accessKeys.length} access key(s)`);
  if (audit.signingCertificates.length)
    parts.push(`${audit.signingCertificates.length} signing certificate(s)`);
  if (audit.mfaDevices.length) parts.push(`${audit.mfaDevices.length} MFA device(s)`);
  return parts.join(', ');
}

export function describeDeletion(result: DeletionResult): string {
  const r = result.removed;
  const removed = [
    r.loginProfile ? 'password' : '',
    r.accessKeys.length ? `access keys ${r.accessKeys.join(', ')}` : '',
    r.signingCertificates.length ? `signing certificates ${r.signingCertificates.join(', ')}` : '',
    r.mfaDevices.length ? `MFA devices ${r.mfaDevices.join(', ')}` : '',
  ].filter(Boolean);
  const what = removed.length ? `removed ${removed.join('; ')}` : 'nothing to remove';
  const errors = result.errors.length ? result.errors : result.error ? [result.error] : [];
  if (errors.length) {
    const verdict = result.verified ? ' (the audit then found nothing left)' : '';
    const messages = errors.map((e) => e.message).join('; ');
    const hints = [...new Set(errors.map((e) => e.remediation))].join(' ');
    return `${result.accountId}: FAILED after ${what}${verdict}: ${messages}\n  hint: ${hints}`;
  }
  const verdict = result.verified ? 'verified clean' : 'NOT verified: credentials remain';
  return `${result.accountId}: ${what}; ${verdict}`;
}
