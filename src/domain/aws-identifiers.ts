/**
 * Pure checks of AWS identifiers typed by people. Each returns a one-line reason
 * when the input is refused, so the CLI and Slack can show it as is.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const ACCOUNT_ID = /^\d{12}$/;

export function checkAccountId(input: string): Checked<string> {
  const value = input.trim();
  if (ACCOUNT_ID.test(value)) return { ok: true, value };
  return {
    ok: false,
    reason: `"${clip(value)}" is not an AWS account id: use the 12 digits, e.g. 123456789012`,
  };
}

const BUCKET_CHARS = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;

/** S3 general purpose bucket naming rules (no legacy upper-case names). */
export function checkBucketName(input: string): Checked<string> {
  const value = input.trim();
  const refuse = (why: string): Checked<string> => ({
    ok: false,
    reason: `"${clip(value)}" is not a valid S3 bucket name: ${why}`,
  });
  if (value.length < 3 || value.length > 63) return refuse('it must be 3 to 63 characters long');
  if (!BUCKET_CHARS.test(value)) {
    return refuse(
      'use lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit',
    );
  }
  if (value.includes('..')) return refuse('it must not contain two dots in a row');
  if (IP_ADDRESS.test(value)) return refuse('it must not look like an IP address');
  if (value.startsWith('xn--') || value.startsWith('sthree-'))
    return refuse('that prefix is reserved by AWS');
  if (value.endsWith('-s3alias') || value.endsWith('--ol-s3'))
    return refuse('that suffix is reserved by AWS');
  return { ok: true, value };
}

export interface QueueRef {
  url: string;
  accountId: string;
  name: string;
  /** the region in the queue's AWS host name: the SQS client is built for it */
  region: string;
}

/** 1-80 characters; a FIFO queue's name ends in .fifo, which counts towards the 80. */
const QUEUE_NAME = /^(?:[A-Za-z0-9_-]{1,75}\.fifo|[A-Za-z0-9_-]{1,80})$/;
const REGION = '([a-z]{2}(?:-[a-z]+)+-\\d{1,2})';
/** The AWS SQS host names a queue URL may use, each with the region it names. */
const SQS_HOSTS: readonly RegExp[] = [
  new RegExp(`^sqs\\.${REGION}\\.amazonaws\\.com$`),
  /^sqs\.(cn-[a-z]+-\d{1,2})\.amazonaws\.com\.cn$/,
  new RegExp(`^sqs-fips\\.${REGION}\\.amazonaws\\.com$`),
  new RegExp(`^sqs\\.${REGION}\\.api\\.aws$`),
  // legacy host names, still printed by older tools and consoles
  new RegExp(`^${REGION}\\.queue\\.amazonaws\\.com$`),
];
const LEGACY_US_EAST_1 = 'queue.amazonaws.com';
const REGION_NAME = new RegExp(`^${REGION}$`);

/** An AWS region name such as eu-west-1 or us-gov-west-1 (a client's endpoint is built from it). */
export function isRegionName(text: string): boolean {
  return REGION_NAME.test(text);
}

/** The region an AWS SQS host name belongs to; undefined for any other host. */
export function sqsHostRegion(hostname: string): string | undefined {
  if (hostname === LEGACY_US_EAST_1) return 'us-east-1';
  for (const pattern of SQS_HOSTS) {
    const region = pattern.exec(hostname)?.[1];
    if (region) return region;
  }
  return undefined;
}

/**
 * An SQS queue URL: https://sqs.<region>.amazonaws.com/<account>/<name>, or
 * another AWS SQS host name (FIPS, dual-stack, China, legacy). Any other host is
 * refused, local ones included: the URL names the queue and its region, never
 * where requests go (the SQS client resolves its endpoint from the region).
 */
export function checkQueueUrl(input: string): Checked<QueueRef> {
  const value = input.trim();
  const refuse = (why: string): Checked<QueueRef> => ({
    ok: false,
    reason: `"${clip(value)}" is not an SQS queue URL: ${why}`,
  });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('expected https://sqs.<region>.amazonaws.com/<account-id>/<queue-name>');
  }
  if (url.protocol !== 'https:') return refuse('it must use https');
  if (url.username || url.password) return refuse('it must not contain a user name or password');
  if (url.port) return refuse('it must not name a port');
  const region = sqsHostRegion(url.hostname);
  if (!region) return refuse(`"${clip(url.hostname, 40)}" is not an AWS SQS host`);
  if (url.search || url.hash) return refuse('it must not have a query string or fragment');
  const parts = url.pathname.split('/').filter(Boolean);
  const [accountId, name] = parts;
  if (parts.length !== 2 || !accountId || !name || !ACCOUNT_ID.test(accountId)) {
    return refuse('the path must be /<12-digit account id>/<queue name>');
  }
  if (!QUEUE_NAME.test(name)) {
    return refuse('queue names are 1-80 letters, digits, hyphens or underscores (FIFO names end in .fifo)');
  }
  return { ok: true, value: { url: `${url.origin}/${accountId}/${name}`, accountId, name, region } };
}

/** Keep refusal lines one short line even for pasted garbage. */
function clip(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}
