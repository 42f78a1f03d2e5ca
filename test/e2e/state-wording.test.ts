/**
 * Every surface tells the same truth after each transition, through signed Slack
 * requests: the request message, its thread, the channel, DMs, the App Home,
 * `/breakglass status` and `list`, and the audit trail. Also what approvers see
 * before they approve (who can sign in, the window, every root credential that
 * will be deleted) and the confirmation on Approve.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fullyCredentialed, memberId } from '../fakes/aws/sample-org.js';
import type { SlackCall } from '../fakes/slack/server.js';
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
  modalValues,
  submitRequest,
  waitForState,
} from '../support/bot-flows.js';

const ACCOUNT = memberId(3);
let env: BotEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** The latest rendering of the request message (post or update), as one string. */
function message(e: BotEnv, id: string): string {
  const renders = e.slack.calls.filter(
    (c) =>
      (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
      !c.args.thread_ts &&
      c.args.channel === 'CAPPROVALS1' &&
      String(c.args.text).startsWith(`Break-glass request ${id}`),
  );
  return JSON.stringify(renders.at(-1)?.args ?? {});
}

async function messageShows(e: BotEnv, id: string, text: string): Promise<string> {
  return waitFor(`the request message to show "${text}"`, () => {
    const m = message(e, id);
    return m.includes(text) ? m : undefined;
  });
}

/** The App Home as `user` sees it after opening it. */
async function home(e: BotEnv, user: string): Promise<string> {
  const before = e.slack.callsOf('views.publish').length;
  await e.client.event({ type: 'app_home_opened', user, tab: 'home', channel: 'D1' });
  const published = await waitFor('views.publish', () => e.slack.callsOf('views.publish')[before]);
  return JSON.stringify(published.args.view);
}

async function auditActions(e: BotEnv, id: string): Promise<string[]> {
  return (await e.bot.workflow.core.deps.store.listAudit(id, 100)).map((a) => a.action);
}

function confirmOf(call: string): unknown {
  const args = JSON.parse(call) as { blocks?: { elements?: { action_id?: string; confirm?: unknown }[] }[] };
  for (const b of args.blocks ?? []) {
    const approve = b.elements?.find((el) => el.action_id === 'bg_approve');
    if (approve) return approve.confirm;
  }
  return undefined;
}

/** The Slack form of the state line each surface must show, without its time tokens. */
const STATE = {
  active: ':unlock: Root access granted; the window',
  closed: ':lock: Root access ended; the window is closed and cleanup was verified',
};

describe('password recovery, from the approvers’ view to the closed record', () => {
  it('shows the consequences, confirms Approve, and words every state alike on every surface', async () => {
    env = await startBotEnv({ BREAKGLASS_DURATIONS: '3s,6s', BREAKGLASS_REMIND_BEFORE: '2s' });
    const e = env;
    e.aws.account(ACCOUNT).name = 'payments-prod';
    e.aws.account(ACCOUNT).root = fullyCredentialed(ACCOUNT);

    const request = await submitRequest(e, {
      account: ACCOUNT,
      duration: '3',
      justification: 'Billing locked',
    });
    const id = request.id;

    // Before approval: who can sign in, the window, that everything is deleted, each credential with dates.
    const pending = await messageShows(e, id, 'Who can sign in');
    // The channel reads who can sign in, not the address: approvers ask for it, privately.
    const address = `aws+${ACCOUNT}@example.com`;
    expect(pending).toContain("whoever reads the account's root mailbox can reset the root password");
    expect(pending).not.toContain(address);
    expect(pending).toContain('"action_id":"bg_show_mailbox"');
    const shown = await clickReply(e, APPROVER_B, 'bg_show_mailbox', { value: id });
    expect(shown.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(shown.args.text)).toContain(`is ${address}`);
    for (const who of [REQUESTER, OUTSIDER]) {
      const refused = String((await clickReply(e, who, 'bg_show_mailbox', { value: id })).args.text);
      expect(refused).toBe('Not shown: only approvers can see the root mailbox.');
    }
    expect(await auditActions(e, id)).toContain('root mailbox shown');
    expect(pending).toContain('*For how long:* 3s from the second approval');
    expect(pending).toContain('*all* root credentials present then are deleted');
    expect(pending).toContain('password, set <!date^1704164645^{date_short}|2024-01-02>');
    expect(pending).toContain(`access key AKIAROOT${ACCOUNT}A (Active), created`);
    expect(pending).toContain('(s3, eu-west-1)');
    expect(pending).toContain(`access key AKIAROOT${ACCOUNT}B (Inactive), created`);
    expect(pending).toContain(`signing certificate CERT${ACCOUNT} (Active), uploaded`);
    expect(pending).toContain(`MFA device GAHT${ACCOUNT}, enabled`);
    // Approve asks first, restating account, task and window; Slack accepted the dialog (strict fake).
    expect(confirmOf(pending)).toEqual({
      title: { type: 'plain_text', text: `Approve ${id}?`, emoji: false },
      text: {
        type: 'plain_text',
        text: `Allow root password recovery on payments-prod (${ACCOUNT}) for 3s. Whoever reads the root mailbox can sign in as root; all root credentials are deleted at the end.`,
        emoji: false,
      },
      confirm: { type: 'plain_text', text: 'Approve', emoji: false },
      deny: { type: 'plain_text', text: 'Not yet', emoji: false },
      style: 'primary',
    });

    const value = approveValue(e.slack, id) ?? '';
    await click(e, APPROVER_A, 'bg_approve', value);
    await click(e, APPROVER_B, 'bg_approve', value);
    await waitForState(e, id, 'active');

    // Active: the same state line on the message, status, list and App Home; Done in the grant DM and the Home.
    await messageShows(e, id, STATE.active);
    expect(await command(e, REQUESTER, `status ${id}`)).toContain(STATE.active);
    expect(await command(e, APPROVER_A, 'list')).toContain(STATE.active);
    const grantDm = await waitFor('the grant DM', () =>
      dmsTo(e.slack, REQUESTER).find((t) => t.includes('Forgot password')),
    );
    // The requester needs the address to sign in: the grant DM keeps it.
    expect(grantDm).toContain(address);
    expect(grantDm).toContain('bg_done');
    expect(grantDm).toContain('Done, clean up now');
    const homeActive = await home(e, REQUESTER);
    expect(homeActive).toContain(STATE.active);
    expect(homeActive).toContain('bg_done');

    // An extension from the grant DM keeps its sign-in steps: only the controls become the ask.
    const grantPost = e.slack
      .callsOf('chat.postMessage')
      .find((c) => c.args.channel === REQUESTER && String(c.args.text).includes('Forgot password'));
    const asked = await clickReply(
      e,
      REQUESTER,
      'bg_extend',
      { selected_option: { value: `${id}|3` }, block_id: `grant:${id}` },
      { text: String(grantPost?.args.text), blocks: grantPost?.args.blocks as unknown[] },
    );
    expect(asked.outcome?.ok).not.toBe(false);
    expect(asked.args.replace_original).toBe(true);
    const keptDm = JSON.stringify(asked.args);
    for (const kept of [
      'Forgot password',
      address,
      'You asked the approvers for 3s more',
      'bg_extend_withdraw',
    ])
      expect(keptDm).toContain(kept);
    expect(keptDm).toContain('"action_id":"bg_done"');
    expect(keptDm).not.toContain('"action_id":"bg_extend"');
    // Approved by one approver: the duration shows the current window.
    const ask = await waitFor('the ask in the thread', () => buttonValue(e.slack, 'bg_extend_approve'));
    expect(await click(e, APPROVER_A, 'bg_extend_approve', ask)).toMatch(/approved 3s more/);
    const extended = '6s (3s approved + 3s extension)';
    await messageShows(e, id, extended);
    expect(await command(e, REQUESTER, `status ${id}`)).toContain(`the window (${extended})`);
    expect(await home(e, REQUESTER)).toContain(extended);

    // At the longest duration the reminder offers Done, no Extend, and says why.
    const reminder = await waitFor('the reminder', () =>
      dmsTo(e.slack, REQUESTER).find((t) => t.includes(':alarm_clock:')),
    );
    expect(reminder).toContain('cannot be extended: it is already as long as allowed (6s at most)');
    expect(reminder).toContain('bg_done');
    expect(reminder).not.toContain('bg_extend"');

    // Closed: the record keeps who, when, what, how long, what was removed and when it was verified.
    await waitForState(e, id, 'closed', 10_000);
    const closed = await messageShows(e, id, STATE.closed);
    for (const fact of [
      `Requested by <@${REQUESTER}>`,
      `Approved by <@${APPROVER_A}> <!date^`,
      ` and <@${APPROVER_B}> <!date^`,
      `allow root password recovery for ${extended}`,
      'Cleanup: removed password; access keys',
      'in a separate audit session.',
    ])
      expect(closed).toContain(fact);
    expect(closed).toContain(`*Duration*\\n${extended}`);
    const announcement = await waitFor('the closing announcement', () =>
      e.slack
        .callsOf('chat.postMessage')
        .find((c) => !c.args.thread_ts && String(c.args.text).includes(`${id} on`)),
    );
    expect(String(announcement.args.text)).toMatch(
      new RegExp(`^:lock: ${id} on .*: Root access ended; the window is closed and cleanup was verified`),
    );
    expect(JSON.stringify(announcement.args)).toContain(`Approved by <@${APPROVER_A}>`);
    expect(await command(e, REQUESTER, `status ${id}`)).toContain(STATE.closed);
    expect(await command(e, APPROVER_B, 'list')).toContain(STATE.closed);
    expect(await home(e, REQUESTER)).toContain(STATE.closed);

    // Nothing the approvals channel received (posts, updates, thread replies) ever held the address.
    const channelCalls = e.slack.calls.filter((c) => c.args.channel === 'CAPPROVALS1');
    expect(channelCalls.length).toBeGreaterThan(5);
    for (const c of channelCalls) expect(JSON.stringify(c.args)).not.toContain(address);
  }, 30_000);
});

describe('a read of the account that failed', () => {
  it('offers Read again instead of Approve, refuses approvals, and shows Approve once read', async () => {
    env = await startBotEnv();
    const e = env;
    e.aws.failNext('AssumeRoot', 'AccessDenied', { status: 403, message: 'not allowed to assume root' });
    const res = await e.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: modalValues({ account: ACCOUNT, duration: '1800', justification: 'x' }),
    });
    expect(res.status).toBe(200);
    const failed = await waitFor('the failed read', async () => {
      const [r] = await e.bot.workflow.list(1);
      return r?.preview?.status === 'failed' ? r : undefined;
    });
    const id = failed.id;
    const shown = await messageShows(e, id, 'Not ready for approval');
    expect(shown).toContain('not allowed to assume root');
    expect(shown).toContain('"action_id":"bg_read_again"');
    expect(shown).not.toContain('"action_id":"bg_approve"');
    expect(shown).not.toContain('"action_id":"bg_show_mailbox"');
    // An Approve click (an older button) approves nothing that approvers could not see.
    const forged = JSON.stringify({ id, h: failed.contentHash });
    expect(await click(e, APPROVER_A, 'bg_approve', forged)).toMatch(/could not be read; press Read again/);
    expect(await click(e, OUTSIDER, 'bg_read_again', id)).toMatch(/Only the requester or an approver/);
    expect(await click(e, APPROVER_A, 'bg_read_again', id)).toMatch(
      /Reading the account's current state again/,
    );
    await waitFor('the Approve button', () => approveValue(e.slack, id));
    await messageShows(e, id, 'Waiting for approval: 0/2');
    expect(await auditActions(e, id)).toEqual(
      expect.arrayContaining(['preview failed', 'preview requested again', 'previewed']),
    );
  });
});

