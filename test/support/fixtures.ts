/** Typed fixtures shared by store and delivery tests. */
import type { Hardening } from '../../src/domain/harden.js';
import type { OrgAuditRow } from '../../src/domain/org-audit.js';
import type { BreakglassRequest } from '../../src/domain/request.js';

export function requestFixture(id: string, overrides: Partial<BreakglassRequest> = {}): BreakglassRequest {
  return {
    id,
    requesterId: 'U1',
    accountId: '200000000001',
    accountName: 'workload',
    task: 'password-recovery',
    durationSeconds: 3600,
    justification: 'incident',
    createdAt: 1_000,
    state: 'pending',
    approvals: [],
    contentHash: 'h',
    ...overrides,
  };
}

/** A pending bulk hardening of one account whose preview is still loading. */
export function hardeningFixture(id: string, overrides: Partial<Hardening> = {}): Hardening {
  return {
    id,
    requesterId: 'U1',
    createdAt: 1_000,
    state: 'pending',
    accounts: 1,
    source: 'command',
    rules: [],
    preview: 'loading',
    approvals: [],
    contentHash: '',
    rounds: 0,
    ...overrides,
  };
}

/** One clean account's row of an org-wide audit (CSV columns as strings). */
export function orgAuditRowFixture(accountId: string, overrides: Partial<OrgAuditRow> = {}): OrgAuditRow {
  return {
    accountId,
    name: `n${accountId}`,
    status: 'clean',
    password: 'no',
    accessKeys: '',
    signingCertificates: '',
    mfaDevices: '',
    errorKind: '',
    detail: '',
    openWindow: '',
    ...overrides,
  };
}
