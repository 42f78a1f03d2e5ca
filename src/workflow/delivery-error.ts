/**
 * How a Slack delivery failed, as the outbox needs to know it: can a retry help,
 * and when. The Slack layer maps Web API errors to these; the workflow never
 * sees Slack types.
 */
export type DeliveryFailure = 'permanent' | 'rate-limited' | 'transient';

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';

  constructor(
    readonly failure: DeliveryFailure,
    /** Slack's error code (e.g. not_in_channel) or a short cause (http_503, timeout) */
    readonly code: string,
    /** for rate-limited: Slack's Retry-After, in ms */
    readonly retryAfterMs?: number,
  ) {
    super(`${failure} Slack error: ${code}`);
  }
}