describe('withdrawal is not a denial', () => {
  it('reads "withdrawn by the requester" everywhere after the requester uses Deny', async () => {
    env = await startBotEnv();
    const e = env;
    const { id } = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const approve = approveValue(e.slack, id) ?? '';
    await e.client.blockAction(REQUESTER, { action_id: 'bg_deny', value: id });
    const modal = await waitFor('the withdraw modal', () =>
      e.slack.callsOf('views.open').find((c) => JSON.stringify(c.args.view).includes('bg_deny')),
    );
    expect(JSON.stringify(modal.args.view)).toContain('Withdraw request');
    await e.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_deny',
      private_metadata: id,
      values: { reason: { bg_deny_reason: { type: 'plain_text_input', value: 'Found the password' } } },
    });
    await waitForState(e, id, 'denied');
    const line = `Withdrawn by the requester (<@${REQUESTER}>): Found the password`;
    const shown = await messageShows(e, id, line);
    expect(shown).not.toContain('Denied by');
    expect(await command(e, REQUESTER, `status ${id}`)).toContain(line);
    expect(await command(e, APPROVER_A, 'list')).toContain(line);
    expect(await home(e, REQUESTER)).toContain(line);
    expect(await auditActions(e, id)).toContain('withdrawn by the requester');
    expect(await auditActions(e, id)).not.toContain('denied');
    // A click on a withdrawn request says so, not "denied".
    expect(await click(e, APPROVER_A, 'bg_approve', approve)).toMatch(/already withdrawn/);
  });

  it('reads the same after /breakglass cancel by the requester; an approver’s cancel names the approver', async () => {
    env = await startBotEnv();
    const e = env;
    const mine = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    expect(await command(e, REQUESTER, `cancel ${mine.id}`)).toBe(`Request ${mine.id} withdrawn.`);
    await messageShows(e, mine.id, `Withdrawn by the requester (<@${REQUESTER}>).`);
    expect(await auditActions(e, mine.id)).toContain('withdrawn by the requester');
    const other = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'y' });
    expect(await command(e, APPROVER_A, `cancel ${other.id}`)).toBe(`Request ${other.id} cancelled.`);
    await messageShows(e, other.id, `Cancelled by <@${APPROVER_A}>.`);
    expect(await command(e, REQUESTER, `status ${other.id}`)).toContain(`Cancelled by <@${APPROVER_A}>.`);
    // The requester is told by DM, as after a denial; their own withdrawal is not DM'd back to them.
    const told = await waitFor('the cancellation DM', () =>
      dmsTo(e.slack, REQUESTER).find((t) => t.includes(other.id)),
    );
    expect(told).toMatch(new RegExp(`Your request ${other.id} .*: Cancelled by <@${APPROVER_A}>\\.`));
    expect(dmsTo(e.slack, REQUESTER).filter((t) => t.includes(mine.id))).toEqual([]);
  });
});

