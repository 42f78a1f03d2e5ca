/** The incident or ticket link of a request: a pure check, shared by Slack and any other front end. */

export const MAX_INCIDENT_LINK = 1000;

/**
 * An http(s) URL of at most 1,000 characters, or nothing. Characters that
 * mrkdwn treats specially (`&`, `<`, `>`, `|`) are accepted: the Slack link
 * encodes them (see `mrkdwnLink`). Whitespace and control characters are not
 * part of a URL and are refused.
 */
export function checkIncidentLink(
  input: string | undefined,
): { ok: true; link: string | undefined } | { ok: false; reason: string } {
  const link = input?.trim() || undefined;
  if (!link) return { ok: true, link };
  if (link.length > MAX_INCIDENT_LINK) {
    return {
      ok: false,
      reason: `Keep the link to at most ${MAX_INCIDENT_LINK.toLocaleString('en-US')} characters.`,
    };
  }
  // The pattern fixes the scheme; the URL parser then insists on a host, as it does for http(s).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (!/^https?:\/\/[^\s\u0000-\u001f\u007f]+$/i.test(link) || !URL.canParse(link)) {
    return { ok: false, reason: 'Give an http(s) link to the incident or ticket, or leave it empty.' };
  }
  return { ok: true, link };
}
