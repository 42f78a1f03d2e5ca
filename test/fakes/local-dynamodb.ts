/**
 * A DynamoDB-compatible server for tests, started in-process on an ephemeral
 * port: dynalite (LevelDB in memory) behind a thin front that adds what
 * dynalite 4 lacks and the store needs.
 *
 * - `TransactWriteItems`: all or nothing. Every request to the server runs one
 *   at a time, so a transaction is isolated; each item's condition is evaluated
 *   by dynalite's own expression evaluator against the stored item; if one
 *   fails, nothing is written and the answer is `TransactionCanceledException`
 *   with one `CancellationReasons` entry per item, as DynamoDB answers. Two
 *   operations on one item, or more than 100 items, are a `ValidationException`.
 * - `UpdateTimeToLive` / `DescribeTimeToLive`: recorded and reported (items do
 *   not expire here; the store treats an expired item as absent anyway).
 *
 * Everything else is dynalite's. `calls` counts requests by operation, so a test
 * can say that the store never scans.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

const require = createRequire(import.meta.url);

type AttributeMap = Record<string, unknown>;
interface ParsedOperation {
  TableName: string;
  Key?: AttributeMap;
  Item?: AttributeMap;
  _condition?: unknown;
}
interface DynaliteValidation {
  types: Record<string, unknown>;
  custom: (data: unknown, store: unknown) => string | undefined;
}
interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type: string; message?: string };
}

const validations = require('dynalite/validations/index.js') as {
  checkTypes(data: unknown, types: Record<string, unknown>): ParsedOperation;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: unknown): void;
};
const dynaliteDb = require('dynalite/db/index.js') as {
  checkConditional(
    data: ParsedOperation,
    existing: AttributeMap | undefined,
  ): DynaliteError | null | undefined;
};
const OPERATIONS: Record<string, { action: string; validation: DynaliteValidation }> = {
  Put: { action: 'PutItem', validation: require('dynalite/validations/putItem.js') as DynaliteValidation },
  Update: {
    action: 'UpdateItem',
    validation: require('dynalite/validations/updateItem.js') as DynaliteValidation,
  },
  Delete: {
    action: 'DeleteItem',
    validation: require('dynalite/validations/deleteItem.js') as DynaliteValidation,
  },
  // A condition check has the shape of a conditional delete, without the delete.
  ConditionCheck: {
    action: '',
    validation: require('dynalite/validations/deleteItem.js') as DynaliteValidation,
  },
};
const MAX_TRANSACTION_ITEMS = 100;
const MAX_ITEM_BYTES = 400 * 1024;
const TARGET_PREFIX = 'DynamoDB_20120810.';
const AMZ_JSON = 'application/x-amz-json-1.0';

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? body.__type));
  }
}

const validationError = (message: string) =>
  new ApiError(400, { __type: 'com.amazon.coral.validate#ValidationException', message });

export interface LocalDynamoDb {
  endpoint: string;
  /** requests served, by operation name */
  calls: Map<string, number>;
  /** what a bot process needs to reach this server */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export async function startLocalDynamoDb(): Promise<LocalDynamoDb> {
  const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(backend);
  const backendPort = (backend.address() as AddressInfo).port;
  const calls = new Map<string, number>();
  const ttl = new Map<string, string>();
  const keySchemas = new Map<string, string[]>();

  /** One request at a time: a transaction's reads and writes are never interleaved with another's. */
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };

  const call = async (operation: string, input: unknown): Promise<Record<string, unknown>> => {
    const { status, body } = await forward(backendPort, operation, JSON.stringify(input));
    const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
    if (status !== 200) throw new ApiError(status, parsed);
    return parsed;
  };

  const keyOf = async (table: string, op: ParsedOperation): Promise<AttributeMap> => {
    if (op.Key) return op.Key;
    let names = keySchemas.get(table);
    if (!names) {
      const described = (await call('DescribeTable', { TableName: table })) as {
        Table: { KeySchema: { AttributeName: string }[] };
      };
      names = described.Table.KeySchema.map((k) => k.AttributeName);
      keySchemas.set(table, names);
    }
    return Object.fromEntries(names.map((n) => [n, op.Item?.[n]]));
  };

  const transactWriteItems = async (input: {
    TransactItems?: Record<string, Record<string, unknown>>[];
  }): Promise<Record<string, unknown>> => {
    const items = input.TransactItems ?? [];
    if (items.length === 0 || items.length > MAX_TRANSACTION_ITEMS) {
      throw validationError(
        `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACTION_ITEMS}`,
      );
    }
    const steps: {
      kind: string;
      raw: Record<string, unknown>;
      parsed: ParsedOperation;
      key: AttributeMap;
    }[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const [kind, raw] = Object.entries(item)[0] ?? [];
      const operation = kind ? OPERATIONS[kind] : undefined;
      if (!kind || !raw || !operation)
        throw validationError('TransactItems must name Put, Update, Delete or ConditionCheck');
      const { ReturnValuesOnConditionCheckFailure: _, ...request } = raw;
      const parsed = validations.checkTypes(structuredClone(request), operation.validation.types);
      try {
        validations.checkValidations(parsed, operation.validation.types, operation.validation.custom, {
          options: { maxItemSize: MAX_ITEM_BYTES },
        });
      } catch (error) {
        const e = error as DynaliteError;
        if (e.statusCode && e.body) throw new ApiError(e.statusCode, e.body);
        throw error;
      }
      const key = await keyOf(parsed.TableName, parsed);
      const id = `${parsed.TableName}/${JSON.stringify(key)}`;
      if (seen.has(id))
        throw validationError('Transaction request cannot include multiple operations on one item');
      seen.add(id);
      steps.push({ kind, raw: request, parsed, key });
    }

    const before: (AttributeMap | undefined)[] = [];
    for (const step of steps) {
      const got = await call('GetItem', {
        TableName: step.parsed.TableName,
        Key: step.key,
        ConsistentRead: true,
      });
      before.push(got.Item as AttributeMap | undefined);
    }
    const reasons = steps.map((step, i) =>
      dynaliteDb.checkConditional(step.parsed, before[i])
        ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
        : { Code: 'None' },
    );
    if (reasons.some((r) => r.Code !== 'None')) {
      throw new ApiError(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      });
    }

    // Every condition holds and nothing else runs meanwhile: apply, and undo if a write is refused.
    const applied: number[] = [];
    try {
      for (const [i, step] of steps.entries()) {
        const action = OPERATIONS[step.kind]?.action;
        if (!action) continue;
        await call(action, step.raw);
        applied.push(i);
      }
    } catch (error) {
      for (const i of applied.reverse()) {
        const step = steps[i];
        if (!step) continue;
        const old = before[i];
        if (old) await call('PutItem', { TableName: step.parsed.TableName, Item: old });
        else await call('DeleteItem', { TableName: step.parsed.TableName, Key: step.key });
      }
      throw error;
    }
    return {};
  };

  const handle = async (operation: string, body: string): Promise<{ status: number; body: string }> => {
    try {
      const input = JSON.parse(body || '{}') as Record<string, unknown>;
      if (operation === 'TransactWriteItems') {
        return { status: 200, body: JSON.stringify(await transactWriteItems(input)) };
      }
      if (operation === 'UpdateTimeToLive') {
        const table = String(input.TableName);
        await call('DescribeTable', { TableName: table });
        const spec = input.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean };
        if (spec.Enabled) ttl.set(table, spec.AttributeName);
        else ttl.delete(table);
        return { status: 200, body: JSON.stringify({ TimeToLiveSpecification: spec }) };
      }
      if (operation === 'DescribeTimeToLive' && ttl.has(String(input.TableName))) {
        const description = { TimeToLiveStatus: 'ENABLED', AttributeName: ttl.get(String(input.TableName)) };
        return { status: 200, body: JSON.stringify({ TimeToLiveDescription: description }) };
      }
      return await forward(backendPort, operation, body);
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: JSON.stringify(error.body) };
      throw error;
    }
  };

  const front = createServer((req, res) => {
    readBody(req)
      .then(
        async (body) => {
          const operation = String(req.headers['x-amz-target'] ?? '').replace(TARGET_PREFIX, '');
          calls.set(operation, (calls.get(operation) ?? 0) + 1);
          const answer = await exclusive(() => handle(operation, body));
          res.writeHead(answer.status, {
            'content-type': AMZ_JSON,
            'content-length': Buffer.byteLength(answer.body),
          });
          res.end(answer.body);
        },
        () => res.destroy(),
      )
      .catch(() => {
        res.statusCode = 500;
        res.end();
      });
  });
  await listen(front);
  const endpoint = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  return {
    endpoint,
    calls,
    env: () => ({
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIALOCALDYNAMODB001',
      AWS_SECRET_ACCESS_KEY: 'local-dynamodb-secret-0000000000000000000',
    }),
    async close() {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      backend.closeAllConnections();
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** One request to dynalite itself, signed with a placeholder (dynalite checks the header's shape only). */
function forward(port: number, operation: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': AMZ_JSON,
          'content-length': Buffer.byteLength(body),
          'x-amz-target': `${TARGET_PREFIX}${operation}`,
          'x-amz-date': '20250101T000000Z',
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
      },
      (res) => {
        readBody(res).then((text) => resolve({ status: res.statusCode ?? 500, body: text }), reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
