/**
 * Close-match hints for mistyped flags and commands: "--all" is a prefix of
 * "--all-present", "--acount" is one edit from "--account". No I/O.
 */
import type { Command } from 'commander';

/** Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The candidate the input most likely meant, or undefined when none is close. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const bare = (s: string) => s.replace(/^-+/, '').toLowerCase();
  const typed = bare(input);
  if (typed.length < 2) return undefined;
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const name = bare(candidate);
    if (name === typed) continue;
    const shorter = Math.min(name.length, typed.length);
    // One is the start of the other ("--all" for "--all-present", "--accounts" for "--account").
    const prefix = shorter >= 3 && (name.startsWith(typed) || typed.startsWith(name));
    const distance = editDistance(typed, name);
    const near = distance <= Math.max(1, Math.floor(name.length / 3));
    if (!prefix && !near) continue;
    const score = prefix ? Math.min(distance, Math.abs(name.length - typed.length)) : distance;
    if (!best || score < best.score) best = { candidate, score };
  }
  return best?.candidate;
}

function longFlags(command: Command): string[] {
  return command.options.flatMap((o) => (o.long ? [o.long] : []));
}

/**
 * Commander's one-line usage errors, with "; did you mean …?" when a flag or
 * command is close to one that exists. Program-wide flags count for every command.
 */
export function withHint(message: string, command: Command): string {
  const line = message.trimEnd();
  const option = /^error: unknown option '([^']+)'$/.exec(line);
  if (option?.[1]) {
    const flags = [...longFlags(command), ...(command.parent ? longFlags(command.parent) : []), '--help'];
    const hint = closest(option[1].split('=')[0] ?? option[1], flags);
    return hint ? `${line}; did you mean ${hint}?\n` : message;
  }
  const unknownCommand = /^error: unknown command '([^']+)'$/.exec(line);
  if (unknownCommand?.[1]) {
    const hint = closest(
      unknownCommand[1],
      command.commands.map((c) => c.name()),
    );
    return hint ? `${line}; did you mean ${hint}?\n` : message;
  }
  return message;
}
