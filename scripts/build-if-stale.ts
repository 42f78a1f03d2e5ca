/**
 * `prestart`: builds dist/main.js only when it is missing or older than what it
 * is built from (src/, package.json, package-lock.json), so `npm start` does not
 * rebuild a current build, and `start` itself can be a plain `node` command that
 * receives SIGTERM.
 *
 * Directories count too: deleting or renaming a file changes its directory's
 * modification time, not any remaining file's.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const OUTPUT = 'dist/main.js';
export const INPUTS = ['src', 'package.json', 'package-lock.json'];

/** The newest modification time under `path` (itself included), in ms; 0 when it does not exist. */
function newest(path: string): number {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce(
    (latest, entry) => Math.max(latest, newest(join(path, entry))),
    stats.mtimeMs,
  );
}

/** Why the build must run again, or undefined when it is current. Paths are relative to `root`. */
export function staleReason(root: string, output = OUTPUT, inputs = INPUTS): string | undefined {
  let built: number;
  try {
    built = statSync(join(root, output)).mtimeMs;
  } catch {
    return `${output} does not exist`;
  }
  const changed = inputs.filter((input) => newest(join(root, input)) > built);
  return changed.length ? `${changed.join(', ')} changed since ${output} was built` : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const reason = staleReason(process.cwd());
  if (reason) {
    process.stderr.write(`building ${OUTPUT}: ${reason}\n`);
    const build = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
    process.exit(build.status ?? 1);
  }
}
