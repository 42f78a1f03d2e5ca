/** Typed fixtures shared by store and delivery tests. */
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
