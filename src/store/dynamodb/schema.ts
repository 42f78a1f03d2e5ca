/**
 * The table's shape and schema version. At start-up the store checks that the
 * table exists with the keys and indexes of table.ts, reads the version from
 * the `META` item, migrates forward, and refuses a version newer than it knows.
 * `breakglass init-table` creates the table (local runs and tests; in AWS the
 * CDK stack creates it, and the first start writes the version).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { newerSchemaError, StoreError } from '../store-error.js';
import type { TableContext } from './context.js';
import { isMissingTable, isTableInUse, unlessConditionFailed } from './errors.js';
import { Expr, updateExpression } from './expression.js';
import { moveJobsToLanes } from './migrate-job-lanes.js';
import { GSI1, GSI2, metaKey, SCHEMA_VERSION, TTL_ATTRIBUTE, tableDefinition } from './table.js';

/**
 * Forward migrations: entry i takes the table from version i + 1 to i + 2.
 * Append, never edit. (Version 1 is the first: nothing to migrate yet.)
 */
const MIGRATIONS: ((t: TableContext) => Promise<void>)[] = [
  // 1 → 2: bulk jobs get a gsi1 partition of their own
  async (t) => {
    await moveJobsToLanes(t);
  },
];

if (MIGRATIONS.length !== SCHEMA_VERSION - 1) throw new Error('bug: SCHEMA_VERSION and MIGRATIONS disagree');

export function missingTableError(table: string): StoreError {
  return new StoreError(
    'missing-table',
    `DynamoDB table "${table}" does not exist: create it with \`breakglass init-table --table ${table}\` (in AWS, deploy infra/)`,
  );
}

/** Checks the table's keys and indexes against table.ts. */
export async function checkTable(client: DynamoDBClient, table: string): Promise<void> {
  let described: DescribeTableCommandOutput;
  try {
    described = await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    if (isMissingTable(error)) throw missingTableError(table);
    throw error;
  }
  const keys = (described.Table?.KeySchema ?? []).map((k) => k.AttributeName).join(',');
  const indexes = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const missing = [GSI1, GSI2].filter((name) => !indexes.has(name));
  if (keys !== 'pk,sk' || missing.length) {
    throw new StoreError(
      'wrong-table',
      `DynamoDB table "${table}" is not a breakglass table (keys ${keys || 'none'}${missing.length ? `, missing index ${missing.join(' and ')}` : ''}): use a table made by \`breakglass init-table\` or infra/`,
    );
  }
}

/** Reads the schema version, writes it on a new table, migrates forward; refuses a newer one. */
export async function migrateForward(t: TableContext): Promise<number> {
  // Each pass either finishes or finds that another replica moved the version meanwhile: a few passes suffice.
  for (let pass = 0; pass < SCHEMA_VERSION + 3; pass++) {
    const meta = await t.doc.send(
      new GetCommand({ TableName: t.name, Key: metaKey(), ConsistentRead: true }),
    );
    const version = meta.Item?.schemaVersion as number | undefined;
    if (version !== undefined && version > SCHEMA_VERSION) {
      throw newerSchemaError(`DynamoDB table "${t.name}"`, version, SCHEMA_VERSION);
    }
    if (version === SCHEMA_VERSION) return version;
    // No version yet: a table made by infra/, laid out as this code expects from the start.
    const from = version ?? SCHEMA_VERSION;
    if (version !== undefined) await MIGRATIONS[version - 1]?.(t);
    const e = new Expr();
    const moved = await unlessConditionFailed(
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: metaKey(),
          ConditionExpression:
            version === undefined
              ? `attribute_not_exists(${e.n('schemaVersion')})`
              : `${e.n('schemaVersion')} = ${e.v(version)}`,
          UpdateExpression: updateExpression(
            e.set({ schemaVersion: version === undefined ? from : version + 1, writtenAt: Date.now() }),
          ),
          ...e.params(),
        }),
      ),
    );
    if (moved && version === undefined) return from;
  }
  throw new Error(
    `DynamoDB table "${t.name}": its schema version keeps changing; is another migration running?`,
  );
}

/**
 * Creates the table with its indexes and TTL, and writes the schema version.
 * Returns false when it already existed (its shape is checked then).
 */
export async function initTable(client: DynamoDBClient, t: TableContext): Promise<boolean> {
  let created = true;
  try {
    await client.send(new CreateTableCommand(tableDefinition(t.name)));
  } catch (error) {
    if (!isTableInUse(error)) throw error;
    created = false;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: t.name });
  await checkTable(client, t.name);
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: t.name,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    // Already enabled on an existing table: DynamoDB refuses to enable it twice.
    if (created || !(error instanceof Error && /already enabled/i.test(error.message))) throw error;
  }
  await migrateForward(t);
  return created;
}
