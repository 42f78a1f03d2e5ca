/**
 * Opens the store the configuration names: SQLite (default) or DynamoDB. Either
 * is migrated forward on opening; a missing table, a foreign table or data from
 * a newer release is a StoreError with one line for the operator.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StoreConfig } from '../config/app-config.js';
import { DynamoDbStore } from './dynamodb-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface StoreClientOptions {
  /** AWS region of the table (AWS_REGION) */
  region?: string;
  /** per-attempt time limit of a DynamoDB call, so that a stuck call cannot stall a loop */
  requestTimeoutMs?: number;
}

/** A few attempts: the loops retry on their next tick, and a click should fail fast rather than hang. */
const DYNAMODB_MAX_ATTEMPTS = 4;

export function dynamoClientConfig(options: StoreClientOptions = {}) {
  return {
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: DYNAMODB_MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 3_000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      // Without it the handler only logs a warning when the time is up and the call waits on.
      throwOnRequestTimeout: true,
    }),
  };
}

export async function createStore(
  config: { store: StoreConfig },
  options: StoreClientOptions = {},
): Promise<Store> {
  if (config.store.kind === 'sqlite') return new SqliteStore(config.store.file);
  return DynamoDbStore.open({ table: config.store.table, client: dynamoClientConfig(options) });
}
