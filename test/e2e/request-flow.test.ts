import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import {
  APPROVER_A,
  APPROVER_B,
  type BotEnv,
  OUTSIDER,
  REQUESTER,
  startBotEnv,
  waitFor,
} from '../support/bot-env.js';
import {
  approveValue,
  buttonValue,
  click,
  clickReply,
  command,
  dmsTo,
  stateOf,
  submitRequest,
  waitForState,
} from '../support/bot-flows.js';

const ACCOUNT = memberId(3);
let env: BotEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function approvedByTwo(e: BotEnv, id: string): Promise<void> {
  const value = approveValue(e.slack, id) ?? '';
  expect(await click(e, APPROVER_A, 'bg_approve', value)).toMatch(/Approval recorded \(1\/2\)/);
  expect(await click(e, APPROVER_B, 'bg_approve', value)).toMatch(/Second approval/);
}

describe('the whole path, over signed HTTP', () => {
  it('goes from /breakglass to a verified cleanup announced in the channel', async () => {
    env = await startBotEnv({ BREAKGLASS_DURATIONS: '3s,6s', BREAKGLASS_REMIND_BEFORE: '2s' });
    const e = env;
    e.aws.account(ACCOUNT).name = 'payments-prod';

    // The slash command opens the modal within the deadline.
    const cmd = await e.client.command(REQUESTER, '');
    expect(cmd.status).toBe(200);
    const open = await waitFor('views.open', () => e.slack.callsOf('views.open')[0]);
    expect(JSON.stringify(open.args.view)).toContain('bg_request');

    // Typeahead over the organization's accounts, by name or id.
    const suggestion = await e.client.blockSuggestion(REQUESTER, 'bg_account_select', 'payments');
    expect(suggestion.json()).toEqual({
      options: [{ text: { type: 'plain_text', text: `payments-prod (${ACCOUNT})` }, value: ACCOUNT }],
    });

    const request = await submitRequest(e, {
      account: ACCOUNT,
      duration: '3',
      justification: 'Billing console locked',
      link: 'https://tickets.example.com/INC-42',
    });
    const posted = e.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAPPROVALS1');
    expect(String(posted?.args.text)).toContain(request.id);
    expect(e.slack.texts('chat.update').join(' ')).toContain('Root credentials now:* no root credentials');

    await approvedByTwo(e, request.id);
    await waitForState(e, request.id, 'active');
    expect(e.aws.account(ACCOUNT).root.loginProfile).not.toBeNull();
    const granted = await waitFor('the grant DM', () =>
      dmsTo(e.slack, REQUESTER).find((t) => t.includes('Forgot password')),
    );
    expect(granted).toContain(`aws+${ACCOUNT}@example.com`);

    // The requester uses root and leaves an access key behind.
    e.aws.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);
    await waitFor('the reminder with Done and Extend', () =>
      dmsTo(e.slack, REQUESTER).find((t) => t.includes('bg_done')),
    );
    const closed = await waitForState(e, request.id, 'closed');
    expect(closed.cleanup?.verifiedAt).toBeGreaterThan(closed.windowEndsAt ?? Number.POSITIVE_INFINITY - 1);
    expect(e.aws.account(ACCOUNT).root).toMatchObject({
      loginProfile: null,
      accessKeys: [],
      signingCertificates: [],
      mfaDevices: [],
    });
    const announcement = await waitFor('the closing announcement', () =>
      e.slack.callsOf('chat.postMessage').find((c) => String(c.args.text).includes('is closed')),
    );
    expect(JSON.stringify(announcement.args.blocks)).toMatch(
      /Cleanup: removed password; access keys .*in a separate audit session/,
    );
    expect(announcement.args.thread_ts).toBeUndefined();
  });
});

