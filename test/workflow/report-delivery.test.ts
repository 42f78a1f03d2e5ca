/**
 * The delivery worker's routing of organization notices (org-wide audit
 * summaries and files, drift alerts, bulk hardening messages) to the report
 * announcer: each rendered from what is stored when it is sent, each message
 * recorded where its thread replies and files then go.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriftAlert } from '../../src/domain/drift.js';
import type { HardenAccount, Hardening } from '../../src/domain/harden.js';
import { hardenCsv } from '../../src/domain/harden-csv.js';
import { type Delivery, type DriftResolution, deliveryTarget } from '../../src/domain/notice.js';
import type { OrgAuditRow } from '../../src/domain/org-audit.js';
import { orgAuditCsv } from '../../src/domain/org-audit-csv.js';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { DeliveryWorker } from '../../src/workflow/delivery.js';
import type { HardeningView, OrgAuditView, ReportAnnouncer } from '../../src/workflow/ports.js';
import { hardeningFixture, orgAuditRowFixture } from '../support/fixtures.js';
import { RecordingAnnouncer } from '../support/recording-announcer.js';

/** A ReportAnnouncer that records what it was asked to send, and where. */
class RecordingReports implements ReportAnnouncer {
  readonly calls: unknown[][] = [];
  private ts = 0;
  private next() {
    this.ts += 1;
    return { channel: 'CAPPROVALS', ts: `1800000000.00000${this.ts}` };
  }
  async postHardening(view: HardeningView) {
    this.calls.push(['postHardening', view.stored.hardening.id, view.accounts.length]);
    return this.next();
  }
  async updateHardening(view: HardeningView) {
    this.calls.push(['updateHardening', view.stored.hardening.id, view.stored.message?.ts]);
  }
  async hardeningSummary(view: HardeningView) {
    this.calls.push(['hardeningSummary', view.stored.hardening.id]);
  }
  async hardeningDm(userId: string, view: HardeningView, slackError: string) {
    this.calls.push(['hardeningDm', userId, view.stored.hardening.id, slackError]);
  }
  async postAudit(view: OrgAuditView) {
    this.calls.push(['postAudit', view.run.id, view.rows.length]);
    return this.next();
  }
  async updateAudit(view: OrgAuditView) {
    this.calls.push(['updateAudit', view.run.id, view.run.message?.ts]);
  }
  async driftAlert(where: { channel?: string; threadTs?: string }, alert: DriftAlert) {
    this.calls.push(['driftAlert', where, alert.accountId]);
  }
  async driftResolved(where: { channel?: string; threadTs?: string }, resolved: DriftResolution) {
    this.calls.push(['driftResolved', where, resolved.accountId]);
  }
  async uploadFile(
    where: { channel?: string; threadTs?: string },
    file: { filename: string; title: string; content: string },
  ) {
    this.calls.push(['uploadFile', where, file]);
  }
}

const row = (accountId: string): OrgAuditRow => orgAuditRowFixture(accountId, { name: `n-${accountId}` });
const hardening = (id: string): Hardening => hardeningFixture(id);
const account: HardenAccount = { accountId: '200000000001', name: 'acct', state: 'pending', attempts: 0 };

let store: SqliteStore;
let reports: RecordingReports;
let worker: (withReports?: boolean) => DeliveryWorker;

beforeEach(() => {
  store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bg-reports-')), 'db.sqlite'));
  reports = new RecordingReports();
  worker = (withReports = true) =>
    new DeliveryWorker(store, new RecordingAnnouncer(), {
      log: silentLogger,
      tickMs: 10,
      concurrency: 1,
      ...(withReports ? { reports } : {}),
    });
});
afterEach(() => store.close());

const statuses = async (id: string) =>
  (await store.listDeliveries(id)).map((d) => `${d.delivery.to}:${d.status}`);

describe('org-wide audit notices', () => {
  it('posts the summary once, updates it in place, and puts the CSV of the stored rows in its thread', async () => {
    await store.startOrgAudit(
      { id: 'OA-1', requestedBy: 'U1', startedAt: 1_000, state: 'running', done: 0 },
      [{ to: 'audit-post' }],
    );
    await store.recordOrgAuditRows('OA-1', [row('200000000002'), row('200000000001')], { total: 2 }, [
      { to: 'audit-update' },
    ]);
    const file: Delivery = {
      to: 'file',
      file: { source: 'org-audit-csv', filename: 'audit.csv', title: 'Audit' },
    };
    await store.enqueue('OA-1', [file]);
    await worker().drain();
    const ts = (await store.getOrgAudit('OA-1'))?.message?.ts;
    expect(ts).toBe('1800000000.000001');
    const rows = await store.orgAuditRows('OA-1');
    expect(reports.calls).toEqual([
      ['postAudit', 'OA-1', 2],
      ['updateAudit', 'OA-1', ts],
      [
        'uploadFile',
        { channel: 'CAPPROVALS', threadTs: ts },
        { filename: 'audit.csv', title: 'Audit', content: orgAuditCsv(rows) },
      ],
    ]);
    expect(await statuses('OA-1')).toEqual(['audit-post:sent', 'audit-update:sent', 'file:sent']);
  });

  it('sends nothing about an audit that is not stored, and updates nothing before the post', async () => {
    await store.enqueue('OA-GONE', [{ to: 'audit-post' }]);
    await store.startOrgAudit(
      { id: 'OA-2', requestedBy: 'U1', startedAt: 1_000, state: 'running', done: 0 },
      [{ to: 'audit-update' }],
    );
    await worker().drain();
    expect(reports.calls).toEqual([]);
    expect(await statuses('OA-GONE')).toEqual(['audit-post:sent']);
    expect(await statuses('OA-2')).toEqual(['audit-update:sent']);
  });

  it('retries, and says why, when the bot has no report announcer', async () => {
    await store.startOrgAudit(
      { id: 'OA-3', requestedBy: 'U1', startedAt: 1_000, state: 'running', done: 0 },
      [{ to: 'audit-post' }],
    );
    await worker(false).drain();
    const [item] = await store.listDeliveries('OA-3');
    expect(item).toMatchObject({ status: 'pending' });
    expect(item?.lastError).toContain('bug: no report announcer for an org-wide audit notice');
  });
});

