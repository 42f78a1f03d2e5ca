import { describe, expect, it } from 'vitest';
import {
  type DriftInput,
  type DriftRecord,
  decideDrift,
  describePresent,
  fingerprint,
  type PresentCredentials,
} from '../../src/domain/drift.js';
import { parseInterval } from '../../src/domain/durations.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T00:00:00Z');
const key = (id: string) => ({ id, status: 'Active', createdAt: '2026-11-02T10:00:00Z' });
const present = (p: Partial<PresentCredentials>): PresentCredentials => ({
  accessKeys: [],
  signingCertificates: [],
  mfaDevices: [],
  ...p,
});
const row = (accountId: string, p?: PresentCredentials, openWindow = ''): DriftInput => ({
  accountId,
  name: `acct-${accountId}`,
  status: p ? 'present' : 'clean',
  openWindow,
  ...(p ? { present: p } : {}),
});
const record = (accountId: string, p: PresentCredentials, alertedAt: number): DriftRecord => ({
  accountId,
  name: `acct-${accountId}`,
  fingerprint: fingerprint(p),
  present: p,
  since: alertedAt,
  alertedAt,
  alertRunId: 'OA-OLD',
});
const decide = (rows: DriftInput[], records: DriftRecord[] = [], now = NOW) =>
  decideDrift(rows, records, { now, remindMs: 7 * DAY, runId: 'OA-NEW' });
const kinds = (d: ReturnType<typeof decide>) => d.alerts.map((a) => [a.alert.accountId, a.alert.kind]);

describe('fingerprint', () => {
  it('names what is present by ids, in a stable order', () => {
    const a = present({ accessKeys: [key('AKIA2'), key('AKIA1')], mfaDevices: [{ serial: 'arn:mfa/root' }] });
    const b = present({ accessKeys: [key('AKIA1'), key('AKIA2')], mfaDevices: [{ serial: 'arn:mfa/root' }] });
    expect(fingerprint(a)).toBe('key:AKIA1|key:AKIA2|mfa:arn:mfa/root');
    expect(fingerprint(b)).toBe(fingerprint(a));
  });

  it('tells a password set again (a new login profile) from the old one', () => {
    const old = present({ password: { createdAt: '2026-01-01T00:00:00Z' } });
    const again = present({ password: { createdAt: '2026-11-30T00:00:00Z' } });
    expect(fingerprint(again)).not.toBe(fingerprint(old));
    expect(fingerprint(present({}))).toBe('');
  });
});

describe('decideDrift', () => {
  const keyed = present({ accessKeys: [key('AKIAOLD')] });

  it('alerts credentials outside a window, not those inside one, nor clean accounts', () => {
    const d = decide([
      row('111111111111', keyed),
      row('222222222222', keyed, 'BG-OPEN'),
      row('333333333333'),
    ]);
    expect(kinds(d)).toEqual([['111111111111', 'new']]);
    expect(d.expected).toEqual(['222222222222']);
    expect(d.resolved).toEqual([]);
    expect(d.alerts[0]?.record).toMatchObject({
      fingerprint: 'key:AKIAOLD',
      alertedAt: NOW,
      alertRunId: 'OA-NEW',
    });
  });

  it('does not alert an unchanged drift again before the remind interval', () => {
    const d = decide([row('111111111111', keyed)], [record('111111111111', keyed, NOW - 7 * DAY + 1)]);
    expect(d.alerts).toEqual([]);
  });

  it('reminds once the interval has passed, keeping when the drift was first seen', () => {
    const first = NOW - 7 * DAY;
    const d = decide([row('111111111111', keyed)], [record('111111111111', keyed, first)]);
    expect(kinds(d)).toEqual([['111111111111', 'reminder']]);
    expect(d.alerts[0]?.alert.since).toBe(first);
    expect(d.alerts[0]?.record.alertedAt).toBe(NOW);
  });

  it('alerts a changed drift (a new key) again, with what it replaced', () => {
    const more = present({ accessKeys: [key('AKIAOLD'), key('AKIANEW')] });
    const d = decide([row('111111111111', more)], [record('111111111111', keyed, NOW - DAY)]);
    expect(kinds(d)).toEqual([['111111111111', 'changed']]);
    expect(d.alerts[0]?.alert.previous).toEqual(keyed);
    expect(d.alerts[0]?.record.fingerprint).toBe('key:AKIANEW|key:AKIAOLD');
  });

  it('records a drift that disappeared as resolved', () => {
    const rec = record('111111111111', keyed, NOW - DAY);
    const d = decide([row('111111111111')], [rec]);
    expect(d.resolved).toEqual([rec]);
    expect(d.alerts).toEqual([]);
  });

  it('leaves a record alone when the account could not be audited or is inside a window now', () => {
    const rec = record('111111111111', keyed, NOW - 30 * DAY);
    const failed: DriftInput = { ...row('111111111111'), status: 'error' };
    expect(decide([failed], [rec])).toEqual({ alerts: [], resolved: [], expected: [] });
    const inside = decide([row('111111111111', keyed, 'BG-OPEN')], [rec]);
    expect(inside.alerts).toEqual([]);
    expect(inside.resolved).toEqual([]);
  });
});

describe('describePresent', () => {
  it('says when each credential was created and last used', () => {
    const lines = describePresent(
      present({
        password: { createdAt: '2026-03-04T05:06:07Z' },
        accessKeys: [
          { ...key('AKIA1'), lastUsed: { at: '2026-11-20T00:00:00Z', service: 's3', region: 'us-east-1' } },
        ],
        signingCertificates: [{ id: 'CERT1', status: 'Active', uploadedAt: '2026-02-01T00:00:00Z' }],
        mfaDevices: [{ serial: 'arn:aws:iam::111111111111:mfa/root', enabledAt: '2026-01-01T00:00:00Z' }],
      }),
    );
    expect(lines).toEqual([
      'password (login profile created 2026-03-04, never used)',
      'access key AKIA1 (Active, created 2026-11-02, last used 2026-11-20 (s3, us-east-1))',
      'signing certificate CERT1 (Active, uploaded 2026-02-01)',
      'MFA device arn:aws:iam::111111111111:mfa/root (enabled 2026-01-01)',
    ]);
  });
});

describe('parseInterval', () => {
  it.each([
    ['7d', 7 * 86_400],
    ['24h', 86_400],
    ['90m', 5_400],
  ])('reads %s', (text, seconds) => expect(parseInterval(text)).toBe(seconds));
  it.each(['', '0d', 'd', 'weekly', '1w'])('refuses %j', (text) =>
    expect(parseInterval(text)).toBeUndefined(),
  );
});
