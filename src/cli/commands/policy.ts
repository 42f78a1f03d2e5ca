/**
 * `breakglass policy check <file>`: the checks the bot makes at start-up on
 * BREAKGLASS_POLICY; with AWS credentials, also that its accounts and OUs exist.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Command } from 'commander';
import { checkPolicyTargets } from '../../aws/policy-targets.js';
import { loadPolicyFile } from '../../config/policy-file.js';
import { formatDuration } from '../../domain/durations.js';
import type { PolicyRule } from '../../domain/policy.js';
import { TASK_KINDS, type TaskKind } from '../../domain/request.js';
import type { CliContext } from '../context.js';
import type { CliIo } from '../io.js';

export function registerPolicy(program: Command, io: CliIo, context: () => CliContext): void {
  const policy = program
    .command('policy')
    .description('approver routing per OU or account (the BREAKGLASS_POLICY file)');
  policy
    .command('check')
    .description(
      'validate a policy file as the bot does at start-up: schema, unique rules, that every rule can reach two different approvers, and (with AWS credentials) that its accounts and OUs exist in the organization (exit 0 valid, 1 not)',
    )
    .argument('<file>', 'the policy file (YAML)')
    .action(async (file: string) => {
      const ctx = context();
      const tasks = offeredTasks(ctx.env.BREAKGLASS_TASKS);
      const checked = loadPolicyFile(file, tasks ? { tasks } : undefined);
      for (const problem of checked.problems) io.err(`error: ${problem}`);
      for (const warning of checked.warnings) io.err(`warning: ${warning}`);
      if (!checked.policy) {
        const n = checked.problems.length;
        io.err(`${file}: ${n} problem${n === 1 ? '' : 's'}; the bot would refuse to start with this file`);
        process.exitCode = 1;
        return;
      }
      const rules = checked.policy.rules;
      const found = await credentialsFound(ctx.clients.organizations);
      if (found === true) {
        const targets = await checkPolicyTargets(checked.policy, ctx.clients.organizations, () =>
          ctx.organization.listAccounts(),
        );
        for (const problem of targets.problems) io.err(`error: ${file}: ${problem}`);
        for (const warning of targets.warnings) io.err(`warning: ${file}: ${warning}`);
        if (targets.problems.length) {
          const n = targets.problems.length;
          io.err(`${file}: ${n} problem${n === 1 ? '' : 's'}; the bot would refuse to start with this file`);
          process.exitCode = 1;
          return;
        }
      }
      io.out(
        `${file}: valid, ${rules.length} rule${rules.length === 1 ? '' : 's'} (first match wins: account, then nearest OU, then BREAKGLASS_APPROVERS)`,
      );
      for (const rule of rules) io.out(`  ${describeRule(rule)}`);
      io.out(
        found === true
          ? '  accounts and OUs: checked against AWS Organizations'
          : `  accounts and OUs: not checked against AWS Organizations (skipped: ${found}); the bot checks them at start-up`,
      );
    });
}

/** true, or why not: the CLI's own credential chain (its --profile applied), within 5 s. */
async function credentialsFound(organizations: OrganizationsClient): Promise<true | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('AWS credentials not found within 5 s'), 5_000);
  });
  try {
    return await Promise.race([organizations.config.credentials().then(() => true as const), late]);
  } catch {
    return 'no AWS credentials found';
  } finally {
    clearTimeout(timer);
  }
}

/** BREAKGLASS_TASKS when set and valid (the rules' tasks must be among them); else no such check. */
function offeredTasks(text: string | undefined): TaskKind[] | undefined {
  if (!text?.trim()) return undefined;
  const parts = text.split(',').map((s) => s.trim());
  return TASK_KINDS.filter((t) => parts.includes(t));
}

function describeRule(rule: PolicyRule): string {
  const match = [
    ...(rule.accounts.length ? [`accounts ${rule.accounts.join(', ')}`] : []),
    ...(rule.ous.length ? [`OUs ${rule.ous.join(', ')}`] : []),
  ].join('; ');
  const users = rule.approvers.filter((id) => !id.startsWith('S')).length;
  const groups = rule.approvers.length - users;
  const approvers = [
    ...(users ? [`${users} user${users === 1 ? '' : 's'}`] : []),
    ...(groups ? [`${groups} group${groups === 1 ? '' : 's'}`] : []),
  ].join(' + ');
  const durations = rule.durationsSeconds?.map(formatDuration).join(', ') ?? 'BREAKGLASS_DURATIONS';
  const tasks = rule.tasks?.join(', ') ?? 'BREAKGLASS_TASKS';
  const requesters = rule.requesters ? `${rule.requesters.length} listed` : 'BREAKGLASS_REQUESTERS';
  return `${rule.name}: ${match}; approvers ${approvers}; requesters ${requesters}; durations ${durations}; tasks ${tasks}`;
}
