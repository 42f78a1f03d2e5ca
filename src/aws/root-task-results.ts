import type { ErrorKind } from './errors.js';
import type { Evidence } from './evidence.js';

/**
 * GetAccountSummary's answer to "are root credentials present?". Fails closed: a
 * SummaryMap key AWS left out counts as present unless another read (GetLoginProfile,
 * a listing) showed it absent.
 */
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
  /** ListMFADevices EnableDate */
  enabledAt?: string;
  /**
   * a virtual device (ARN serial) is left unassigned after deactivation: the task
   * policy denies DeleteVirtualMFADevice, and deactivation is what removes MFA from root
   */
  virtual: boolean;
}

export interface RootCredentialAudit {
  accountId: string;
  anyPresent: boolean;
  summary: CredentialSummary;
  passwordPresent: boolean;
  /** when the password was set (GetLoginProfile CreateDate) and last used (GetUser PasswordLastUsed) */
  password?: { createdAt?: string; lastUsedAt?: string };
  accessKeys: RootAccessKey[];
  /** `uploadedAt`: ListSigningCertificates UploadDate */
  signingCertificates: { certificateId: string; status: string; uploadedAt?: string }[];
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

/** One failed step of a deletion. */
export interface DeletionError {
  kind: ErrorKind;
  message: string;
  remediation: string;
  /** the AWS call that failed, e.g. "iam:DeleteAccessKey AKIA... on 123456789012" */
  action?: string;
}

export interface DeletionResult {
  accountId: string;
  removed: RemovedCredentials;
  /**
   * true only when a separate audit session (GetAccountSummary and GetLoginProfile,
   * re-polled briefly) shows nothing left; a step that failed does not decide it
   */
  verified: boolean;
  /** what the verifying audit saw last; absent when verification could not run */
  remaining?: CredentialSummary;
  /** the first of `errors`, for callers that show one */
  error?: DeletionError;
  /** every step that failed; the deletion goes on past each one */
  errors: DeletionError[];
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
