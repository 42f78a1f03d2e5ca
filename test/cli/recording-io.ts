import type { CliIo } from '../../src/cli/io.js';

export interface Recorded extends CliIo {
  stdout: string[];
  stderr: string[];
  /** the questions asked, in order */
  questions: string[];
}

/**
 * A CliIo that records what the CLI writes. `answer` is what the operator types
 * (undefined: stdin is not a terminal); `columns` the terminal's width (undefined:
 * stdout is not a terminal).
 */
export function recordingIo(options: { answer?: string; columns?: number; color?: boolean } = {}): Recorded {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const questions: string[] = [];
  return {
    stdout,
    stderr,
    questions,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    interactive: false,
    ...(options.columns === undefined ? {} : { columns: options.columns }),
    color: options.color ?? false,
    ask: async (question) => {
      questions.push(question);
      return options.answer;
    },
  };
}
