import { SingleBar } from 'cli-progress';
import type { CliIo } from './io.js';

/** A progress bar on stderr when it is a terminal; nothing otherwise (pipes, CI). */
export function progressReporter(
  io: CliIo,
  label: string,
): { update(done: number, total: number): void; stop(): void } {
  if (!io.interactive) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} accounts | {duration_formatted}`,
    stream: process.stderr,
    hideCursor: true,
  });
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}