describe('approvals', () => {
  it('refuses self-approval and non-approvers; counts a double click once', async () => {
    env = await startBotEnv();
    const request = await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const value = approveValue(env.slack, request.id) ?? '';
    expect(await click(env, REQUESTER, 'bg_approve', value)).toMatch(/cannot approve your own request/);
    expect(await click(env, OUTSIDER, 'bg_approve', value)).toMatch(/not an approver/);
    expect(await click(env, APPROVER_A, 'bg_approve', value)).toMatch(/1\/2/);
    expect(await click(env, APPROVER_A, 'bg_approve', value)).toMatch(/already counted/);
    expect((await stateOf(env, request.id)).approvals.map((a) => a.userId)).toEqual([APPROVER_A]);
  });

  it('executes exactly once when approvals arrive together (and Slack redelivers one)', async () => {
    env = await startBotEnv();
    const e = env;
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const value = approveValue(e.slack, request.id) ?? '';
    await Promise.all([
      e.client.blockAction(APPROVER_A, { action_id: 'bg_approve', value }),
      e.client.blockAction(APPROVER_B, { action_id: 'bg_approve', value }),
      e.client.blockAction(APPROVER_B, { action_id: 'bg_approve', value }, { retryNum: 1 }),
    ]);
    await waitForState(e, request.id, 'active');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(e.aws.callsOf('CreateLoginProfile')).toHaveLength(1);
  });

  it('denies with a reason from a modal and tells the requester', async () => {
    env = await startBotEnv();
    const e = env;
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    await e.client.blockAction(OUTSIDER, { action_id: 'bg_deny', value: request.id });
    const refused = await waitFor('the refusal', () => e.slack.callsOf('views.update')[0]);
    expect(JSON.stringify(refused.args.view)).toContain('Only approvers can deny');
    await e.client.blockAction(APPROVER_A, { action_id: 'bg_deny', value: request.id });
    const modal = await waitFor('the deny modal', () =>
      e.slack.callsOf('views.open').find((c) => JSON.stringify(c.args.view).includes('bg_deny')),
    );
    expect(JSON.stringify(modal.args.view)).toContain(request.id);
    const empty = await e.client.viewSubmission(APPROVER_A, {
      callback_id: 'bg_deny',
      private_metadata: request.id,
      values: { reason: { bg_deny_reason: { type: 'plain_text_input', value: ' ' } } },
    });
    expect(empty.json()).toMatchObject({
      response_action: 'errors',
      errors: { reason: expect.stringMatching(/reason/) },
    });
    const res = await e.client.viewSubmission(APPROVER_A, {
      callback_id: 'bg_deny',
      private_metadata: request.id,
      values: { reason: { bg_deny_reason: { type: 'plain_text_input', value: 'No incident ticket' } } },
    });
    expect(res.body).toBe('');
    expect(await waitForState(e, request.id, 'denied')).toMatchObject({
      state: 'denied',
      denial: { reason: 'No incident ticket' },
    });
    await waitFor('the denial DM', () =>
      dmsTo(e.slack, REQUESTER).find((t) => t.includes('No incident ticket')),
    );
  });

  it('expires a request nobody approved', async () => {
    env = await startBotEnv({ BREAKGLASS_PENDING_TTL: '1s' });
    const request = await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'x' });
    await waitForState(env, request.id, 'expired');
    const e = env;
    await waitFor('the message to say so', () =>
      e.slack.texts('chat.update').find((t) => t.includes('Expired without enough approvals')),
    );
    await waitFor('the requester to be told', () =>
      // In the shared state wording, as the message says it.
      dmsTo(e.slack, REQUESTER).find((t) => t.includes('Expired without enough approvals (0/2).')),
    );
  });

  it('cancels with /breakglass cancel', async () => {
    env = await startBotEnv();
    const request = await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'x' });
    // Someone else's request is "not found" to a non-approver.
    expect(await command(env, OUTSIDER, `cancel ${request.id}`)).toBe(`No request ${request.id} found.`);
    expect(await command(env, REQUESTER, `cancel ${request.id.toLowerCase()}`)).toMatch(/withdrawn/);
    expect((await stateOf(env, request.id)).state).toBe('cancelled');
  });
});

