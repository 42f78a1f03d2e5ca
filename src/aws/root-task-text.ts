/** One-line texts of root-task results, shared by the CLI and Slack. */
import type { DeletionResult, RootCredentialAudit } from './root-task-results.js';

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
  if (result.error)
    return `${result.accountId}: FAILED after ${what}: ${result.error.message}\n  hint: ${result.error.remediation}`;
  const verdict = result.verified ? 'verified clean' : 'NOT verified: credentials remain';
  return `${result.accountId}: ${what}; ${verdict}`;
}
