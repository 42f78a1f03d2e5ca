/** Store operations: `init-table` (create the DynamoDB table) and `migrate` (SQLite into DynamoDB). */
import type { Command } from 'commander';
import type { AwsSettings } from '../../config/aws-settings.js';
import { dynamoClientConfig } from '../../store/create-store.js';
import { SCHEMA_VERSION, TTL_ATTRIBUTE } from '../../store/dynamodb/table.js';
import { DynamoDbStore } from '../../store/dynamodb-store.js';
import { copySqliteToDynamo } from '../../store/sqlite-to-dynamodb.js';
import { StoreError } from '../../store/store-error.js';
import type { CliContext } from '../context.js';
import { CliError, type CliIo } from '../io.js';

/** `--table`, else BREAKGLASS_TABLE. */
function tableName(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const table = (flag ?? env.BREAKGLASS_TABLE)?.trim();
  if (!table) throw new CliError('give --table <name> or set BREAKGLASS_TABLE', 2);
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw new CliError(`"${table}" is not a DynamoDB table name (3 to 255 letters, digits, _ . -)`, 2);
  }
  return table;
}

/** The DynamoDB client of the CLI's region and profile (`--region`, `--profile`). */
export function storeClientConfig(aws: AwsSettings) {
  return {
    ...dynamoClientConfig({ region: aws.region, requestTimeoutMs: aws.requestTimeoutMs }),
    ...(aws.profile ? { profile: aws.profile } : {}),
  };
}

/** A StoreError is the operator's to fix: one line, exit 1. */
async function storeStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof StoreError) throw new CliError(error.message, 1);
    throw error;
  }
}

export function registerStoreCommands(program: Command, io: CliIo, context: () => CliContext): void {
  program
    .command('init-table')
    .description(
      'create the DynamoDB table of BREAKGLASS_STORE=dynamodb with its indexes and TTL (local runs and tests; in AWS, infra/ creates it)',
    )
    .option('--table <name>', 'table name (default: BREAKGLASS_TABLE)')
    .action(async (flags: { table?: string }) => {
      const { env, aws } = context();
      const table = tableName(flags.table, env);
      const created = await storeStep(() =>
        DynamoDbStore.initTable({ table, client: storeClientConfig(aws) }),
      );
      io.out(
        created
          ? `created table ${table}: indexes gsi1 and gsi2, TTL on ${TTL_ATTRIBUTE}, schema version ${SCHEMA_VERSION}`
          : `table ${table} already exists: keys and indexes checked, schema version ${SCHEMA_VERSION}`,
      );
    });

  program
    .command('migrate')
    .description(
      'copy an SQLite database (requests, open jobs, notices, audit trail) into a DynamoDB table; running it again copies nothing twice',
    )
    .requiredOption('--from <file>', 'the SQLite database (BREAKGLASS_DB of the old bot)')
    .option('--table <name>', 'the DynamoDB table, made by init-table or infra/ (default: BREAKGLASS_TABLE)')
    .action(async (flags: { from: string; table?: string }) => {
      const { env, aws } = context();
      const table = tableName(flags.table, env);
      const store = await storeStep(() => DynamoDbStore.open({ table, client: storeClientConfig(aws) }));
      try {
        const report = await storeStep(() => copySqliteToDynamo(flags.from, store.context));
        for (const [what, count] of Object.entries(report)) {
          io.out(`${what}: ${count.copied} copied, ${count.present} already there`);
        }
        const copied = Object.values(report).reduce((sum, c) => sum + c.copied, 0);
        io.err(`copied ${copied} items from ${flags.from} into ${table}`);
      } finally {
        await store.close();
      }
    });
}
