/** Maps Web API failures to what the outbox needs: can a retry help, and when. */
import {
  ErrorCode,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebAPIRequestError,
} from '@slack/web-api';
import { DeliveryError } from '../workflow/delivery-error.js';

/**
 * Platform errors that Slack documents as temporary. Every other `ok: false`
 * (not_in_channel, invalid_blocks, invalid_auth, …) fails the same way on every
 * retry, so it is permanent and must reach a person.
 */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

/** Slack's chat.postMessage allows about one message a second per channel; `rate_limited` gives no Retry-After. */
const RATE_LIMITED_PAUSE_MS = 2_000;

export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case ErrorCode.PlatformError: {
      const slackError = (error as WebAPIPlatformError).data.error;
      // chat.postMessage's own "too many messages" answer (ok: false, HTTP 200), apart from HTTP 429.
      if (slackError === 'rate_limited')
        return new DeliveryError('rate-limited', slackError, RATE_LIMITED_PAUSE_MS);
      return new DeliveryError(
        TRANSIENT_PLATFORM_ERRORS.has(slackError) ? 'transient' : 'permanent',
        slackError,
      );
    }
    case ErrorCode.RateLimitedError:
      return new DeliveryError(
        'rate-limited',
        'ratelimited',
        (error as WebAPIRateLimitedError).retryAfter * 1000,
      );
    case ErrorCode.HTTPError: {
      const status = (error as WebAPIHTTPError).statusCode;
      // 4xx other than 429 means the request itself is wrong: retrying sends the same request.
      return new DeliveryError(status >= 500 || status === 408 ? 'transient' : 'permanent', `http_${status}`);
    }
    case ErrorCode.RequestError: {
      const original = (error as WebAPIRequestError).original;
      return new DeliveryError('transient', original?.name === 'TimeoutError' ? 'timeout' : 'request_failed');
    }
    default:
      return new DeliveryError('transient', error instanceof Error ? error.message : String(error));
  }
}
