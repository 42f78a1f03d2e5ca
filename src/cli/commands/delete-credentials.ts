import type { Command } from 'commander';
import pLimit from 'p-limit';
import { auditOrganization } from '../../aws/org-audit.js';
import type { RootCredentialAudit } from '../../aws/root-task-results.js';
import type { CliContext } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { accountOption, concurrencyOption, requireOneTarget } from '../options.js';
import { progressReporter } from '../progress.js';
import { auditSummaryLine, describeAudit, describeDeletion } from '../render.js';

interface DeleteFlags {
  account?: string;
  allPresent?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  concurrency: number;
  json?: boolean;
}

/**
 * Removing root credentials only takes access away, so the CLI may do it; granting
 * access (password recovery, policy unlocks) needs the two-person approval in Slack.
 */
export function registerDeleteCredentials(program: Command, io: CliIo, context: () => CliContext): void {
  program
    .command('delete-credentials')
    .description('delete root passwords, access keys, signing certificates and MFA devices, then verify')
    .addOption(accountOption())
    .option('--all-present', 'every member account where an audit finds root credentials')
    .option('--dry-run', 'audit and show what would be deleted, delete nothing')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .addOption(concurrencyOption())
    .option('--json', 'print JSON results')
    .action(async (flags: DeleteFlags) => {
      requireOneTarget({ ...flags }, ['account', 'all-present']);
      const ctx = context();
      const targets = await findTargets(ctx, io, flags);
      if (targets.length === 0) {
        io.out('No root credentials found: nothing to delete.');
        return;
      }
      io.err(`Root credentials to delete in ${targets.length} account(s):`);
      for (const t of targets) io.err(`  ${t.accountId}: ${describeAudit(t)}`);
      if (flags.dryRun) {
        io.out(flags.json ? JSON.stringify(targets, null, 2) : 'Dry run: nothing was deleted.');
        return;
      }
      if (!flags.yes) {
        const answer = await io.confirm(`Delete these root credentials in ${targets.length} account(s)?`);
        if (answer === undefined)
          throw new CliError('refusing to delete without --yes: stdin is not a terminal', 2);
        if (!answer) throw new CliError('cancelled: nothing was deleted', 1);
      }
      const limit = pLimit(flags.concurrency);
      const results = await Promise.all(
        targets.map((t) => limit(() => ctx.service.deleteRootCredentials(t.accountId))),
      );
      io.out(flags.json ? JSON.stringify(results, null, 2) : results.map(describeDeletion).join('\n'));
      const unverified = results.filter((r) => !r.verified).length;
      if (unverified > 0) {
        io.err(`${unverified} account(s) not verified clean: see above.`);
        process.exitCode = 1;
      }
    });
}

async function findTargets(ctx: CliContext, io: CliIo, flags: DeleteFlags): Promise<RootCredentialAudit[]> {
  if (flags.account) {
    const audit = await ctx.service.auditRootCredentials(flags.account);
    return audit.anyPresent ? [audit] : [];
  }
  const progress = progressReporter(io, 'auditing');
  const report = await auditOrganization(ctx.service, ctx.organization, {
    concurrency: flags.concurrency,
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  io.err(auditSummaryLine(report.rows, report.durationMs));
  for (const row of report.rows) {
    if (!row.ok) io.err(`  ${row.account.id}: audit failed, skipped: ${row.error.message}`);
  }
  if (report.failed > 0) process.exitCode = 1;
  return report.rows.flatMap((r) => (r.ok && r.audit.anyPresent ? [r.audit] : []));
}
