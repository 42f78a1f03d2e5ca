/**
 * Why a store cannot be opened, as one line an operator can act on. The bot and
 * the CLI print the message alone (no stack trace) and exit non-zero.
 */
export type StoreErrorKind =
  /** the DynamoDB table does not exist: `breakglass init-table` creates it */
  | 'missing-table'
  /** the data was written by a newer version of breakglass: never migrated backward */
  | 'newer-schema'
  /** the table exists but is not a breakglass table (other keys, indexes missing) */
  | 'wrong-table'
  /** a file to read (an SQLite database to migrate) cannot be opened */
  | 'unreadable';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function newerSchemaError(where: string, found: number, known: number): StoreError {
  return new StoreError(
    'newer-schema',
    `${where} has schema version ${found}, newer than this breakglass knows (${known}): run the newer release, or restore a backup taken before the upgrade`,
  );
}
