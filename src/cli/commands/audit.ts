import type { Command } from 'commander';
import { type AccountAuditRow, auditOrganization } from '../../aws/org-audit.js';
import type { CliContext } from '../context.js';
import type { CliIo } from '../io.js';
import { accountOption, concurrencyOption, outputFormat, requireOneTarget } from '../options.js';
import { progressReporter } from '../progress.js';
import { auditSummaryLine, renderAuditRows, tableView } from '../render.js';
import { wrapText } from '../table.js';

interface AuditFlags {
  account?: string;
  all?: boolean;
  present?: boolean;
  wide?: boolean;
  concurrency: number;
  json?: boolean;
  csv?: boolean;
}

/** `--present`: accounts with a root credential, and those whose audit failed (unknown is not clean). */
function shown(rows: AccountAuditRow[], flags: AuditFlags): AccountAuditRow[] {
  return flags.present ? rows.filter((r) => !r.ok || r.audit.anyPresent) : rows;
}

export function registerAudit(program: Command, io: CliIo, context: () => CliContext): void {
  program
    .command('audit')
    .description(
      'show root credentials (password, access keys, signing certificates, MFA) of member accounts',
    )
    .addOption(accountOption())
    .option('--all', 'every ACTIVE member account of the organization')
    .option('--present', 'list only accounts with some root credential (and those whose audit failed)')
    .option('--wide', 'show every column in full, however wide the terminal')
    .addOption(concurrencyOption())
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (flags: AuditFlags) => {
      requireOneTarget({ ...flags }, ['account', 'all']);
      const format = outputFormat(flags);
      const view = tableView(io, flags.wide);
      const print = (rows: AccountAuditRow[]) => {
        if (!rows.length && format === 'table') {
          io.err('no account with root credentials');
          return;
        }
        const rendered = renderAuditRows(rows, format, view);
        io.out(rendered.text);
        if (rendered.note) io.err(wrapText(rendered.note, view.width));
      };
      const ctx = context();
      if (flags.account) {
        const audit = await ctx.service.auditRootCredentials(flags.account);
        const account = await ctx.organization.assertTargetable(flags.account);
        print(shown([{ account, ok: true, audit }], flags));
        return;
      }
      const progress = progressReporter(io, 'auditing');
      const report = await auditOrganization(ctx.service, ctx.organization, {
        concurrency: flags.concurrency,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.stop();
      print(shown(report.rows, flags));
      io.err(wrapText(auditSummaryLine(report.rows, report.durationMs), view.width));
      if (report.failed > 0) process.exitCode = 1;
    });
}
