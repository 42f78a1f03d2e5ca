import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { HardenAccount } from '../../src/domain/harden.js';
import { HARDEN_COLUMNS, hardenCsv } from '../../src/domain/harden-csv.js';

const row = (accountId: string, extra: Partial<HardenAccount> = {}): HardenAccount => ({
  accountId,
  name: `name-${accountId}`,
  state: 'pending',
  attempts: 0,
  ...extra,
});

function rows(csv: string): Record<string, string>[] {
  return parse(csv, { columns: true });
}

describe('the bulk hardening CSV', () => {
  it('has a header with every column, in order', () => {
    const [header] = hardenCsv({}, []).split('\n');
    expect(header).toBe(HARDEN_COLUMNS.join(','));
  });

  it('lists every account once, sorted by account id', () => {
    const csv = hardenCsv({}, [row('300000000003'), row('100000000001'), row('200000000002')]);
    expect(rows(csv).map((r) => r.accountId)).toEqual(['100000000001', '200000000002', '300000000003']);
  });

  it('does not reorder the caller’s array', () => {
    const accounts = [row('2'), row('1')];
    hardenCsv({}, accounts);
    expect(accounts.map((a) => a.accountId)).toEqual(['2', '1']);
  });

  it('writes a verified account with what was removed and when, and no stale error', () => {
    const [r] = rows(
      hardenCsv({}, [
        row('1', {
          present: 'password, 1 access key',
          state: 'done',
          attempts: 2,
          removed: 'password, access key AKIA…',
          error: 'Throttling on the first attempt',
          verifiedAt: Date.UTC(2026, 10, 26, 12, 0, 0),
        }),
      ]),
    );
    expect(r).toEqual({
      accountId: '1',
      name: 'name-1',
      presentAtRequest: 'password, 1 access key',
      state: 'done',
      attempts: '2',
      removed: 'password, access key AKIA…',
      error: '',
      verifiedAt: '2026-11-26T12:00:00.000Z',
    });
  });

  it('keeps the error of an account that is not done, and leaves unknown fields empty', () => {
    const [r] = rows(
      hardenCsv({}, [row('1', { state: 'failed', attempts: 3, error: 'AccessDenied by an SCP' })]),
    );
    expect(r).toMatchObject({
      presentAtRequest: '',
      state: 'failed',
      attempts: '3',
      removed: '',
      error: 'AccessDenied by an SCP',
      verifiedAt: '',
    });
  });

  it('says why the preview could not be read when nothing was read', () => {
    const [r] = rows(hardenCsv({}, [row('1', { previewError: 'AccessDenied' })]));
    expect(r?.presentAtRequest).toBe('not readable: AccessDenied');
    // Still pending, with no error of its own.
    expect(r?.error).toBe('');
  });

  it('prefers what was read over a preview error', () => {
    const [r] = rows(hardenCsv({}, [row('1', { present: 'nothing', previewError: 'Throttling' })]));
    expect(r?.presentAtRequest).toBe('nothing');
  });

  it('marks given-up and held accounts as such', () => {
    const csv = hardenCsv({ givenUp: { userId: 'U1', at: 0, accounts: ['1'] } }, [
      row('1', { state: 'failed' }),
      row('2', { heldBy: 'BG-7' }),
    ]);
    expect(rows(csv).map((r) => r.state)).toEqual(['given-up', 'held']);
  });

  it('quotes names that hold commas, quotes and line breaks so the columns stay put', () => {
    const csv = hardenCsv({}, [row('1', { name: 'a, "b"\nc' })]);
    expect(rows(csv)[0]?.name).toBe('a, "b"\nc');
  });
});
