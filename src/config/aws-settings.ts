import { z } from 'zod';

/**
 * How the bot talks to AWS. Credentials come from the SDK's standard chain;
 * endpoints from the SDK's own AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL
 * variables. We only read them to know when a custom endpoint is in use, because
 * S3 and SQS then need path-style addressing and must not follow queue URLs.
 */
const schema = z.object({
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region such as us-east-1')
    .default('us-east-1'),
  AWS_USE_FIPS_ENDPOINT: z.enum(['true', 'false']).default('false'),
  AWS_USE_DUALSTACK_ENDPOINT: z.enum(['true', 'false']).default('false'),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL_SQS: z.string().url().optional(),
  BREAKGLASS_AWS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  BREAKGLASS_AWS_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
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
  customSqsEndpoint: boolean;
}

export function awsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid AWS settings: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    region: e.AWS_REGION,
    maxAttempts: e.BREAKGLASS_AWS_MAX_ATTEMPTS,
    requestTimeoutMs: e.BREAKGLASS_AWS_REQUEST_TIMEOUT_MS,
    useFipsEndpoint: e.AWS_USE_FIPS_ENDPOINT === 'true',
    useDualstackEndpoint: e.AWS_USE_DUALSTACK_ENDPOINT === 'true',
    customS3Endpoint: Boolean(e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL),
    customSqsEndpoint: Boolean(e.AWS_ENDPOINT_URL_SQS ?? e.AWS_ENDPOINT_URL),
  };
}
