import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  estimatedFinish,
  type OrgAuditRow,
  type OrgAuditRun,
  summarize,
} from '../../src/domain/org-audit.js';
import { orgAuditCsv } from '../../src/domain/org-audit-csv.js';

const row = (accountId: string, overrides: Partial<OrgAuditRow> = {}): OrgAuditRow => ({
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
});

describe('org-wide audit summary', () => {
  it('counts clean, present outside a window by credential, expected inside one, and failures by reason', () => {
    const s = summarize([
      row('1'),
      row('2', { status: 'present', password: 'yes' }),
      row('3', { status: 'present', password: 'no', accessKeys: 'AKIA1 (Active)', mfaDevices: 'GAHT1' }),
      row('4', { status: 'present', password: 'yes', openWindow: 'BG-1' }),
      row('5', { status: 'error', errorKind: 'blocked-by-scp', password: '' }),
      row('6', { status: 'error', errorKind: 'blocked-by-scp', password: '' }),
      row('7', { status: 'error', errorKind: 'throttled', password: '' }),
    ]);
    expect(s).toMatchObject({
      accounts: 7,
      clean: 1,
      present: 2,
      expected: 1,
      withPassword: 1,
      withAccessKeys: 1,
      withCertificates: 0,
      withMfa: 1,
      failed: 3,
    });
    expect(s.reasons).toEqual([
      { kind: 'blocked-by-scp', label: 'root sessions denied by an SCP', count: 2 },
      { kind: 'throttled', label: 'throttled by AWS after retries', count: 1 },
    ]);
  });
});

describe('estimatedFinish', () => {
  const run: OrgAuditRun = { id: 'OA-1', requestedBy: 'U1', startedAt: 0, state: 'running', done: 0 };
  it('projects the pace so far over the accounts left', () => {
    expect(estimatedFinish({ ...run, total: 1000, done: 250 }, 10_000)).toBe(40_000);
  });
  it('is unknown before the total or any progress is known', () => {
    expect(estimatedFinish({ ...run, done: 10 }, 1_000)).toBeUndefined();
    expect(estimatedFinish({ ...run, total: 10 }, 1_000)).toBeUndefined();
  });
  it('is the finish time once done', () => {
    expect(estimatedFinish({ ...run, state: 'done', finishedAt: 7 }, 1_000)).toBe(7);
  });
});

describe('orgAuditCsv', () => {
  it('has a header, one row per account in id order, and quotes what needs it', () => {
    const csv = orgAuditCsv([row('2', { name: 'a, "b"' }), row('1')]);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.accountId)).toEqual(['1', '2']);
    expect(rows[1]?.name).toBe('a, "b"');
    expect(csv.split('\n')[0]).toBe(
      'accountId,name,status,password,accessKeys,signingCertificates,mfaDevices,errorKind,detail,openWindow',
    );
  });
});
