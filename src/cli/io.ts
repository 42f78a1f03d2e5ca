import { createInterface } from 'node:readline/promises';

/** Where the CLI writes and asks; tests pass a recording one. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: show progress bars */
  interactive: boolean;
  /** ask a yes/no question; undefined when no one can answer (stdin is not a terminal) */
  confirm(question: string): Promise<boolean | undefined>;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  interactive: Boolean(process.stderr.isTTY),
  async confirm(question) {
    if (!process.stdin.isTTY) return undefined;
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
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
