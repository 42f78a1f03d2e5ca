/** Safe text for Slack mrkdwn. */

/**
 * Escapes the three control characters of mrkdwn (& first), which neutralizes
 * injected <!channel>, <!here>, <@U…>, <!subteam^…> and links in user text.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function mention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** Mentions for configured approver ids: users and user groups. */
export function mentionAll(ids: readonly string[]): string {
  return ids.map((id) => (id.startsWith('S') ? `<!subteam^${id}>` : mention(id))).join(' ');
}

/** A time each reader sees in their own time zone. */
export function slackTime(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${new Date(epochMs).toISOString()}>`;
}

/** Cuts long text (policies, errors) to fit a block, saying so. */
export function clip(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max - 20)}… (${text.length - max + 20} more characters)`;
}
