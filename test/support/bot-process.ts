/** The bot as a real child process (tsx, src/main.ts), for tests that kill it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { FakeAws } from '../fakes/aws/server.js';
import type { FakeSlack } from '../fakes/slack/server.js';
import { botEnvironment } from './bot-env.js';
import { SlackTestClient } from './slack-client.js';

export interface BotProcess {
  child: ChildProcess;
  client: SlackTestClient;
  /** the scheduler's worker id: the `claimedBy` of the jobs this process holds */
  schedulerWorker: string | undefined;
  /** resolves with the exit signal or code */
  exited: Promise<string>;
}

/** Starts the bot and resolves once it listens; the caller kills it (children are tracked in `all`). */
export async function startBotProcess(
  aws: FakeAws,
  slack: FakeSlack,
  dbFile: string,
  overrides: Record<string, string>,
  all: ChildProcess[],
): Promise<BotProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', ...botEnvironment(aws, slack, dbFile, overrides) },
  });
  all.push(child);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    const port = /"port":(\d+)/.exec(line)?.[1];
    if (port) {
      child.stdout?.resume();
      const client = new SlackTestClient(`http://127.0.0.1:${port}`, (id) => slack.responseUrl(id));
      const schedulerWorker = /"scheduler":"([^"]+)"/.exec(line)?.[1];
      return { child, client, schedulerWorker, exited };
    }
  }
  throw new Error('the bot exited before listening');
}

/** Reads a request from the database file, as another process would. */
export async function storedRequest(dbFile: string, id?: string) {
  const store = new SqliteStore(dbFile);
  try {
    if (id) return (await store.getRequest(id))?.request;
    return (await store.listRequests({ limit: 1 }))[0]?.request;
  } finally {
    await store.close();
  }
}
