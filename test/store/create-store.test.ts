/** Opening the store the configuration names, and the DynamoDB client's limits. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStore, dynamoClientConfig } from '../../src/store/create-store.js';
import { DynamoDbStore } from '../../src/store/dynamodb-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/store-error.js';
import { freshDynamoStore, type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-env.js';
import { requestFixture } from '../support/fixtures.js';
import {
  type LocalServer,
  type SilentServer,
  startLocalServer,
  startSilentServer,
} from '../support/local-server.js';

let local: LocalDynamoDb;
beforeAll(async () => {
  local = await startLocalDynamoDb();
});
afterAll(() => local.close());

/** The process environment a replica has: endpoint and credentials, and no region unless given. */
function stubAwsEnv(endpoint: string): void {
  const { AWS_REGION: _, ...env } = local.env();
  for (const [name, value] of Object.entries({ ...env, AWS_ENDPOINT_URL_DYNAMODB: endpoint })) {
    vi.stubEnv(name, value);
  }
  vi.stubEnv('AWS_REGION', undefined);
  vi.stubEnv('AWS_DEFAULT_REGION', undefined);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', join(tmpdir(), 'bg-no-aws-config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(tmpdir(), 'bg-no-aws-credentials'));
}
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createStore', () => {
  it('opens an SQLite file when the configuration names one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bg-create-')), 'breakglass.db');
    const store = await createStore({ store: { kind: 'sqlite', file } });
    expect(store).toBeInstanceOf(SqliteStore);
    await store.createRequest(requestFixture('BG-1'));
    await store.close();
    const again = new SqliteStore(file);
    expect((await again.getRequest('BG-1'))?.version).toBe(1);
    await again.close();
  });

  it('opens the DynamoDB table the configuration names, in the region given', async () => {
    const table = (await freshDynamoStore(local)).table;
    stubAwsEnv(local.endpoint);
    const store = await createStore({ store: { kind: 'dynamodb', table } }, { region: 'us-east-1' });
    expect(store).toBeInstanceOf(DynamoDbStore);
    expect((store as DynamoDbStore).table).toBe(table);
    await store.createRequest(requestFixture('BG-1'));
    expect((await store.getRequest('BG-1'))?.version).toBe(1);
    await store.close();
  });

  it('names init-table for a missing DynamoDB table', async () => {
    stubAwsEnv(local.endpoint);
    const error = await createStore(
      { store: { kind: 'dynamodb', table: 'bg-absent' } },
      { region: 'us-east-1' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).kind).toBe('missing-table');
  });

  describe('against a DynamoDB endpoint that keeps failing', () => {
    let failing: LocalServer;
    let requests = 0;
    beforeAll(async () => {
      failing = await startLocalServer((_req, res) => {
        requests += 1;
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'down' }),
        );
      });
    });
    afterAll(() => failing.close());

    it('gives up after four attempts, so that a click fails fast', async () => {
      stubAwsEnv(failing.endpoint);
      const error = await createStore(
        { store: { kind: 'dynamodb', table: 'bg-failing' } },
        { region: 'us-east-1' },
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'InternalServerError' });
      expect(requests).toBe(4);
    });

    it('passes on a failure to create a table, rather than waiting for it', async () => {
      stubAwsEnv(failing.endpoint);
      await expect(
        DynamoDbStore.initTable({ table: 'bg-failing', client: dynamoClientConfig({ region: 'us-east-1' }) }),
      ).rejects.toMatchObject({ name: 'InternalServerError' });
    });
  });

  describe('against a DynamoDB endpoint that takes requests and never answers', () => {
    let silent: SilentServer;
    beforeAll(async () => {
      silent = await startSilentServer();
    });
    afterAll(() => silent.close());

    it('times each attempt out and gives up, so that a stuck call cannot stall a loop', async () => {
      stubAwsEnv(silent.endpoint);
      const error = await createStore(
        { store: { kind: 'dynamodb', table: 'bg-silent' } },
        { region: 'us-east-1', requestTimeoutMs: 150 },
      ).catch((e: unknown) => e);
      // Four attempts, each timed out (counted by the SDK: the server may not yet have seen the last one).
      expect(error).toMatchObject({ name: 'TimeoutError', $metadata: { attempts: 4 } });
      expect(silent.requests).toBeGreaterThanOrEqual(3);
    });
  });
});
