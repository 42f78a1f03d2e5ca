import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_AUDIT_CONCURRENCY } from '../aws/org-audit.js';
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
