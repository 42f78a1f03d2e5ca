/** A local DynamoDB for a test file, and fresh tables on it. */
import { randomBytes } from 'node:crypto';
import { DynamoDbStore } from '../../src/store/dynamodb-store.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../fakes/local-dynamodb.js';

export type { LocalDynamoDb };
export { startLocalDynamoDb };

/** SDK client settings that reach the local server (and no credential chain lookups). */
export function localClientConfig(local: LocalDynamoDb) {
  return {
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIALOCALDYNAMODB001', secretAccessKey: 'local-dynamodb-secret' },
    maxAttempts: 2,
  };
}

export function freshTableName(prefix = 'bg-test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Creates a new table (as `breakglass init-table` does) and opens a store on it. */
export async function freshDynamoStore(
  local: LocalDynamoDb,
  table = freshTableName(),
): Promise<DynamoDbStore> {
  await DynamoDbStore.initTable({ table, client: localClientConfig(local) });
  return openDynamoStore(local, table);
}

export function openDynamoStore(local: LocalDynamoDb, table: string): Promise<DynamoDbStore> {
  return DynamoDbStore.open({ table, client: localClientConfig(local) });
}
