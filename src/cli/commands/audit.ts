import type { Command } from 'commander';
import { auditOrganization } from '../../aws/org-audit.js';
import type { CliContext } from '../context.js';
import type { CliIo } from '../io.js';
import { accountOption, concurrencyOption, outputFormat, requireOneTarget } from '../options.js';
import { progressReporter } from '../progress.js';
import { auditSummaryLine, renderAuditRows } from '../render.js';

interface AuditFlags {
  account?: string;
  all?: boolean;
  concurrency: number;
  json?: boolean;
  csv?: boolean;
}

export function registerAudit(program: Command, io: CliIo, context: () => CliContext): void {
  program
    .command('audit')
    .description(
      'show root credentials (password, access keys, signing certificates, MFA) of member accounts',
    )
    .addOption(accountOption())
    .option('--all', 'every ACTIVE member account of the organization')
    .addOption(concurrencyOption())
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (flags: AuditFlags) => {
      requireOneTarget({ ...flags }, ['account', 'all']);
      const format = outputFormat(flags);
      const ctx = context();
      if (flags.account) {
        const audit = await ctx.service.auditRootCredentials(flags.account);
        const account = await ctx.organization.assertTargetable(flags.account);
        io.out(renderAuditRows([{ account, ok: true, audit }], format));
        return;
      }
      const progress = progressReporter(io, 'auditing');
      const report = await auditOrganization(ctx.service, ctx.organization, {
        concurrency: flags.concurrency,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.stop();
      io.out(renderAuditRows(report.rows, format));
      io.err(auditSummaryLine(report.rows, report.durationMs));
      if (report.failed > 0) process.exitCode = 1;
    });
}
