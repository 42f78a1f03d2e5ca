import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { RootTaskError } from '../aws/errors.js';
import { ConfigError } from '../config/app-config.js';
import { registerAudit } from './commands/audit.js';
import { registerDeleteCredentials } from './commands/delete-credentials.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDrift } from './commands/drift.js';
import { registerHistory } from './commands/history.js';
import { registerPolicy } from './commands/policy.js';
import { registerStoreCommands } from './commands/store.js';
import type { CliAwsOptions, CliContext } from './context.js';
import { CliError, type CliIo } from './io.js';
import { profileOption, regionOption } from './options.js';
import { withHint } from './suggest.js';

/** The version of package.json, for `--version`. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(
  io: CliIo,
  makeContext: (options: CliAwsOptions) => CliContext,
): { program: Command; context: () => CliContext | undefined } {
  let ctx: CliContext | undefined;
  const context = () => {
    ctx ??= makeContext(program.opts<CliAwsOptions>());
    return ctx;
  };
  const program = new Command('breakglass')
    .description(
      'Operator CLI for AWS centralized root access: audit and remove root credentials of member accounts.\n' +
        'Granting root access (password recovery, policy unlocks) needs two approvers in Slack: see /breakglass.',
    )
    .version(cliVersion(), '-V, --version', 'print the version and exit')
    .addOption(profileOption())
    .addOption(regionOption())
    // Our own hints, on the same line as the error (see suggest.ts).
    .showSuggestionAfterError(false)
    .exitOverride();
  registerDoctor(program, io, context);
  registerAudit(program, io, context);
  registerDeleteCredentials(program, io, context);
  registerDrift(program, io, context);
  registerStoreCommands(program, io, context);
  registerHistory(program, io, context);
  registerPolicy(program, io, context);
  for (const command of withSubcommands(program)) {
    command.exitOverride().configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(withHint(s, command)),
    });
  }
  return { program, context: () => ctx };
}

/** Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 usage. Never throws. */
export async function runCli(
  argv: string[],
  io: CliIo,
  makeContext: (options: CliAwsOptions) => CliContext,
): Promise<number> {
  const { program, context } = buildProgram(io, makeContext);
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    return report(error, io);
  } finally {
    context()?.close();
    process.exitCode = before;
  }
}

const NO_CREDENTIALS = /CredentialsProviderError|Could not (load|resolve) credentials/;
const CREDENTIALS_HINT =
  'no AWS credentials found: give --profile NAME (a profile of ~/.aws/config or ~/.aws/credentials; run `aws sso login --profile NAME` first for SSO), set AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander already printed its one line ("error: unknown option ..."); help and version exit 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof ConfigError) {
    // The environment, not the command line: exit 1 like any other failure to run.
    for (const problem of error.problems) io.err(`error: ${problem}`);
    return 1;
  }
  if (error instanceof CliError) {
    io.err(`error: ${error.message}`);
    if (error.hint) io.err(`hint: ${error.hint}`);
    return error.exitCode;
  }
  if (error instanceof RootTaskError) {
    io.err(`error: ${error.message}`);
    if (NO_CREDENTIALS.test(error.message)) io.err(`hint: ${CREDENTIALS_HINT}`);
    else if (error.kind !== 'invalid-input') io.err(`hint: ${error.remediation}`);
    return error.kind === 'invalid-input' ? 2 : 1;
  }
  io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

/** A command and every command under it (`policy check` sits under `policy`). */
function withSubcommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap((c) => withSubcommands(c as Command))];
}
