import type { Command } from 'commander';
import pLimit from 'p-limit';
import { auditOrganization } from '../../aws/org-audit.js';
import type { OrgAccount } from '../../aws/organization.js';
import type { DeletionResult, RootCredentialAudit } from '../../aws/root-task-results.js';
import type { CliContext } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { accountOption, concurrencyOption, requireOneTarget } from '../options.js';
import { progressReporter } from '../progress.js';
import { auditSummaryLine, describeDeletion, tableView } from '../render.js';
import { type Column, hiddenNote, renderTable, type TableView, wrapText } from '../table.js';

interface DeleteFlags {
  account?: string;
  allPresent?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  wide?: boolean;
  concurrency: number;
  json?: boolean;
}

interface Target {
  account: OrgAccount;
  audit: RootCredentialAudit;
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
    .option('--wide', 'show the plan in full, however wide the terminal')
    .addOption(concurrencyOption())
    .option('--json', 'print JSON results')
    .action(async (flags: DeleteFlags) => {
      requireOneTarget({ ...flags }, ['account', 'all-present']);
      const ctx = context();
      const view = tableView(io, flags.wide);
      const targets = await findTargets(ctx, io, flags, view);
      if (targets.length === 0) {
        io.out('No root credentials found: nothing to delete.');
        return;
      }
      io.err(`Root credentials to delete in ${targets.length} account(s):`);
      const plan = renderPlan(targets, view);
      io.err(plan.text);
      if (plan.note) io.err(wrapText(plan.note, view.width));
      if (flags.dryRun) {
        io.out(
          flags.json
            ? JSON.stringify(
                targets.map((t) => t.audit),
                null,
                2,
              )
            : 'Dry run: nothing was deleted.',
        );
        return;
      }
      if (!flags.yes) await confirm(io, targets.length);
      const limit = pLimit(flags.concurrency);
      const results = await Promise.all(
        targets.map((t) => limit(() => ctx.service.deleteRootCredentials(t.account.id))),
      );
      const names = new Map(targets.map((t) => [t.account.id, t.account.name]));
      const label = (id: string) => `${names.get(id) ?? '?'} (${id})`;
      io.out(
        flags.json
          ? JSON.stringify(results, null, 2)
          : results
              .map((r) => wrapText(describeDeletion(r).replace(r.accountId, label(r.accountId)), view.width))
              .join('\n'),
      );
      io.err(wrapText(deletionSummary(results, label), view.width));
      if (results.some((r) => !r.verified)) process.exitCode = 1;
    });
}

/** Asks for the number of accounts: "y" out of habit is not enough to delete root credentials. */
async function confirm(io: CliIo, count: number): Promise<void> {
  const answer = await io.ask(
    `Type ${count} (the number of accounts above) to delete their root credentials, anything else to stop: `,
  );
  if (answer === undefined)
    throw new CliError('refusing to delete without --yes: stdin is not a terminal', 2);
  if (answer.trim() !== String(count)) {
    throw new CliError(
      `cancelled: "${answer.trim().slice(0, 20)}" is not ${count}, the number of accounts; nothing was deleted`,
      1,
    );
  }
}

const PLAN_COLUMNS: Column[] = [
  { header: 'Account', fixed: true, priority: 9 },
  { header: 'Name', min: 10, overflow: 'truncate', priority: 8 },
  { header: 'Will remove', min: 16, priority: 9 },
];

/** Each account by name and id, and every credential that will be removed from it. */
function renderPlan(targets: Target[], view: TableView): { text: string; note?: string } {
  const rows = targets.map(({ account, audit }) => [
    account.id,
    account.name,
    [
      audit.passwordPresent ? 'password' : '',
      ...audit.accessKeys.map((k) => `access key ${k.accessKeyId} (${k.status})`),
      ...audit.signingCertificates.map((c) => `signing certificate ${c.certificateId}`),
      ...audit.mfaDevices.map((d) => `MFA device ${d.serialNumber}`),
    ]
      .filter(Boolean)
      .join('\n'),
  ]);
  const table = renderTable(PLAN_COLUMNS, rows, view);
  return { text: table.text, note: hiddenNote(table.hidden, view.width) };
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** "3 accounts: 2 verified clean, 1 failed. Removed …" and which failed. */
export function deletionSummary(results: DeletionResult[], label: (id: string) => string): string {
  const verified = results.filter((r) => r.verified);
  const failed = results.filter((r) => !r.verified);
  const stepErrors = verified.filter((r) => r.errors.length > 0).length;
  const removed = results.reduce(
    (sum, r) => ({
      passwords: sum.passwords + (r.removed.loginProfile ? 1 : 0),
      keys: sum.keys + r.removed.accessKeys.length,
      certificates: sum.certificates + r.removed.signingCertificates.length,
      mfa: sum.mfa + r.removed.mfaDevices.length,
    }),
    { passwords: 0, keys: 0, certificates: 0, mfa: 0 },
  );
  const lines = [
    `Summary: ${count(results.length, 'account')}: ${verified.length} verified clean${
      stepErrors ? ` (${stepErrors} after a failed step)` : ''
    }, ${failed.length} failed.`,
    `Removed ${count(removed.passwords, 'password')}, ${count(removed.keys, 'access key')}, ${count(
      removed.certificates,
      'signing certificate',
    )}, ${count(removed.mfa, 'MFA device')}.`,
  ];
  if (failed.length)
    lines.push(`Failed (credentials may remain): ${failed.map((r) => label(r.accountId)).join(', ')}`);
  return lines.join('\n');
}

async function findTargets(
  ctx: CliContext,
  io: CliIo,
  flags: DeleteFlags,
  view: TableView,
): Promise<Target[]> {
  if (flags.account) {
    const audit = await ctx.service.auditRootCredentials(flags.account);
    const account = await ctx.organization.assertTargetable(flags.account);
    return audit.anyPresent ? [{ account, audit }] : [];
  }
  const progress = progressReporter(io, 'auditing');
  const report = await auditOrganization(ctx.service, ctx.organization, {
    concurrency: flags.concurrency,
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  io.err(wrapText(auditSummaryLine(report.rows, report.durationMs), view.width));
  for (const row of report.rows) {
    if (!row.ok)
      io.err(
        wrapText(
          `  ${row.account.name} (${row.account.id}): audit failed, skipped: ${row.error.message}`,
          view.width,
        ),
      );
  }
  if (report.failed > 0) process.exitCode = 1;
  return report.rows.flatMap((r) =>
    r.ok && r.audit.anyPresent ? [{ account: r.account, audit: r.audit }] : [],
  );
}
