/** A bulk hardening as CSV (the file in its message's thread): one row per account. Pure. */
import { stringify } from 'csv-stringify/sync';
import { accountStatus, type HardenAccount, type Hardening } from './harden.js';

export const HARDEN_COLUMNS = [
  'accountId',
  'name',
  'presentAtRequest',
  'state',
  'attempts',
  'removed',
  'error',
  'verifiedAt',
] as const;

export function hardenCsv(h: Pick<Hardening, 'givenUp'>, accounts: readonly HardenAccount[]): string {
  const sorted = [...accounts].sort((a, b) => a.accountId.localeCompare(b.accountId));
  return stringify(
    sorted.map((a) => [
      a.accountId,
      a.name,
      a.present ?? (a.previewError ? `not readable: ${a.previewError}` : ''),
      accountStatus(h, a),
      String(a.attempts),
      a.removed ?? '',
      a.state === 'done' ? '' : (a.error ?? ''),
      a.verifiedAt ? new Date(a.verifiedAt).toISOString() : '',
    ]),
    { header: true, columns: [...HARDEN_COLUMNS] },
  );
}
