import { z } from 'zod';
import { ConfigError, problemLines, wholeNumber } from './app-config.js';

/** A comma list of 12-digit account ids; every bad one is named in one problem line. */
const accountIds = (name: string) =>
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      const ids = text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = ids.filter((id) => !/^\d{12}$/.test(id));
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} takes 12-digit AWS account ids separated by commas; not: ${bad.join(', ')}`,
        });
      }
      return [...new Set(ids)];
    });

/**
 * How the bot talks to AWS. Credentials come from the SDK's standard chain;
 * endpoints from the SDK's own AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL
 * variables. We only read them to know when a custom S3 endpoint is in use,
 * because S3 then needs path-style addressing.
 */
const schema = z.object({
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'AWS_REGION must be a region such as us-east-1')
    .default('us-east-1'),
  AWS_USE_FIPS_ENDPOINT: z
    .enum(['true', 'false'], { message: 'AWS_USE_FIPS_ENDPOINT must be true or false' })
    .default('false'),
  AWS_USE_DUALSTACK_ENDPOINT: z
    .enum(['true', 'false'], { message: 'AWS_USE_DUALSTACK_ENDPOINT must be true or false' })
    .default('false'),
  AWS_ENDPOINT_URL: z.url({ message: 'AWS_ENDPOINT_URL must be a URL' }).optional(),
  AWS_ENDPOINT_URL_S3: z.url({ message: 'AWS_ENDPOINT_URL_S3 must be a URL' }).optional(),
  AWS_ENDPOINT_URL_SQS: z.url({ message: 'AWS_ENDPOINT_URL_SQS must be a URL' }).optional(),
  BREAKGLASS_AWS_MAX_ATTEMPTS: wholeNumber('BREAKGLASS_AWS_MAX_ATTEMPTS', 1, 20, 8),
  BREAKGLASS_AWS_REQUEST_TIMEOUT_MS: wholeNumber('BREAKGLASS_AWS_REQUEST_TIMEOUT_MS', 100, 120_000, 10_000),
  BREAKGLASS_PROTECTED_ACCOUNTS: accountIds('BREAKGLASS_PROTECTED_ACCOUNTS'),
});

export interface AwsSettings {
  region: string;
  /** attempts per AWS call, retries on throttling and 5xx included */
  maxAttempts: number;
  /** per-attempt time limit, so that a call is bounded in time as well as attempts */
  requestTimeoutMs: number;
  useFipsEndpoint: boolean;
  useDualstackEndpoint: boolean;
  customS3Endpoint: boolean;
  /**
   * Accounts root tasks never target, on top of the management account, the
   * bot's own account and the IAM delegated administrator (found at run time).
   */
  protectedAccounts: string[];
  /**
   * A named profile of the shared AWS config and credentials files, given to every
   * SDK client (the CLI's `--profile`); unset, the SDK's own chain applies (AWS_PROFILE…).
   */
  profile?: string;
}

export function awsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(problemLines(parsed.error.issues, env));
  }
  const e = parsed.data;
  return {
    region: e.AWS_REGION,
    maxAttempts: e.BREAKGLASS_AWS_MAX_ATTEMPTS,
    requestTimeoutMs: e.BREAKGLASS_AWS_REQUEST_TIMEOUT_MS,
    useFipsEndpoint: e.AWS_USE_FIPS_ENDPOINT === 'true',
    useDualstackEndpoint: e.AWS_USE_DUALSTACK_ENDPOINT === 'true',
    customS3Endpoint: Boolean(e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL),
    protectedAccounts: e.BREAKGLASS_PROTECTED_ACCOUNTS,
  };
}
