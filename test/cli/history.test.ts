import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { AuditEntry } from '../../src/store/store.js';
import { freshDynamoStore, startLocalDynamoDb } from '../support/dynamodb-env.js';
import { recordingIo } from './recording-io.js';

const DAY = 86_400_000;
const now = Date.now();
let env: NodeJS.ProcessEnv;

function io() {
  const recorded = recordingIo();
  return { recorded, out: recorded.stdout, err: recorded.stderr };
}

async function history(args: string[]) {
  const { recorded, out, err } = io();
  const code = await runCli(['history', ...args], recorded, (o) => createCliContext(env, o));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'bg-history-')), 'breakglass.db');
  env = { BREAKGLASS_DB: file, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
  const store = new SqliteStore(file);
  const entries: AuditEntry[] = [
    {
      at: now - 10 * DAY,
      requestId: 'BG-OLD',
      actor: 'UREQ',
      action: 'requested',
      details: { justification: 'a, "quoted" one' },
    },
    { at: now - 2 * 3_600_000, requestId: 'BG-NEW', actor: 'UREQ', action: 'requested' },
    {
      at: now - 3_600_000,
      requestId: 'BG-NEW',
      actor: 'scheduler',
      action: 'cleanup verified',
      details: { removed: { loginProfile: true } },
    },
  ];
  for (const e of entries) await store.appendAudit(e);
  await store.close();
});

describe('breakglass history', () => {
  it('lists the whole trail oldest first', async () => {
    const { code, out } = await history([]);
    expect(code).toBe(0);
    const [header, rule, ...rows] = out.split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['At (UTC)', 'Request', 'Actor', 'Action', 'Details']);
    expect(rule).toMatch(/^[- ]+$/);
    expect(rows.map((l) => l.split(/\s{2,}/)[1])).toEqual(['BG-OLD', 'BG-NEW', 'BG-NEW']);
  });

  it.each([60, 80, 100])(
    'shares the audit table rendering: every line within %i columns',
    async (columns) => {
      const recorded = recordingIo({ columns });
      expect(await runCli(['history'], recorded, (o) => createCliContext(env, o))).toBe(0);
      const lines = [...recorded.stdout, ...recorded.stderr].join('\n').split('\n');
      expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(columns);
      expect(recorded.stdout.join('\n')).toContain('cleanup verified');
      if (columns === 60)
        expect(recorded.stderr.join(' ')).toMatch(/to fit 60 columns, not shown: Details; --wide shows/);
    },
  );

  it('shows the details in full with --wide', async () => {
    const recorded = recordingIo({ columns: 60 });
    expect(await runCli(['history', '--wide'], recorded, (o) => createCliContext(env, o))).toBe(0);
    expect(recorded.stdout.join('\n')).toContain('{"justification":"a, \\"quoted\\" one"}');
    expect(recorded.stderr).toEqual([]);
  });

  it('filters by --since (a duration or a date) and by --request', async () => {
    expect(
      JSON.parse((await history(['--since', '1d', '--json'])).out).map((e: AuditEntry) => e.requestId),
    ).toEqual(['BG-NEW', 'BG-NEW']);
    const since = new Date(now - 90 * 60_000).toISOString();
    expect(JSON.parse((await history(['--since', since, '--json'])).out)).toHaveLength(1);
    expect(JSON.parse((await history(['--request', ' bg-old ', '--json'])).out)).toHaveLength(1);
  });

  it('writes CSV that a CSV reader reads back, details included', async () => {
    const rows = parse((await history(['--csv'])).out, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.action)).toEqual(['requested', 'requested', 'cleanup verified']);
    expect(JSON.parse(rows[0]?.details ?? '{}')).toEqual({ justification: 'a, "quoted" one' });
  });

  it("filters a bulk hardening's trail by --request BH-…, as its requester's DM suggests", async () => {
    const store = new SqliteStore(env.BREAKGLASS_DB as string);
    await store.appendAudit({
      at: now - 30 * 60_000,
      requestId: 'BH-BULK',
      actor: 'scheduler',
      action: 'bulk hardening: root credentials deleted',
      details: { accountId: '200000000001' },
    });
    await store.close();
    expect(JSON.parse((await history(['--request', 'bh-bulk', '--json'])).out)).toMatchObject([
      { requestId: 'BH-BULK', action: 'bulk hardening: root credentials deleted' },
    ]);
  });

  it('says what is wrong in one line and exits non-zero', async () => {
    expect(await history(['--since', 'yesterday-ish'])).toMatchObject({ code: 2 });
    expect(await history(['--json', '--csv'])).toMatchObject({ code: 2 });
    const badId = await history(['--request', 'BG OLD']);
    expect(badId).toMatchObject({ code: 2 });
    expect(badId.err).toMatch(/"BG OLD" is not a request id/);
    const missing = { ...env, BREAKGLASS_DB: '/nonexistent/breakglass.db' };
    const { recorded, err } = io();
    expect(await runCli(['history'], recorded, () => createCliContext(missing))).toBe(1);
    expect(err[0]).toBe('error: no database at /nonexistent/breakglass.db');
  });
});

describe('breakglass history on DynamoDB', () => {
  it('exports the same trail from a DynamoDB table', async () => {
    const local = await startLocalDynamoDb();
    try {
      const store = await freshDynamoStore(local);
      await store.appendAudit({ at: now - 60_000, requestId: 'BG-DDB', actor: 'UREQ', action: 'requested' });
      await store.appendAudit({
        at: now,
        requestId: 'BG-DDB',
        actor: 'scheduler',
        action: 'cleanup verified',
      });
      const ddbEnv = {
        ...local.env(),
        AWS_EC2_METADATA_DISABLED: 'true',
        BREAKGLASS_STORE: 'dynamodb',
        BREAKGLASS_TABLE: store.table,
      };
      // The SDK's credential chain reads the process environment, as the CLI does in real use.
      Object.assign(process.env, ddbEnv);
      await store.close();
      const { recorded, out, err } = io();
      const code = await runCli(['history', '--json'], recorded, () => createCliContext(ddbEnv));
      expect([code, err.join(' ')]).toEqual([0, '']);
      expect(JSON.parse(out.join('\n')).map((e: AuditEntry) => e.action)).toEqual([
        'requested',
        'cleanup verified',
      ]);
    } finally {
      await local.close();
    }
  });
});
