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
  /** Region parsed from an AWS host name; undefined for a custom endpoint. */
  region: string | undefined;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$/;
const SQS_HOST = /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
const LEGACY_SQS_HOST = /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An SQS queue URL: https://sqs.<region>.amazonaws.com/<account>/<name>.
 * Plain http is accepted only for a local endpoint (tests, the demo).
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
  const local = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return refuse('it must use https');
  const region = SQS_HOST.exec(url.hostname)?.[1] ?? LEGACY_SQS_HOST.exec(url.hostname)?.[1];
  if (!region && !local) return refuse(`"${url.hostname}" is not an SQS endpoint`);
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
function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