describe('failures say failed first, then what cleanup did', () => {
  const threadFailure = (e: BotEnv) =>
    waitFor('the failure in the thread', () =>
      e.slack
        .callsOf('chat.postMessage')
        .find((c: SlackCall) => c.args.thread_ts && String(c.args.text).includes('failed')),
    );

  it('a grant refused before anything was granted: failed, nothing to clean up', async () => {
    env = await startBotEnv();
    const e = env;
    const { id } = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    // An SCP that arrives after approvers saw the account (one there before hides Approve).
    e.aws.account(ACCOUNT).scpDeniesRoot = true;
    const value = approveValue(e.slack, id) ?? '';
    await click(e, APPROVER_A, 'bg_approve', value);
    await click(e, APPROVER_B, 'bg_approve', value);
    await waitForState(e, id, 'failed');
    const shown = await messageShows(e, id, ':x: Failed: ');
    expect(shown).toContain('Nothing was granted, so there was nothing to clean up.');
    expect(await command(e, REQUESTER, `status ${id}`)).toMatch(/:x: Failed: .*Nothing was granted/);
    expect(String((await threadFailure(e)).args.text)).toMatch(/^:x: .*failed/);
    expect(await home(e, REQUESTER)).toContain(':x: Failed: ');
  });

  it('a grant that failed after the session opened: failed, then cleanup removed and verified', async () => {
    env = await startBotEnv();
    const e = env;
    e.aws.failNext('CreateLoginProfile', 'ServiceFailure', { status: 500, times: 10 });
    const { id } = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const value = approveValue(e.slack, id) ?? '';
    await click(e, APPROVER_A, 'bg_approve', value);
    await click(e, APPROVER_B, 'bg_approve', value);
    await waitForState(e, id, 'closed', 15_000);
    const shown = await messageShows(e, id, 'Cleanup then ran');
    expect(shown).toMatch(
      /:x: Failed: [^"]*\. Cleanup then ran in case access had been granted: nothing to remove; verified clean at <!date\^/,
    );
    expect(shown).not.toContain(':lock:');
    expect(await command(e, REQUESTER, `status ${id}`)).toMatch(/^\*.*\*\n:x: Failed: .*Cleanup then ran/);
    const announcement = await waitFor('the closing announcement', () =>
      e.slack
        .callsOf('chat.postMessage')
        .find((c) => !c.args.thread_ts && String(c.args.text).includes(`${id} on`)),
    );
    expect(String(announcement.args.text)).toMatch(/^:x: .*Failed: .*Cleanup then ran/);
    expect(await home(e, APPROVER_A)).toContain('Cleanup then ran in case access had been granted');
  }, 30_000);
});

describe('Done in the App Home', () => {
  it('ends the window from the Home tab and republishes it with what happened', async () => {
    env = await startBotEnv();
    const e = env;
    const { id } = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const value = approveValue(e.slack, id) ?? '';
    await click(e, APPROVER_A, 'bg_approve', value);
    await click(e, APPROVER_B, 'bg_approve', value);
    await waitForState(e, id, 'active');
    expect(await home(e, REQUESTER)).toContain('bg_done');
    const before = e.slack.callsOf('views.publish').length;
    const res = await e.client.homeAction(REQUESTER, { action_id: 'bg_done', value: id });
    expect(res.status).toBe(200);
    await waitForState(e, id, 'closed');
    const republished = await waitFor('the Home republished', () => e.slack.callsOf('views.publish')[before]);
    expect(JSON.stringify(republished.args.view)).not.toContain('Root access granted');
    const closed = await messageShows(e, id, STATE.closed);
    expect(closed).toContain(`Ended early by <@${REQUESTER}>`);
  });
});
