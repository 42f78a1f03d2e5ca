/** Durations as people type them in configuration: 30s, 10m, 1h, 1h30m (and 500ms for ticks). Pure. */

const PART = /(\d+)\s*(ms|s|m|h)/gy;
const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;

/** Seconds (fractional for ms), or undefined when the text is not a positive duration such as 30m or 1h30m. */
export function parseDuration(text: string): number | undefined {
  const input = text.trim().toLowerCase();
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(input); m; m = PART.exec(input)) {
    total += Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
    consumed = PART.lastIndex;
  }
  return consumed === input.length && total > 0 ? total : undefined;
}

/**
 * Seconds of a long interval (the audit schedule, drift reminders): a duration
 * as above, or whole days (`7d`); undefined otherwise.
 */
export function parseInterval(text: string): number | undefined {
  const days = /^(\d+)\s*d$/i.exec(text.trim());
  if (days) return Number(days[1]) > 0 ? Number(days[1]) * 86_400 : undefined;
  return parseDuration(text);
}

/** 5400 -> "1h 30m"; 45 -> "45s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', rest && !h ? `${rest}s` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : '0s';
}
