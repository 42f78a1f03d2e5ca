import { describe, expect, it } from 'vitest';
import type { DeletionResult } from '../../src/aws/root-task-results.js';
import { describeDeletion } from '../../src/aws/root-task-text.js';

const NONE = { loginProfile: false, accessKeys: [], signingCertificates: [], mfaDevices: [] };
const EVIDENCE = { requestIds: [], rootSessions: [] };

function deletion(overrides: Partial<DeletionResult>): DeletionResult {
  return {
    accountId: '200000000001',
    removed: NONE,
    verified: false,
    errors: [],
    evidence: EVIDENCE,
    ...overrides,
  };
}

describe('describeDeletion', () => {
  it('names every failed step and each distinct hint once', () => {
    const denied = {
      kind: 'not-authorized' as const,
      message: 'DeleteAccessKey failed',
      remediation: 'Fix IAM.',
    };
    const busy = { kind: 'transient' as const, message: 'DeactivateMFADevice failed', remediation: 'Retry.' };
    const text = describeDeletion(
      deletion({ removed: { ...NONE, loginProfile: true }, error: denied, errors: [denied, busy, denied] }),
    );
    expect(text).toBe(
      '200000000001: FAILED after removed password: DeleteAccessKey failed; DeactivateMFADevice failed; DeleteAccessKey failed\n' +
        '  hint: Fix IAM. Retry.',
    );
  });

  it('says when the audit found nothing left despite a failed step', () => {
    const e = { kind: 'transient' as const, message: 'timeout', remediation: 'Retry.' };
    expect(describeDeletion(deletion({ verified: true, error: e, errors: [e] }))).toContain(
      'FAILED after nothing to remove (the audit then found nothing left): timeout',
    );
  });

  it('reads a verified deletion as before', () => {
    expect(describeDeletion(deletion({ verified: true, removed: { ...NONE, loginProfile: true } }))).toBe(
      '200000000001: removed password; verified clean',
    );
  });
});
