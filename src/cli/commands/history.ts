/**
 * `breakglass history`: the audit trail, exported from the configured store
 * (SQLite or DynamoDB), oldest first, as a table, JSON or CSV.
 */
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { parseDuration } from '../../domain/durations.js';
import type { AuditEntry } from '../../store/store.js';
import { openConfiguredStore } from '../configured-store.js';
import type { CliContext } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { requestIdOption } from '../options.js';
import { renderHistoryTable, tableView } from '../render.js';
import { wrapText } from '../table.js';

const MAX_ENTRIES = 100_000;

/** `--since 24h` / `7d` / an ISO date: epoch ms. */
export function sinceTime(text: string, now: number): number {
  const days = /^(\d+)\s*d$/i.exec(text.trim());
  const seconds = days ? Number(days[1]) * 86_400 : parseDuration(text);
  if (seconds !== undefined) return now - seconds * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new CliError(`--since takes a duration (24h, 7d) or a date (2026-11-01), not "${text}"`, 2);
  return at;
}

function row(e: AuditEntry) {
  return {
    at: new Date(e.at).toISOString(),
    request: e.requestId ?? '',
    actor: e.actor,
    action: e.action,
    details: e.details ? JSON.stringify(e.details) : '',
  };
}

export function registerHistory(program: Command, io: CliIo, context: () => CliContext): void {
  program
    .command('history')
    .description(
      'export the audit trail (who did what, when, with AWS request ids and root-session key ids), oldest first',
    )
    .option('--since <when>', 'only entries since a duration ago (24h, 7d) or a date (2026-11-01)')
    .addOption(
      requestIdOption(
        "only the entries of one request (BG-…), of one bulk hardening (BH-…: every account's result), or of one org-wide audit (OA-…: its drift alerts, reminders and resolutions)",
      ),
    )
    .option('--wide', 'show every column in full, however wide the terminal')
    .option('--json', 'one JSON array')
    .option('--csv', 'CSV with a header row')
    .action(
      async (flags: { since?: string; request?: string; wide?: boolean; json?: boolean; csv?: boolean }) => {
        if (flags.json && flags.csv) throw new CliError('choose one of --json and --csv', 2);
        const { env, aws } = context();
        const since = flags.since ? sinceTime(flags.since, Date.now()) : 0;
        const store = await openConfiguredStore(env, aws);
        try {
          const requestId = flags.request;
          const entries = (await store.listAudit(requestId, MAX_ENTRIES))
            .filter((e) => e.at >= since)
            .sort((a, b) => a.at - b.at);
          if (flags.json) io.out(JSON.stringify(entries, null, 2));
          else if (flags.csv) io.out(stringify(entries.map(row), { header: true }).trimEnd());
          else if (!entries.length) io.err('no audit entries');
          else {
            const view = tableView(io, flags.wide);
            const rendered = renderHistoryTable(entries, view);
            io.out(rendered.text);
            if (rendered.note) io.err(wrapText(rendered.note, view.width));
          }
        } finally {
          await store.close();
        }
      },
    );
}
