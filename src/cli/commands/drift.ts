/**
 * `breakglass drift`: the scheduled drift check, now. The same org-wide audit
 * and the same decision as the bot (src/domain/drift.ts): an account with root
 * credentials is drift unless a break-glass window is open on it, read from the
 * configured store; without a store no window is known, so every present
 * credential is drift. Prints what is drifted and which of it the bot would
 * alert now (new, changed, a reminder; the rest was alerted already). Exit 0
 * clean, 1 drift (or accounts that could not be audited: unknown is not clean),
 * 2 usage. Read-only: it alerts nobody and stores nothing.
 */
import type { Command } from 'commander';
import { auditOrganization } from '../../aws/org-audit.js';
import { toOrgAuditRow } from '../../aws/org-audit-row.js';
import { type DriftRecord, decideDrift, describePresent, NOTHING_PRESENT } from '../../domain/drift.js';
import { parseInterval } from '../../domain/durations.js';
import type { OrgAuditRow } from '../../domain/org-audit.js';
import { openWindows } from '../../workflow/open-windows.js';
import { openConfiguredStore, storeConfigured } from '../configured-store.js';
import type { CliContext } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { concurrencyOption } from '../options.js';
import { progressReporter } from '../progress.js';
import { clean as sanitize } from '../table.js';

const DEFAULT_REMIND_S = 7 * 86_400;

interface DriftFlags {
  concurrency: number;
  json?: boolean;
}

interface Known {
  windows: Map<string, string>;
  records: DriftRecord[];
}

/** Open windows and what was alerted, from the store when one is configured. */
async function known(ctx: CliContext, io: CliIo): Promise<Known> {
  if (!storeConfigured(ctx.env)) {
    io.err(
      'note: no store configured (BREAKGLASS_STORE, BREAKGLASS_DB or BREAKGLASS_TABLE): no break-glass window is known, so every root credential present counts as drift',
    );
    return { windows: new Map(), records: [] };
  }
  const store = await openConfiguredStore(ctx.env, ctx.aws);
  try {
    // Every open window, as the bot reads them (not a first page): a missed one would be reported as drift.
    return { windows: await openWindows(store), records: await store.driftRecords() };
  } finally {
    await store.close();
  }
}

function remindMs(env: NodeJS.ProcessEnv): number {
  const text = env.BREAKGLASS_DRIFT_REMIND;
  if (!text) return DEFAULT_REMIND_S * 1000;
  const seconds = parseInterval(text);
  if (seconds === undefined)
    throw new CliError(`BREAKGLASS_DRIFT_REMIND must be a duration such as 24h or 7d (got "${text}")`, 2);
  return seconds * 1000;
}

export function registerDrift(program: Command, io: CliIo, context: () => CliContext): void {
  program
    .command('drift')
    .description(
      'root credentials outside a break-glass window, as the scheduled check sees them now (exit 1 when any; for cron and CI)',
    )
    .addOption(concurrencyOption())
    .option('--json', 'print JSON')
    .action(async (flags: DriftFlags) => {
      const ctx = context();
      const remind = remindMs(ctx.env);
      const { windows, records } = await known(ctx, io);
      const progress = progressReporter(io, 'auditing');
      const report = await auditOrganization(ctx.service, ctx.organization, {
        concurrency: flags.concurrency,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.stop();
      const rows = report.rows.map((r) => toOrgAuditRow(r, windows.get(r.account.id) ?? ''));
      const decision = decideDrift(rows, records, { now: Date.now(), remindMs: remind, runId: 'cli' });
      const alerts = new Map(decision.alerts.map((a) => [a.alert.accountId, a.alert.kind]));
      const drifted = rows.filter((r) => r.status === 'present' && !r.openWindow);
      const failed = rows.filter((r) => r.status === 'error');
      if (flags.json) io.out(JSON.stringify(jsonReport(rows, alerts, decision.resolved), null, 2));
      else printReport(io, drifted, rows, alerts, failed);
      io.err(
        `${rows.length} accounts audited: ${drifted.length} drifted (${drifted.filter((r) => alerts.has(r.accountId)).length} to alert now), ${decision.expected.length} expected inside a window, ${failed.length} not auditable, ${decision.resolved.length} resolved since the last alert`,
      );
      if (drifted.length || failed.length) process.exitCode = 1;
    });
}

function printReport(
  io: CliIo,
  drifted: OrgAuditRow[],
  rows: OrgAuditRow[],
  alerts: Map<string, string>,
  failed: OrgAuditRow[],
): void {
  for (const r of drifted) {
    const kind = alerts.get(r.accountId);
    const label = kind ? `ALERT (${kind})` : 'alerted already';
    io.out(`DRIFT ${r.accountId} ${sanitize(r.name)}: ${label}`);
    for (const line of describePresent(r.present ?? NOTHING_PRESENT)) io.out(`  ${sanitize(line)}`);
  }
  for (const r of rows.filter((x) => x.status === 'present' && x.openWindow))
    io.out(`expected ${r.accountId} ${sanitize(r.name)}: inside the window of ${r.openWindow}`);
  for (const r of failed) {
    const label = alerts.has(r.accountId) ? 'ALERT (not auditable)' : 'alerted already';
    io.out(`UNKNOWN ${r.accountId} ${sanitize(r.name)}: ${label}: ${sanitize(r.detail)}`);
  }
  if (!drifted.length && !failed.length) io.out('no root credentials outside a break-glass window');
}

function jsonReport(rows: OrgAuditRow[], alerts: Map<string, string>, resolved: DriftRecord[]) {
  return {
    accounts: rows
      .filter((r) => r.status !== 'clean')
      .map((r) => ({
        accountId: r.accountId,
        name: r.name,
        status: r.status === 'error' ? 'unknown' : r.openWindow ? 'expected' : 'drift',
        ...(r.openWindow ? { window: r.openWindow } : {}),
        ...(alerts.has(r.accountId) ? { alert: alerts.get(r.accountId) } : {}),
        ...(r.status === 'error'
          ? { error: r.detail }
          : { present: describePresent(r.present ?? NOTHING_PRESENT) }),
      })),
    resolved: resolved.map((r) => r.accountId),
  };
}
