/**
 * Where `npm run local` keeps its state (`./.local-bot/`, or BREAKGLASS_LOCAL_DIR):
 * the running bot's addresses for the driver, the SQLite database and the bot's log.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface LocalState {
  pid: number;
  botUrl: string;
  slackUrl: string;
  awsUrl: string;
  startedAt: string;
}

export function localDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BREAKGLASS_LOCAL_DIR || '.local-bot');
}

export const stateFile = (dir: string) => join(dir, 'state.json');

export function writeState(dir: string, state: LocalState): void {
  writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
}

export function readState(dir: string): LocalState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LocalState;
}

export function clearState(dir: string): void {
  rmSync(stateFile(dir), { force: true });
}
