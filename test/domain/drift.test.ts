import { describe, expect, it } from 'vitest';
import {
  type DriftInput,
  type DriftRecord,
  decideDrift,
  describePresent,
  fingerprint,
  NOTHING_PRESENT,
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

  it('names every kind of credential, each kind sorted, a password without a date as ?', () => {
    const all = present({
      password: {},
      accessKeys: [key('AKIA2'), key('AKIA1')],
      signingCertificates: [
        { id: 'CERT2', status: 'Active' },
        { id: 'CERT1', status: 'Inactive' },
      ],
      mfaDevices: [{ serial: 'arn:mfa/b' }, { serial: 'arn:mfa/a' }],
    });
    expect(fingerprint(all)).toBe(
      'password:?|key:AKIA1|key:AKIA2|cert:CERT1|cert:CERT2|mfa:arn:mfa/a|mfa:arn:mfa/b',
    );
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

  it('a reminder repeats what is present, without a previous list', () => {
    const d = decide([row('111111111111', keyed)], [record('111111111111', keyed, NOW - 8 * DAY)]);
    expect(d.alerts.map((a) => a.alert)).toEqual([
      {
        kind: 'reminder',
        accountId: '111111111111',
        name: 'acct-111111111111',
        present: keyed,
        since: NOW - 8 * DAY,
      },
    ]);
  });

  it('alerts a changed drift (a new key) again, with what it replaced', () => {
    const more = present({ accessKeys: [key('AKIAOLD'), key('AKIANEW')] });
    const d = decide([row('111111111111', more)], [record('111111111111', keyed, NOW - DAY)]);
    expect(kinds(d)).toEqual([['111111111111', 'changed']]);
    expect(d.alerts[0]?.alert.previous).toEqual(keyed);
    expect(d.alerts[0]?.record.fingerprint).toBe('key:AKIANEW|key:AKIAOLD');
  });

  it('dates a changed drift from now, not from when the old one was first seen', () => {
    const more = present({ accessKeys: [key('AKIAOLD'), key('AKIANEW')] });
    const d = decide([row('111111111111', more)], [record('111111111111', keyed, NOW - DAY)]);
    expect(d.alerts[0]?.alert.since).toBe(NOW);
    expect(d.alerts[0]?.record).toEqual({
      accountId: '111111111111',
      name: 'acct-111111111111',
      fingerprint: 'key:AKIANEW|key:AKIAOLD',
      present: more,
      since: NOW,
      alertedAt: NOW,
      alertRunId: 'OA-NEW',
    });
  });

  it('alerts credentials reported present but not listed once, as drift of unknown content (fail closed)', () => {
    const unlisted: DriftInput = { ...row('111111111111'), status: 'present' };
    const d = decide([unlisted]);
    expect(d.alerts).toEqual([
      {
        alert: {
          kind: 'new',
          accountId: '111111111111',
          name: 'acct-111111111111',
          present: NOTHING_PRESENT,
          since: NOW,
        },
        record: {
          accountId: '111111111111',
          name: 'acct-111111111111',
          fingerprint: '',
          present: NOTHING_PRESENT,
          since: NOW,
          alertedAt: NOW,
          alertRunId: 'OA-NEW',
        },
      },
    ]);
    const rec = d.alerts[0]?.record as DriftRecord;
    expect(decide([unlisted], [rec], NOW + 30 * DAY)).toEqual({ alerts: [], resolved: [], expected: [] });
  });

  it('goes by the reported status: a clean account resolves its drift, window or leftover list aside', () => {
    const rec = record('111111111111', keyed, NOW - DAY);
    const clean: DriftInput = { ...row('111111111111', undefined, 'BG-OPEN'), present: keyed };
    expect(decide([clean], [rec])).toEqual({ alerts: [], resolved: [rec], expected: [] });
  });

  it('records a drift that disappeared as resolved', () => {
    const rec = record('111111111111', keyed, NOW - DAY);
    const d = decide([row('111111111111')], [rec]);
    expect(d.resolved).toEqual([rec]);
    expect(d.alerts).toEqual([]);
  });

  it('leaves a record alone when the account is inside a window now', () => {
    const rec = record('111111111111', keyed, NOW - 30 * DAY);
    const inside = decide([row('111111111111', keyed, 'BG-OPEN')], [rec]);
    expect(inside.alerts).toEqual([]);
    expect(inside.resolved).toEqual([]);
  });
});

describe('an account that could not be audited', () => {
  const ID = '111111111111';
  const keyed = present({ accessKeys: [key('AKIAOLD')] });
  const failed = (errorKind: string): DriftInput => ({ ...row(ID), status: 'error', errorKind });

  it('is alerted once as not auditable, never resolved, and keeps what was last seen', () => {
    const rec = record(ID, keyed, NOW - 3 * DAY);
    const d = decide([failed('blocked-by-scp')], [rec]);
    expect(d.resolved).toEqual([]);
    expect(d.alerts).toEqual([
      {
        alert: {
          kind: 'unauditable',
          accountId: ID,
          name: `acct-${ID}`,
          present: keyed,
          since: rec.since,
          reason: 'blocked-by-scp',
        },
        record: { ...rec, alertedAt: NOW, alertRunId: 'OA-NEW', unauditable: 'blocked-by-scp' },
      },
    ]);
    const blind = d.alerts[0]?.record as DriftRecord;
    // The next run, same reason: nothing; a week later: reminded; another reason: alerted again.
    expect(decide([failed('blocked-by-scp')], [blind], NOW + DAY).alerts).toEqual([]);
    expect(kinds(decide([failed('blocked-by-scp')], [blind], NOW + 7 * DAY))).toEqual([[ID, 'unauditable']]);
    expect(decide([failed('not-authorized')], [blind], NOW + DAY).alerts[0]?.alert).toMatchObject({
      reason: 'not-authorized',
    });
  });

  it('is alerted with nothing seen when it never had a record; an unknown reason is alerted too', () => {
    const d = decide([failed('blocked-by-scp')]);
    expect(d.alerts[0]?.alert).toMatchObject({ kind: 'unauditable', present: NOTHING_PRESENT, since: NOW });
    expect(d.alerts[0]?.record).toMatchObject({ fingerprint: '', unauditable: 'blocked-by-scp', since: NOW });
    expect(decide([{ ...row(ID), status: 'error' }]).alerts[0]?.alert.reason).toBe('unknown');
  });

  it.each([
    'not-active',
    'throttled',
    'transient',
    'session-expired',
    'temporarily-unmodifiable',
    'concurrent-modification',
  ])('is not alerted when %s (on purpose, or it passes by itself), and its record stays', (kind) => {
    const rec = record(ID, keyed, NOW - DAY);
    expect(decide([failed(kind)], [rec])).toEqual({ alerts: [], resolved: [], expected: [] });
  });

  it('does not flap: present, blind, present, blind alerts once, then nothing until the reminder', () => {
    let records: DriftRecord[] = [];
    const said: string[] = [];
    const runs: DriftInput[] = [
      row(ID, keyed),
      failed('blocked-by-scp'),
      row(ID, keyed),
      failed('blocked-by-scp'),
    ];
    runs.forEach((input, day) => {
      const d = decide([input], records, NOW + day * DAY);
      for (const a of d.alerts) said.push(a.alert.kind);
      records = d.alerts.length ? d.alerts.map((a) => a.record) : records;
    });
    expect(said).toEqual(['new', 'unauditable']);
  });

  it('once auditable again: the same credentials are no new drift, others a change, none resolved', () => {
    const blind: DriftRecord = { ...record(ID, keyed, NOW - DAY), unauditable: 'blocked-by-scp' };
    expect(decide([row(ID, keyed)], [blind]).alerts).toEqual([]);
    expect(kinds(decide([row(ID, keyed)], [blind], NOW + 7 * DAY))).toEqual([[ID, 'reminder']]);
    const other = present({ accessKeys: [key('AKIA9')] });
    expect(kinds(decide([row(ID, other)], [blind]))).toEqual([[ID, 'changed']]);
    expect(decide([row(ID)], [blind]).resolved).toEqual([blind]);
  });

  it('once auditable again after nothing was ever seen: credentials are new, a clean account resolved', () => {
    const blind: DriftRecord = { ...record(ID, NOTHING_PRESENT, NOW - DAY), unauditable: 'blocked-by-scp' };
    expect(decide([row(ID, keyed)], [blind]).alerts.map((a) => a.alert)).toEqual([
      { kind: 'new', accountId: ID, name: `acct-${ID}`, present: keyed, since: NOW },
    ]);
    expect(decide([row(ID)], [blind]).resolved).toEqual([blind]);
    // Reported present but not listed, after a blind spell: alerted (fail closed), once.
    const unlisted: DriftInput = { ...row(ID), status: 'present', present: NOTHING_PRESENT };
    const first = decide([unlisted], [blind]);
    expect(kinds(first)).toEqual([[ID, 'new']]);
    expect(
      decide(
        [unlisted],
        first.alerts.map((a) => a.record),
        NOW + DAY,
      ).alerts,
    ).toEqual([]);
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

  it('says so when a date is unknown or a credential was never used, and lists no password when there is none', () => {
    const lines = describePresent(
      present({
        accessKeys: [{ id: 'AKIA1', status: 'Inactive' }],
        signingCertificates: [{ id: 'CERT1', status: 'Active' }],
        mfaDevices: [{ serial: 'arn:mfa/root' }],
      }),
    );
    expect(lines).toEqual([
      'access key AKIA1 (Inactive, created date unknown, never used)',
      'signing certificate CERT1 (Active, uploaded date unknown)',
      'MFA device arn:mfa/root (enabled date unknown)',
    ]);
  });

  it.each<[string, PresentCredentials, string[]]>([
    [
      'a password last used',
      present({ password: { createdAt: '2026-03-04T05:06:07Z', lastUsedAt: '2026-11-29T23:00:00Z' } }),
      ['password (login profile created 2026-03-04, last used 2026-11-29)'],
    ],
    [
      'a password without dates',
      present({ password: {} }),
      ['password (login profile created date unknown, never used)'],
    ],
    ['nothing listed', present({}), ['root credentials reported present, but none could be listed']],
  ])('describes %s', (_, p, expected) => expect(describePresent(p)).toEqual(expected));
});

describe('parseInterval', () => {
  it.each([
    ['7d', 7 * 86_400],
    ['14d', 14 * 86_400],
    ['7 D', 7 * 86_400],
    [' 7d ', 7 * 86_400],
    ['24h', 86_400],
    ['90m', 5_400],
  ])('reads %j', (text, seconds) => expect(parseInterval(text)).toBe(seconds));
  it.each(['', '0d', 'd', 'weekly', '1w', '7days', 'x7d', '1h7d'])('refuses %j', (text) =>
    expect(parseInterval(text)).toBeUndefined(),
  );
});
