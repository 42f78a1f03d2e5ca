import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { estimatedFinish, type OrgAuditRun, reasonLabel, summarize } from '../../src/domain/org-audit.js';
import { orgAuditCsv } from '../../src/domain/org-audit-csv.js';
import { orgAuditRowFixture } from '../support/fixtures.js';

const row = orgAuditRowFixture;

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

  it('counts each credential once per account outside a window, and only present accounts as expected', () => {
    const s = summarize([
      row('1', { status: 'error', errorKind: 'transient', password: '' }),
      row('2', {
        status: 'present',
        password: 'yes',
        accessKeys: 'AKIA1 (Active)',
        signingCertificates: 'C1',
      }),
      row('3', { status: 'present', password: 'no', mfaDevices: 'GAHT1' }),
      row('4', { status: 'error', errorKind: 'throttled', password: '' }),
      row('5', { status: 'present', password: 'yes', accessKeys: 'AKIA2 (Inactive)' }),
      row('6', { status: 'error', errorKind: 'not-active', password: '' }),
      row('7', { status: 'clean', openWindow: 'BG-2' }),
      row('8', { status: 'error', errorKind: 'throttled', password: '' }),
      row('9', {
        status: 'present',
        password: 'yes',
        accessKeys: 'AKIA3 (Active)',
        signingCertificates: 'C3',
        mfaDevices: 'GAHT3',
        openWindow: 'BG-1',
      }),
      row('10', { status: 'error', errorKind: 'blocked-by-scp', password: '' }),
      row('11', { status: 'error', errorKind: 'AccessDenied', password: '' }),
    ]);
    expect(s).toEqual({
      accounts: 11,
      clean: 1,
      present: 3,
      expected: 1,
      withPassword: 2,
      withAccessKeys: 2,
      withCertificates: 1,
      withMfa: 1,
      failed: 6,
      reasons: [
        { kind: 'throttled', label: 'throttled by AWS after retries', count: 2 },
        { kind: 'AccessDenied', label: 'AccessDenied', count: 1 },
        { kind: 'blocked-by-scp', label: 'root sessions denied by an SCP', count: 1 },
        { kind: 'not-active', label: 'not ACTIVE (suspended or closing)', count: 1 },
        { kind: 'transient', label: 'AWS failed temporarily', count: 1 },
      ],
    });
  });

  it.each([
    ['blocked-by-scp', 'root sessions denied by an SCP'],
    ['throttled', 'throttled by AWS after retries'],
    ['not-active', 'not ACTIVE (suspended or closing)'],
    ['not-authorized', 'not authorized'],
    ['session-expired', 'root session expired'],
    ['transient', 'AWS failed temporarily'],
    ['region-disabled', 'STS region disabled'],
    ['SomethingNew', 'SomethingNew'],
  ])('names the failure reason %s as %j', (kind, label) => expect(reasonLabel(kind)).toBe(label));
});

describe('estimatedFinish', () => {
  const run: OrgAuditRun = { id: 'OA-1', requestedBy: 'U1', startedAt: 0, state: 'running', done: 0 };
  it('projects the pace so far over the accounts left', () => {
    expect(estimatedFinish({ ...run, total: 1000, done: 250 }, 10_000)).toBe(40_000);
    expect(estimatedFinish({ ...run, startedAt: 5_000, total: 1000, done: 250 }, 15_000)).toBe(45_000);
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
