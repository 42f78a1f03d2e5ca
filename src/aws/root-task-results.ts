import type { ErrorKind } from './errors.js';
import type { Evidence } from './evidence.js';

/** GetAccountSummary's answer to "are root credentials present?". */
export interface CredentialSummary {
  password: boolean;
  accessKeys: boolean;
  signingCertificates: boolean;
  mfa: boolean;
}

export interface RootAccessKey {
  accessKeyId: string;
  status: string;
  createdAt?: string;
  lastUsed?: { at: string; service: string; region: string };
}

export interface RootMfaDevice {
  serialNumber: string;
  /** virtual devices are deleted after deactivation; hardware and FIDO keys are only deactivated */
  virtual: boolean;
}

export interface RootCredentialAudit {
  accountId: string;
  anyPresent: boolean;
  summary: CredentialSummary;
  passwordPresent: boolean;
  accessKeys: RootAccessKey[];
  signingCertificates: { certificateId: string; status: string }[];
  mfaDevices: RootMfaDevice[];
  evidence: Evidence;
}

export interface PasswordRecoveryResult {
  accountId: string;
  /** false when a login profile already existed: recovery was already possible */
  created: boolean;
  evidence: Evidence;
}

export interface RemovedCredentials {
  loginProfile: boolean;
  accessKeys: string[];
  signingCertificates: string[];
  mfaDevices: string[];
}

export interface DeletionResult {
  accountId: string;
  removed: RemovedCredentials;
  /** true only when a separate audit session's GetAccountSummary shows nothing left */
  verified: boolean;
  /** what the verifying audit saw; absent when the deletion failed before verification */
  remaining?: CredentialSummary;
  /** set when a step failed: what was removed before it is still in `removed` */
  error?: { kind: ErrorKind; message: string; remediation: string };
  evidence: Evidence;
}

export interface PolicyUnlockResult {
  accountId: string;
  /** bucket name or queue URL */
  resource: string;
  /** the policy as it was, so that it can be restored; null when there was none */
  previousPolicy: string | null;
  removed: boolean;
  evidence: Evidence;
}

export function nothingPresent(summary: CredentialSummary): boolean {
  return !summary.password && !summary.accessKeys && !summary.signingCertificates && !summary.mfa;
}