describe('drift notices', () => {
  it("alerts in the thread of its audit's summary, and tells a resolution in the thread of the audit that alerted it", async () => {
    await store.startOrgAudit(
      { id: 'OA-A', requestedBy: 'scheduler', startedAt: 1_000, state: 'running', done: 0 },
      [{ to: 'audit-post' }],
    );
    await store.startOrgAudit(
      { id: 'OA-B', requestedBy: 'scheduler', startedAt: 2_000, state: 'running', done: 0 },
      [],
    );
    const alert = { kind: 'new', accountId: '200000000001' } as DriftAlert;
    const resolved = { accountId: '200000000002', alertRunId: 'OA-A' } as DriftResolution;
    await store.enqueue('OA-A', [{ to: 'drift-alert', alert }]);
    await store.enqueue('OA-B', [
      { to: 'drift-resolved', resolved },
      { to: 'drift-alert', alert: { ...alert, accountId: '200000000003' } },
    ]);
    await worker().drain();
    const thread = { channel: 'CAPPROVALS', threadTs: '1800000000.000001' };
    expect(reports.calls.slice(1)).toEqual([
      ['driftAlert', thread, '200000000001'],
      ['driftResolved', thread, '200000000002'],
      // The summary of OA-B was never posted: no thread to reply in.
      ['driftAlert', {}, '200000000003'],
    ]);
  });

  it('retries a drift notice while there is no report announcer', async () => {
    await store.enqueue('OA-X', [
      { to: 'drift-alert', alert: { kind: 'new', accountId: '1' } as DriftAlert },
    ]);
    await worker(false).drain();
    expect((await store.listDeliveries('OA-X'))[0]?.lastError).toContain(
      'no report announcer for a drift notice',
    );
  });
});

describe('bulk hardening notices', () => {
  it('posts its message once, updates it, posts its summary, and puts its CSV in the thread', async () => {
    await store.createHardening(hardening('BH-1'), [account], { notify: [{ to: 'harden-post' }] });
    await store.enqueue('BH-1', [
      { to: 'harden-update' },
      { to: 'file', file: { source: 'harden-csv', filename: 'h.csv', title: 'H' } },
      { to: 'harden-summary' },
    ]);
    await worker().drain();
    const stored = await store.getHardening('BH-1');
    const ts = stored?.message?.ts;
    expect(ts).toBe('1800000000.000001');
    expect(reports.calls).toEqual([
      ['postHardening', 'BH-1', 1],
      ['updateHardening', 'BH-1', ts],
      [
        'uploadFile',
        { channel: 'CAPPROVALS', threadTs: ts },
        { filename: 'h.csv', title: 'H', content: hardenCsv(stored?.hardening ?? {}, [account]) },
      ],
      ['hardeningSummary', 'BH-1'],
    ]);
  });

  it('DMs its requester, held apart from the channel', async () => {
    await store.createHardening(hardening('BH-1'), [account]);
    await store.enqueue('BH-1', [{ to: 'harden-dm', userId: 'U1', slackError: 'not_in_channel' }]);
    await worker().drain();
    expect(reports.calls).toEqual([['hardeningDm', 'U1', 'BH-1', 'not_in_channel']]);
    expect(deliveryTarget({ to: 'harden-dm', userId: 'U1', slackError: 'x' })).toBe('U1');
  });

  it('sends nothing about a hardening that is not stored; retries without a report announcer', async () => {
    await store.enqueue('BH-GONE', [{ to: 'harden-post' }]);
    await worker().drain();
    expect(reports.calls).toEqual([]);
    expect(await statuses('BH-GONE')).toEqual(['harden-post:sent']);
    await store.createHardening(hardening('BH-2'), [account], { notify: [{ to: 'harden-post' }] });
    await worker(false).drain();
    expect((await store.listDeliveries('BH-2'))[0]?.lastError).toContain(
      'no report announcer for a bulk hardening notice',
    );
  });
});
