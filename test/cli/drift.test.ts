/** `breakglass drift` against the fake AWS, with and without the bot's store. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import { fingerprint } from '../../src/domain/drift.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { fullyCredentialed, memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { requestFixture } from '../support/fixtures.js';
import { recordingIo } from './recording-io.js';

let fake: FakeAws;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  fake = await FakeAws.start();
  seedMembers(fake, 6, 0);
  env = { ...fake.env(), AWS_EC2_METADATA_DISABLED: 'true' };
  Object.assign(process.env, env);
});
afterEach(() => fake.close());

async function drift(args: string[] = [], extra: NodeJS.ProcessEnv = {}) {
  const io = recordingIo();
  const code = await runCli(['drift', ...args], io, (o) => createCliContext({ ...env, ...extra }, o));
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('breakglass drift', () => {
  it('exits 0 when no account has root credentials', async () => {
    const r = await drift();
    expect(r.code).toBe(0);
    expect(r.out).toBe('no root credentials outside a break-glass window');
    expect(r.err).toMatch(/no store configured .* every root credential present counts as drift/);
    expect(r.err).toMatch(/6 accounts audited: 0 drifted/);
  });

  it('without a store, calls every present credential drift and exits 1', async () => {
    fake.account(memberId(2)).root = fullyCredentialed(memberId(2));
    const r = await drift();
    expect(r.code).toBe(1);
    expect(r.out).toContain(`DRIFT ${memberId(2)} workload-0002: ALERT (new)`);
    expect(r.out).toContain(
      `access key AKIAROOT${memberId(2)}A (Active, created 2024-01-02, last used 2025-06-01 (s3, eu-west-1))`,
    );
    expect(r.out).toContain('password (login profile created 2024-01-02, last used 2025-07-01)');
  });

  it('with the bot store: an open window is expected, an alerted drift is not alerted again', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bg-drift-cli-')), 'breakglass.db');
    const store = new SqliteStore(file);
    await store.createRequest(requestFixture('BG-WINDOW1', { accountId: memberId(3), state: 'active' }));
    fake.account(memberId(3)).root = fullyCredentialed(memberId(3));
    fake.account(memberId(4)).root = fullyCredentialed(memberId(4));
    fake.account(memberId(5)).root = fullyCredentialed(memberId(5));
    // 5 was alerted an hour ago with exactly what it has now.
    const json = await drift(['--json']);
    const five = (JSON.parse(json.out) as { accounts: { accountId: string }[] }).accounts.find(
      (a) => a.accountId === memberId(5),
    );
    expect(five).toMatchObject({ status: 'drift', alert: 'new' });
    const present = {
      password: { createdAt: '2024-01-02T03:04:05.000Z', lastUsedAt: '2025-07-01T00:00:00.000Z' },
      accessKeys: [
        { id: `AKIAROOT${memberId(5)}A`, status: 'Active' },
        { id: `AKIAROOT${memberId(5)}B`, status: 'Inactive' },
      ],
      signingCertificates: [{ id: `CERT${memberId(5)}`, status: 'Active' }],
      mfaDevices: [
        { serial: `arn:aws:iam::${memberId(5)}:mfa/root-account-mfa-device` },
        { serial: `GAHT${memberId(5)}` },
      ],
    };
    await store.saveDrift(
      {
        record: {
          accountId: memberId(5),
          name: 'workload-0005',
          fingerprint: fingerprint(present),
          present,
          since: Date.now() - 3_600_000,
          alertedAt: Date.now() - 3_600_000,
          alertRunId: 'OA-EARLIER',
        },
      },
      'OA-EARLIER',
      [],
    );
    await store.close();
    const r = await drift([], { BREAKGLASS_DB: file });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`expected ${memberId(3)} workload-0003: inside the window of BG-WINDOW1`);
    expect(r.out).toContain(`DRIFT ${memberId(4)} workload-0004: ALERT (new)`);
    expect(r.out).toContain(`DRIFT ${memberId(5)} workload-0005: alerted already`);
    expect(r.out).not.toContain(`DRIFT ${memberId(3)}`);
    expect(r.err).toMatch(/2 drifted \(1 to alert now\), 1 expected inside a window/);
  });

  it.each([
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['--concurrency', '0'], /from 1 to 100/],
  ])('refuses bad usage with exit 2: %j', async (args, message) => {
    const r = await drift(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('refuses a malformed remind interval with exit 2, and a missing database with exit 1', async () => {
    expect((await drift([], { BREAKGLASS_DRIFT_REMIND: 'weekly' })).code).toBe(2);
    const missing = await drift([], { BREAKGLASS_DB: '/nonexistent/breakglass.db' });
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no database at/);
  });

  it('its alerts are in `breakglass history`, under the org-wide audit that raised them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bg-drift-history-')), 'breakglass.db');
    const store = new SqliteStore(file);
    await store.appendAudit({
      at: Date.now(),
      requestId: 'OA-RUN1',
      actor: 'scheduler',
      action: 'drift alerted',
      details: { accountId: memberId(4) },
    });
    await store.close();
    const io = recordingIo();
    const code = await runCli(['history', '--request', 'oa-run1', '--json'], io, (o) =>
      createCliContext({ ...env, BREAKGLASS_DB: file }, o),
    );
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.join(''))).toMatchObject([{ requestId: 'OA-RUN1', action: 'drift alerted' }]);
  });
});
