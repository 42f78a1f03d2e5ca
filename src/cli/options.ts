import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_AUDIT_CONCURRENCY } from '../aws/org-audit.js';
import { checkAccountId } from '../domain/aws-identifiers.js';
import { CliError } from './io.js';
import type { OutputFormat } from './render.js';

export function concurrencyOption(): Option {
  return new Option('--concurrency <n>', 'accounts worked on at once (1-100)')
    .default(DEFAULT_AUDIT_CONCURRENCY)
    .argParser((value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 100)
        throw new InvalidArgumentError('use a whole number from 1 to 100');
      return n;
    });
}

/**
 * `--account <id>`: the value is trimmed and checked (12 digits) while the flags are
 * parsed, so a pasted "200000000001 " reaches AWS as 200000000001 and a bad id is
 * refused (exit 2) before any AWS call.
 */
export function accountOption(description = 'one member account (12 digits)'): Option {
  return new Option('--account <id>', description).argParser((value: string) => {
    const checked = checkAccountId(value);
    if (!checked.ok) throw new InvalidArgumentError(checked.reason);
    return checked.value;
  });
}

const REQUEST_ID = /^BG-[A-Z0-9]{1,32}$/;

/** `--request <id>`: trimmed, upper-cased and checked (BG-…). */
export function requestIdOption(description: string): Option {
  return new Option('--request <id>', description).argParser((value: string) => {
    const id = value.trim().toUpperCase();
    if (!REQUEST_ID.test(id))
      throw new InvalidArgumentError(
        `"${id.slice(0, 40)}" is not a request id: use BG- and its letters, e.g. BG-7KQ2M9XD`,
      );
    return id;
  });
}

/** Exactly one of the target flags must be given. */
export function requireOneTarget(flags: Record<string, unknown>, names: [string, string]): void {
  const given = names.filter((n) => flags[camel(n)] !== undefined && flags[camel(n)] !== false);
  if (given.length !== 1) {
    throw new CliError(`give exactly one of --${names[0]} or --${names[1]}`, 2);
  }
}

export function outputFormat(flags: { json?: boolean; csv?: boolean }): OutputFormat {
  if (flags.json && flags.csv) throw new CliError('give at most one of --json or --csv', 2);
  return flags.json ? 'json' : flags.csv ? 'csv' : 'table';
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
