/** Choosing the store from the environment, and what the bot says when it cannot open it. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-env.js';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  BREAKGLASS_CHANNEL_ID: 'C0123ABCD',
  BREAKGLASS_APPROVERS: 'U0123AAAA, S0123GGGG',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('store settings', () => {
  it('keeps SQLite the default', () => {
    expect(loadConfig(VALID).store).toEqual({ kind: 'sqlite', file: './data/breakglass.db' });
    expect(loadConfig({ ...VALID, BREAKGLASS_DB: '/var/lib/bg.db' }).store).toEqual({
      kind: 'sqlite',
      file: '/var/lib/bg.db',
    });
  });

  it('selects DynamoDB with a table', () => {
    expect(
      loadConfig({ ...VALID, BREAKGLASS_STORE: 'dynamodb', BREAKGLASS_TABLE: 'breakglass' }).store,
    ).toEqual({
      kind: 'dynamodb',
      table: 'breakglass',
    });
  });

  it('requires the table with DynamoDB, and refuses unknown stores and bad names, one line each', () => {
    expect(problems({ ...VALID, BREAKGLASS_STORE: 'dynamodb' })).toEqual([
      'BREAKGLASS_TABLE is required when BREAKGLASS_STORE=dynamodb (the DynamoDB table name)',
    ]);
    expect(problems({ ...VALID, BREAKGLASS_STORE: 'postgres' })).toEqual([
      'BREAKGLASS_STORE must be sqlite or dynamodb (got "postgres")',
    ]);
    expect(problems({ ...VALID, BREAKGLASS_STORE: 'dynamodb', BREAKGLASS_TABLE: 'a b' })).toEqual([
      'BREAKGLASS_TABLE must be a DynamoDB table name (3 to 255 letters, digits, _ . -) (got "a b")',
    ]);
  });
});

describe('starting on a store it cannot use', () => {
  let local: LocalDynamoDb;
  let slack: FakeSlack;
  beforeAll(async () => {
    local = await startLocalDynamoDb();
    slack = await FakeSlack.start({ tokens: [VALID.SLACK_BOT_TOKEN] });
    // The approvers' group reaches a second person: only the store is wrong.
    slack.groups.set('S0123GGGG', ['U0123BBBB']);
  });
  afterAll(async () => {
    await local.close();
    await slack.close();
  });

  /** Runs the bot (src/main.ts) to its exit; the local DynamoDB keeps answering meanwhile. */
  function runBot(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_EC2_METADATA_DISABLED: 'true',
          PORT: '0',
          // Slack accepts the token and AWS credentials are found: only the store is wrong.
          SLACK_API_URL: slack.apiUrl,
          AWS_ACCESS_KEY_ID: 'AKIAFAKE0000000000001',
          AWS_SECRET_ACCESS_KEY: 'fake-secret',
          ...VALID,
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  }

  it('exits 1 with one line naming `breakglass init-table` when the DynamoDB table is missing', async () => {
    const { code, stderr } = await runBot({
      ...local.env(),
      BREAKGLASS_STORE: 'dynamodb',
      BREAKGLASS_TABLE: 'bg-missing',
    });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'store: DynamoDB table "bg-missing" does not exist: create it with `breakglass init-table --table bg-missing` (in AWS, deploy infra/)',
    ]);
  });

  it('exits 1 with one line on an SQLite database from a newer release', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bg-newer-')), 'breakglass.db');
    await new SqliteStore(file).close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    const { code, stderr } = await runBot({ BREAKGLASS_DB: file });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^store: the SQLite database .* has schema version 99, newer than this breakglass knows \\(${SQLITE_SCHEMA_VERSION}\\)`,
        ),
      ),
    ]);
  });
});
