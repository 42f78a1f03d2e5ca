import type { Command } from 'commander';
import { runDoctor } from '../../aws/doctor.js';
import type { CliContext } from '../context.js';
import type { CliIo } from '../io.js';
import { renderDoctor } from '../render.js';
import { cliSlackChecks } from '../slack-doctor.js';

export function registerDoctor(program: Command, io: CliIo, context: () => CliContext): void {
  program
    .command('doctor')
    .description(
      "check the organization and the bot's credentials for centralized root access, and (with SLACK_BOT_TOKEN) the Slack app, with fixes",
    )
    .option('--json', 'print the checks as JSON')
    .action(async (options: { json?: boolean }) => {
      const ctx = context();
      const [aws, slack] = await Promise.all([
        runDoctor(ctx.clients, ctx.organization),
        cliSlackChecks(ctx.env),
      ]);
      const checks = [...aws, ...slack];
      io.out(options.json ? JSON.stringify(checks, null, 2) : renderDoctor(checks, io.color));
      if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
    });
}
