/**
 * A refusal that came from a user-group or user lookup Slack did not answer is
 * a "no" (access to root fails closed), but the person is told it may be
 * Slack's doing and to try again, not that they are not allowed.
 */
import type { Authorizer } from '../workflow/ports.js';

export const LOOKUP_UNANSWERED =
  '(Slack did not answer a user-group or user lookup just now, so this could not be checked: if you should be allowed, try again in a minute.)';

/** `text`, followed by the note when `userId`'s last refusal came from an unanswered lookup. */
export function withLookupNote(people: Authorizer, userId: string, text: string): string {
  return people.couldNotCheck?.(userId) ? `${text} ${LOOKUP_UNANSWERED}` : text;
}
