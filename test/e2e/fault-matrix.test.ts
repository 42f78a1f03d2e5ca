/**
 * The fault matrix, through the running bot and the fakes. Part one: the bot
 * as a real process killed (SIGKILL) at every step boundary of execute and
 * cleanup, then restarted on the same database. Every case ends with the account
 * verified clean, the requester and the channel told once, and the process alive.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRASH_POINTS } from '../../src/workflow/crash-points.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { APPROVER_A, APPROVER_B, APPROVER_GROUP, REQUESTER, waitFor } from '../support/bot-env.js';
import { modalValues } from '../support/bot-flows.js';
import { startBotProcess, storedRequest } from '../support/bot-process.js';
import { CHANNEL } from '../support/slack-client.js';

const ACCOUNT = memberId(2);
/** Short windows and leases, so a killed process's job is taken over in about a second. */
const FAST = {
  BREAKGLASS_DURATIONS: '3s',
  BREAKGLASS_REMIND_BEFORE: '1s',
  BREAKGLASS_JOB_LEASE: '1s',
  BREAKGLASS_CLEANUP_RETRY: '1s',
};
let aws: FakeAws;
let slack: FakeSlack;
let dbFile: string;
let children: ChildProcess[];

beforeEach(async () => {
  aws = await FakeAws.start();
  seedMembers(aws, 3, 0);
  slack = await FakeSlack.start();
  slack.groups.set(APPROVER_GROUP, [APPROVER_B]);
  dbFile = join(mkdtempSync(join(tmpdir(), 'bg-matrix-')), 'breakglass.db');
  children = [];
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  await slack.close();
  await aws.close();
});

/** Posts accepted by Slack whose text contains `marker`, to `channel`. */
function delivered(channel: string, marker: string): number {
  return slack
    .callsOf('chat.postMessage')
    .filter(
      (c) => c.outcome?.ok !== false && c.args.channel === channel && String(c.args.text).includes(marker),
    ).length;
}

describe('SIGKILL at every step boundary', () => {
  it.each(CRASH_POINTS)('finishes after a crash at %s', { timeout: 40_000 }, async (point) => {
    const first = await startBotProcess(
      aws,
      slack,
      dbFile,
      { ...FAST, BREAKGLASS_TEST_CRASH_AT: point },
      children,
    );
    await first.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: modalValues({ account: ACCOUNT, duration: '3', justification: `crash at ${point}` }),
    });
    const request = await waitFor('the preview', async () => {
      const r = await storedRequest(dbFile);
      return r?.preview?.status === 'ready' ? r : undefined;
    });
    const value = JSON.stringify({ id: request.id, h: request.contentHash });
    await first.client.blockAction(APPROVER_A, { action_id: 'bg_approve', value });
    await first.client.blockAction(APPROVER_B, { action_id: 'bg_approve', value });
    expect(await first.exited).toBe('SIGKILL');

    const second = await startBotProcess(aws, slack, dbFile, FAST, children);
    await waitFor(
      'a verified cleanup',
      async () => ((await storedRequest(dbFile, request.id))?.state === 'closed' ? true : undefined),
      15_000,
    );
    expect(aws.account(ACCOUNT).root).toMatchObject({ loginProfile: null, accessKeys: [], mfaDevices: [] });
    await waitFor('the cleanup announcement', () => (delivered(CHANNEL, 'is closed') ? true : undefined));
    expect(delivered(CHANNEL, 'is closed')).toBe(1);
    await waitFor('the grant DM', () =>
      delivered(REQUESTER, 'Root password recovery is enabled') ? true : undefined,
    );
    expect(delivered(REQUESTER, 'Root password recovery is enabled')).toBe(1);
    expect(second.child.exitCode).toBeNull();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe('0');
  });
});
