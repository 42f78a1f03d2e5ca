/**
 * Posts a click reply to its response_url, mapping failures like Web API ones:
 * 429 holds (Retry-After), 5xx and network failures are retried, anything else
 * (Slack's `expired_url`, `used_url`, …) cannot succeed later.
 */
import type { ClickReply } from '../domain/notice.js';
import { DeliveryError } from '../workflow/delivery-error.js';

/** Slack's response URLs live 30 minutes; a reply written now must be sent before that. */
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** Leave room for the delivery itself. */
const EXPIRY_MARGIN_MS = 60_000;

export function clickReply(
  url: string,
  message: { text: string; blocks?: unknown[] },
  replaceOriginal: boolean,
  now = Date.now(),
): ClickReply {
  return {
    url,
    expiresAt: now + RESPONSE_URL_TTL_MS - EXPIRY_MARGIN_MS,
    replaceOriginal,
    text: message.text,
    ...(message.blocks ? { blocks: message.blocks } : {}),
  };
}

export async function postToResponseUrl(reply: ClickReply, timeoutMs: number): Promise<void> {
  const body = reply.replaceOriginal
    ? { replace_original: true, text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) }
    : { response_type: 'ephemeral', replace_original: false, text: reply.text };
  let res: Response;
  try {
    res = await fetch(reply.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = (error as { name?: string } | null)?.name === 'TimeoutError';
    throw new DeliveryError('transient', timedOut ? 'timeout' : 'request_failed');
  }
  const text = await res.text();
  const slackError = errorIn(text);
  if (res.status === 429) {
    const header = res.headers.get('retry-after');
    const seconds = header === null ? Number.NaN : Number(header);
    throw new DeliveryError(
      'rate-limited',
      'ratelimited',
      Number.isFinite(seconds) ? seconds * 1000 : undefined,
    );
  }
  if (res.status >= 500) throw new DeliveryError('transient', `http_${res.status}`);
  // A bare 404 right after a click has been seen to pass a few seconds later (bolt-js #1261);
  // Slack names a lapsed or used-up URL (expired_url, used_url), and that is final.
  if (res.status === 404 && !slackError) throw new DeliveryError('transient', 'http_404');
  if (!res.ok || slackError) throw new DeliveryError('permanent', slackError ?? `http_${res.status}`);
}

/** Slack answers a response_url with JSON `{ ok, error }` or a bare word such as `expired_url`. */
function errorIn(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { ok?: boolean; error?: string };
    return parsed.ok === false ? (parsed.error ?? 'unknown_error') : undefined;
  } catch {
    return /^[a-z_]+_url$/.test(text.trim()) ? text.trim() : undefined;
  }
}