describe('windows', () => {
  it('extends a window after one approver agrees', async () => {
    env = await startBotEnv({ BREAKGLASS_DURATIONS: '2s,1h', BREAKGLASS_REMIND_BEFORE: '1s' });
    const e = env;
    const request = await submitRequest(e, { account: ACCOUNT, duration: '2', justification: 'x' });
    await approvedByTwo(e, request.id);
    const active = await waitForState(e, request.id, 'active');
    await waitFor('the reminder', () => dmsTo(e.slack, REQUESTER).find((t) => t.includes('bg_extend')));
    await clickReply(e, REQUESTER, 'bg_extend', { selected_option: { value: `${request.id}|2` } });
    const ask = await waitFor('the ask in the thread', () => buttonValue(e.slack, 'bg_extend_approve'));
    expect(await click(e, REQUESTER, 'bg_extend_approve', ask)).toMatch(/cannot approve your own extension/);
    expect(await click(e, APPROVER_B, 'bg_extend_approve', ask)).toMatch(/approved 2s more/);
    expect((await stateOf(e, request.id)).windowEndsAt).toBe((active.windowEndsAt ?? 0) + 2000);
    await waitForState(e, request.id, 'closed');
  });

  it('cleans up an open window after the bot was stopped and restarted on the same database', async () => {
    env = await startBotEnv({ BREAKGLASS_DURATIONS: '2s', BREAKGLASS_REMIND_BEFORE: '1s' });
    const e = env;
    const request = await submitRequest(e, { account: ACCOUNT, duration: '2', justification: 'x' });
    await approvedByTwo(e, request.id);
    await waitForState(e, request.id, 'active');
    await e.bot.stop();
    e.aws
      .account(ACCOUNT)
      .root.accessKeys.push({ id: 'AKIALEFTBEHIND', status: 'Active', createDate: new Date() });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const offline = new SqliteStore(e.dbFile);
    expect((await offline.getRequest(request.id))?.request.state).toBe('active');
    expect((await offline.pendingJobs(request.id)).map((j) => j.kind)).toContain('cleanup');
    await offline.close();
    await e.restart();
    await waitForState(e, request.id, 'closed', 4000);
    expect(e.aws.account(ACCOUNT).root.accessKeys).toEqual([]);
  });

  it('ends a window early with Done', async () => {
    env = await startBotEnv();
    const request = await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'x' });
    await approvedByTwo(env, request.id);
    await waitForState(env, request.id, 'active');
    expect(await click(env, OUTSIDER, 'bg_done', request.id)).toMatch(/only the requester or an approver/);
    expect(await click(env, REQUESTER, 'bg_done', request.id)).toMatch(/Cleaning up now/);
    await waitForState(env, request.id, 'closed');
  });
});

describe('AWS failures', () => {
  it('reports a failed grant with the remediation in the thread', async () => {
    env = await startBotEnv();
    const e = env;
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    // An SCP that arrives after approvers saw the account (one there before hides Approve).
    e.aws.account(ACCOUNT).scpDeniesRoot = true;
    await approvedByTwo(e, request.id);
    await waitForState(e, request.id, 'failed');
    const thread = await waitFor('the failure in the thread', () =>
      e.slack
        .callsOf('chat.postMessage')
        .find((c) => c.args.thread_ts && String(c.args.text).includes('failed')),
    );
    expect(String(thread.args.text)).toContain('AWS-GR_RESTRICT_ROOT_USER');
  });

  it('retries a failing cleanup and alerts the approvers, closing only once verified', async () => {
    env = await startBotEnv({ BREAKGLASS_CLEANUP_RETRY: '100ms' });
    const e = env;
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    await approvedByTwo(e, request.id);
    await waitForState(e, request.id, 'active');
    e.aws.failNext('DeleteLoginProfile', 'AccessDenied', { status: 403, times: 4 });
    await click(e, REQUESTER, 'bg_done', request.id);
    const alert = await waitFor('the alert', () =>
      e.slack.callsOf('chat.postMessage').find((c) => String(c.args.text).includes('keeps failing')),
    );
    expect(String(alert.args.text)).toContain(`<@${APPROVER_A}> <!subteam^SAPPROVERS1>`);
    expect((await stateOf(e, request.id)).state).toBe('cleaning');
    await waitForState(e, request.id, 'closed', 15_000);
  });
});

describe('DRY_RUN', () => {
  it('runs the whole flow without changing AWS, and says so', async () => {
    env = await startBotEnv({ DRY_RUN: 'true' });
    const e = env;
    const request = await submitRequest(e, {
      account: ACCOUNT,
      duration: '1800',
      justification: 'rehearsal',
    });
    await approvedByTwo(e, request.id);
    await waitForState(e, request.id, 'active');
    const thread = await waitFor('the outcome', () =>
      e.slack
        .callsOf('chat.postMessage')
        .find((c) => c.args.thread_ts && String(c.args.text).includes('dry run')),
    );
    expect(String(thread.args.text)).toContain('nothing was changed in AWS');
    expect(e.aws.callsOf('AssumeRoot')).toEqual([]);
    expect(e.aws.account(ACCOUNT).root.loginProfile).toBeNull();
    expect(e.logLines.join('')).toContain('DRY RUN: skipped allowPasswordRecovery');
  });
});
