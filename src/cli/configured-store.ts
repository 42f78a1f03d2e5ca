/**
 * The store the bot is configured with (BREAKGLASS_STORE, BREAKGLASS_DB,
 * BREAKGLASS_TABLE), opened read-mostly for an operator command (`history`,
 * `drift`). A missing SQLite file is said, never created.
 */
import { existsSync } from 'node:fs';
import type { AwsSettings } from '../config/aws-settings.js';
import { DynamoDbStore } from '../store/dynamodb-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { StoreError } from '../store/store-error.js';
import { storeClientConfig } from './commands/store.js';
import { CliError } from './io.js';

const DEFAULT_DB = './data/breakglass.db';

/** True when the environment names a store (else a command that can do without one does). */
export function storeConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.BREAKGLASS_STORE || env.BREAKGLASS_DB || env.BREAKGLASS_TABLE);
}

function storeConfig(env: NodeJS.ProcessEnv) {
  const kind = env.BREAKGLASS_STORE ?? 'sqlite';
  if (kind === 'dynamodb') {
    if (!env.BREAKGLASS_TABLE) throw new CliError('BREAKGLASS_STORE=dynamodb needs BREAKGLASS_TABLE', 2);
    return { kind: 'dynamodb' as const, table: env.BREAKGLASS_TABLE };
  }
  if (kind !== 'sqlite') throw new CliError(`BREAKGLASS_STORE must be sqlite or dynamodb, not "${kind}"`, 2);
  const file = env.BREAKGLASS_DB ?? DEFAULT_DB;
  // Opening would create an empty database: say there is none instead.
  if (!existsSync(file))
    throw new CliError(`no database at ${file}`, 1, "set BREAKGLASS_DB to the bot's SQLite file");
  return { kind: 'sqlite' as const, file };
}

export async function openConfiguredStore(env: NodeJS.ProcessEnv, aws: AwsSettings): Promise<Store> {
  const config = storeConfig(env);
  try {
    return config.kind === 'sqlite'
      ? new SqliteStore(config.file)
      : await DynamoDbStore.open({ table: config.table, client: storeClientConfig(aws) });
  } catch (error) {
    if (error instanceof StoreError) throw new CliError(error.message, 1);
    throw error;
  }
}
