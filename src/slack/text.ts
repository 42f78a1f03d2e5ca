import type { WordingFormat } from '../domain/state-wording.js';

/**
 * Safe text for Slack mrkdwn. User and AWS text is escaped first and clipped
 * after, at token boundaries: an entity (`&amp;`), a `<…>` mention or link the
 * code built, or a surrogate pair is never cut, so escaping can never push a
 * field past Slack's limit.
 */

/**
 * Escapes the three control characters of mrkdwn (& first), which neutralizes
 * injected <!channel>, <!here>, <@U…>, <!subteam^…> and links in user text.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** User text for a mrkdwn field: escaped, then clipped to `max` characters, saying how much was cut. */
export function safeMrkdwn(text: string, max: number): string {
  return clipMrkdwn(escapeMrkdwn(text), max);
}

/**
 * Clips mrkdwn (escaped text, mentions and links the code built) to at most
 * `max` characters without cutting a token, ending with "… (N more characters)".
 * N counts what a reader would see: an entity is one character. `max` must
 * leave room for that note (about 30 characters).
 */
export function clipMrkdwn(mrkdwn: string, max: number): string {
  if (mrkdwn.length <= max) return mrkdwn;
  const tokens = mrkdwnTokens(mrkdwn);
  const total = tokens.reduce((n, t) => n + tokenLength(t), 0);
  // The note is measured with the largest count it could show, so it always fits.
  const budget = max - cutNote(total).length;
  let used = 0;
  let shown = 0;
  let kept = 0;
  for (const token of tokens) {
    if (used + token.length > budget) break;
    used += token.length;
    shown += tokenLength(token);
    kept += 1;
  }
  return `${tokens.slice(0, kept).join('')}${cutNote(total - shown)}`;
}

/** Plain text (headers, button labels, titles): clipped to `max` without cutting a surrogate pair. */
export function clipPlain(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/**
 * Splits mrkdwn into pieces of at most `size` characters, never inside a token,
 * preferring to break after a newline near the end of a piece.
 */
export function splitMrkdwn(mrkdwn: string, size: number): string[] {
  const pieces: string[] = [];
  let piece: string[] = [];
  let length = 0;
  let lastNewline = -1;
  const flush = (upTo: number) => {
    pieces.push(piece.slice(0, upTo).join(''));
    piece = piece.slice(upTo);
    length = piece.reduce((n, t) => n + t.length, 0);
    lastNewline = piece.lastIndexOf('\n');
  };
  for (const token of mrkdwnTokens(mrkdwn)) {
    if (length + token.length > size) {
      // Break after the last newline if it keeps at least three quarters of the piece.
      const before = lastNewline >= 0 ? piece.slice(0, lastNewline + 1).join('').length : 0;
      flush(before >= size * 0.75 ? lastNewline + 1 : piece.length);
    }
    piece.push(token);
    length += token.length;
    if (token === '\n') lastNewline = piece.length - 1;
  }
  if (piece.length || !pieces.length) flush(piece.length);
  return pieces;
}

/** Characters a reader sees in escaped mrkdwn: an entity is one. */
export function displayedLength(mrkdwn: string): number {
  return mrkdwnTokens(mrkdwn).reduce((n, t) => n + tokenLength(t), 0);
}

/** The characters of mrkdwn that must stay whole: entities, `<…>` tokens, surrogate pairs. */
function mrkdwnTokens(mrkdwn: string): string[] {
  return mrkdwn.match(/&(?:amp|lt|gt);|<[^<>]*>|[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g) ?? [];
}

function tokenLength(token: string): number {
  return token.startsWith('&') && token.length > 1 ? 1 : token.length;
}

function cutNote(characters: number): string {
  return `… (${characters} more characters)`;
}

/**
 * A link that cannot break out of `<url|label>`: `<`, `>` and `|` are
 * percent-encoded (the same URL to a browser), `&` becomes `&amp;` (Slack
 * decodes it), and the label is the escaped address, clipped.
 */
export function mrkdwnLink(url: string, labelMax = 80): string {
  const encoded = url.replace(/[<>|\s]/g, (ch) => encodeURIComponent(ch)).replace(/&/g, '&amp;');
  const label = clipMrkdwn(encoded.replace(/^https?:\/\//, ''), labelMax);
  return `<${encoded}|${label}>`;
}

export function mention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** Mentions for configured approver ids: users and user groups. */
export function mentionAll(ids: readonly string[]): string {
  return ids.map((id) => (/^S[A-Z0-9]+$/.test(id) ? `<!subteam^${id}>` : mention(id))).join(' ');
}

/** A time each reader sees in their own time zone. */
export function slackTime(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${new Date(epochMs).toISOString()}>`;
}

/** A day each reader sees in their own format; the fallback is the ISO date. */
export function slackDate(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return escapeMrkdwn(iso.slice(0, 10));
  return `<!date^${Math.floor(at / 1000)}^{date_short}|${iso.slice(0, 10)}>`;
}

/** How Slack writes the shared state wording (src/domain/state-wording.ts): mentions, local times, escaped text. */
export const SLACK_FORMAT: WordingFormat & { code(text: string): string } = {
  person: mention,
  time: slackTime,
  date: slackDate,
  text: safeMrkdwn,
  code: (text) => `\`${text}\``,
};
