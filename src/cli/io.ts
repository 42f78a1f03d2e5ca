import { createInterface } from 'node:readline/promises';

/** Where the CLI writes and asks; tests pass a recording one. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: show progress bars */
  interactive: boolean;
  /** the width of the terminal stdout is, when it is one; tables then fit it (else 100) */
  columns?: number;
  /** write ANSI colours (stdout is a terminal, NO_COLOR unset; or FORCE_COLOR) */
  color: boolean;
  /** ask a question and return the typed answer; undefined when no one can answer (stdin is not a terminal) */
  ask(question: string): Promise<string | undefined>;
}

/** Width tables fit when stdout is not a terminal (a pipe, a file, CI). */
export const DEFAULT_COLUMNS = 100;

/**
 * Colour only on a terminal. NO_COLOR (any non-empty value, https://no-color.org)
 * turns it off, and wins; FORCE_COLOR (other than 0 or false) turns it on anywhere.
 */
export function colorWanted(env: NodeJS.ProcessEnv, isTerminal: boolean): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  return isTerminal && env.TERM !== 'dumb';
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  interactive: Boolean(process.stderr.isTTY),
  get columns() {
    if (process.stdout.isTTY) return process.stdout.columns;
    const fromEnv = Number(process.env.COLUMNS);
    return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined;
  },
  color: colorWanted(process.env, Boolean(process.stdout.isTTY)),
  async ask(question) {
    if (!process.stdin.isTTY) return undefined;
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return (await rl.question(question)).trim();
    } finally {
      rl.close();
    }
  },
};

/** A failure the CLI reports as one line (plus an optional hint) and a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly hint?: string,
  ) {
    super(message);
  }
}
