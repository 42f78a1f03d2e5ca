/**
 * The bot as a real process, killed with SIGKILL while a root window is open,
 * then started again on the same database: the window is still cleaned up.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { APPROVER_A, APPROVER_B, APPROVER_GROUP, REQUESTER, waitFor } from '../support/bot-env.js';
import { modalValues } from '../support/bot-flows.js';
import { startBotProcess, storedRequest } from '../support/bot-process.js';

const ACCOUNT = memberId(2);
let aws: FakeAws;
let slack: FakeSlack;
let dbFile: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  aws = await FakeAws.start();
  seedMembers(aws, 3, 0);
  slack = await FakeSlack.start();
  slack.groups.set(APPROVER_GROUP, [APPROVER_B]);
  dbFile = join(mkdtempSync(join(tmpdir(), 'bg-crash-')), 'breakglass.db');
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await slack.close();
  await aws.close();
});

const startProcess = () =>
  startBotProcess(
    aws,
    slack,
    dbFile,
    { BREAKGLASS_DURATIONS: '2s', BREAKGLASS_REMIND_BEFORE: '1s' },
    children,
  );
const stored = (id?: string) => storedRequest(dbFile, id);

it('cleans up a window whose bot was killed (SIGKILL) and restarted on the same database', async () => {
  const first = await startProcess();
  await first.client.viewSubmission(REQUESTER, {
    callback_id: 'bg_request',
    values: modalValues({ account: ACCOUNT, duration: '2', justification: 'x' }),
  });
  const request = await waitFor('the request with its preview', async () => {
    const r = await stored();
    return r?.preview?.status === 'ready' ? r : undefined;
  });
  const value = JSON.stringify({ id: request.id, h: request.contentHash });
  await first.client.blockAction(APPROVER_A, { action_id: 'bg_approve', value });
  await first.client.blockAction(APPROVER_B, { action_id: 'bg_approve', value });
  await waitFor('the window to open', async () =>
    (await stored(request.id))?.state === 'active' ? true : undefined,
  );
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));

  aws
    .account(ACCOUNT)
    .root.accessKeys.push({ id: 'AKIALEFTBEHIND', status: 'Active', createDate: new Date() });
  await new Promise((resolve) => setTimeout(resolve, 2500));
  expect((await stored(request.id))?.state).toBe('active');

  const second = await startProcess();
  await waitFor(
    'cleanup after the restart',
    async () => ((await stored(request.id))?.state === 'closed' ? true : undefined),
    10_000,
  );
  expect(aws.account(ACCOUNT).root).toMatchObject({ loginProfile: null, accessKeys: [] });
  second.child.kill('SIGTERM');
});
