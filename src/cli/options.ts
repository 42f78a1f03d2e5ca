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

/** A break-glass request (BG-…), an org-wide audit (OA-…: drift alerts too) or a bulk hardening (BH-…). */
const REQUEST_ID = /^(BG|OA|BH)-[A-Z0-9]{1,32}$/;

/** `--request <id>`: trimmed, upper-cased and checked (BG-…). */
export function requestIdOption(description: string): Option {
  return new Option('--request <id>', description).argParser((value: string) => {
    const id = value.trim().toUpperCase();
    if (!REQUEST_ID.test(id))
      throw new InvalidArgumentError(
        `"${id.slice(0, 40)}" is not a request id: use BG- (OA- for an org-wide audit, BH- for a bulk hardening) and its letters, e.g. BG-7KQ2M9XD`,
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

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** `--region`: the region of every AWS client (the regional STS endpoint among them), over AWS_REGION. */
export function regionOption(): Option {
  return new Option('--region <region>', 'AWS region (default: AWS_REGION, else us-east-1)').argParser(
    (value: string) => {
      const region = value.trim();
      if (!REGION.test(region))
        throw new InvalidArgumentError(`"${region.slice(0, 40)}" is not an AWS region: use e.g. us-east-1`);
      return region;
    },
  );
}

/** `--profile`: a named profile of the shared AWS config and credentials files, over AWS_PROFILE. */
export function profileOption(): Option {
  return new Option('--profile <name>', 'AWS profile from ~/.aws/config (default: AWS_PROFILE)').argParser(
    (value: string) => {
      const profile = value.trim();
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      if (!/^[^\s\u0000-\u001f\u007f]{1,128}$/.test(profile))
        throw new InvalidArgumentError('a profile name is one word of up to 128 characters');
      return profile;
    },
  );
}
