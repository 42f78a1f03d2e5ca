/**
 * The buttons of a root window over signed HTTP: extension asks bound to their
 * nonce, decline with a reason, withdraw, and messages whose buttons no longer
 * apply replaced in place (response_url, replace_original) while refusals stay
 * ephemeral.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memberId } from '../fakes/aws/sample-org.js';
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
  buttonValueIn,
  click,
  clickReply,
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

/** A bot with 30-minute and 1-hour windows, and a 30-minute window open for REQUESTER. */
async function openWindow(): Promise<{ e: BotEnv; id: string; windowEndsAt: number }> {
  env = await startBotEnv({ BREAKGLASS_DURATIONS: '30m,1h' });
  const e = env;
  const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
  const value = approveValue(e.slack, request.id) ?? '';
  expect(await click(e, APPROVER_A, 'bg_approve', value)).toMatch(/1\/2/);
  expect(await click(e, APPROVER_B, 'bg_approve', value)).toMatch(/Second approval/);
  const active = await waitForState(e, request.id, 'active');
  return { e, id: request.id, windowEndsAt: active.windowEndsAt ?? 0 };
}

function buttonsIn(call: SlackCall): string[] {
  const blocks = (Array.isArray(call.args.blocks) ? call.args.blocks : []) as {
    elements?: { action_id?: string }[];
  }[];
  return blocks.flatMap((b) => (b.elements ?? []).map((el) => el.action_id ?? ''));
}

function expectReplaced(call: SlackCall, text: RegExp): void {
  expect(call.args).toMatchObject({ replace_original: true });
  expect(call.args.response_type).toBeUndefined();
  expect(String(call.args.text)).toMatch(text);
}

function expectEphemeral(call: SlackCall, text: RegExp): void {
  expect(call.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  expect(String(call.args.text)).toMatch(text);
}

/** The requester chooses "30m more" in the reminder; returns the answer and the ask's button value. */
async function askForMore(e: BotEnv, id: string): Promise<{ answer: SlackCall; ask: string }> {
  const answer = await clickReply(e, REQUESTER, 'bg_extend', { selected_option: { value: `${id}|1800` } });
  const ask = await waitFor('the ask in the thread', () =>
    e.slack
      .callsOf('chat.postMessage')
      .filter((c) => c.args.thread_ts && buttonsIn(c).includes('bg_extend_approve'))
      .map((c) => buttonValueIn(c, 'bg_extend_approve'))
      .at(-1),
  );
  return { answer, ask };
}

describe('buttons that no longer apply are replaced', () => {
  it('replaces the reminder after Done; a refused click replaces nothing', async () => {
    const { e, id } = await openWindow();
    expectEphemeral(
      await clickReply(e, OUTSIDER, 'bg_done', { value: id }),
      /only the requester or an approver/,
    );
    const done = await clickReply(e, REQUESTER, 'bg_done', { value: id });
    expectReplaced(done, /Cleaning up now/);
    expect(buttonsIn(done)).toEqual([]);
    await waitForState(e, id, 'closed');
  });

  it('replaces the reminder after Extend with the ask and a Withdraw button; the thread ask binds to its nonce', async () => {
    const { e, id, windowEndsAt } = await openWindow();
    const { answer, ask } = await askForMore(e, id);
    expectReplaced(answer, /You asked the approvers for 30m more/);
    expect(buttonsIn(answer)).toEqual(['bg_extend_withdraw']);
    const value = JSON.parse(ask) as { id: string; seconds: number; nonce: string };
    expect(value).toEqual({ id, seconds: 1800, nonce: expect.stringMatching(/^[\w-]{16}$/) });
    expect(JSON.parse(buttonValue(e.slack, 'bg_extend_withdraw') ?? '')).toEqual(value);

    // A second ask while this one waits is refused, and replaces nothing.
    expectEphemeral(
      await clickReply(e, REQUESTER, 'bg_extend', { selected_option: { value: `${id}|1800` } }),
      /already waiting for approval/,
    );
    // Stale, altered and old-style clicks are refused.
    const stale = JSON.stringify({ ...value, nonce: 'an-older-ask-xx' });
    expectEphemeral(
      await clickReply(e, APPROVER_A, 'bg_extend_approve', { value: stale }),
      /no longer waiting/,
    );
    const more = JSON.stringify({ ...value, seconds: 3600 });
    expectEphemeral(
      await clickReply(e, APPROVER_A, 'bg_extend_approve', { value: more }),
      /no longer waiting/,
    );
    expectEphemeral(
      await clickReply(e, APPROVER_A, 'bg_extend_approve', { value: id }),
      /not valid any more/,
    );
    expectEphemeral(await clickReply(e, OUTSIDER, 'bg_extend_approve', { value: ask }), /not an approver/);
    expectEphemeral(
      await clickReply(e, REQUESTER, 'bg_extend_approve', { value: ask }),
      /your own extension/,
    );
    expect((await stateOf(e, id)).windowEndsAt).toBe(windowEndsAt);

    const approved = await clickReply(e, APPROVER_B, 'bg_extend_approve', { value: ask });
    expectReplaced(approved, /approved 30m more/);
    expect(buttonsIn(approved)).toEqual([]);
    expect((await stateOf(e, id)).windowEndsAt).toBe(windowEndsAt + 1_800_000);
    await waitFor('the requester told', () => dmsTo(e.slack, REQUESTER).find((t) => t.includes('extended')));
    // The same click again (a replay, or the old message elsewhere) changes nothing.
    expectEphemeral(
      await clickReply(e, APPROVER_A, 'bg_extend_approve', { value: ask }),
      /no extension waiting/,
    );
    expect((await stateOf(e, id)).windowEndsAt).toBe(windowEndsAt + 1_800_000);
  });

  it('declines an ask with a reason from a modal, replacing the ask and telling the requester', async () => {
    const { e, id, windowEndsAt } = await openWindow();
    const { ask } = await askForMore(e, id);
    const stale = JSON.stringify({ ...JSON.parse(ask), nonce: 'an-older-ask-xx' });
    expectEphemeral(
      await clickReply(e, APPROVER_A, 'bg_extend_decline', { value: stale }),
      /no longer waiting/,
    );

    const opens = e.slack.callsOf('views.open').length;
    await e.client.blockAction(APPROVER_A, { action_id: 'bg_extend_decline', value: ask });
    const modal = await waitFor('the decline modal', () => e.slack.callsOf('views.open')[opens]);
    const view = modal.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('bg_extend_decline');
    const metadata = JSON.parse(view.private_metadata) as { responseUrl: string };

    const reason = (value: string) => ({
      reason: { bg_extend_decline_reason: { type: 'plain_text_input', value } },
    });
    const blank = await e.client.viewSubmission(APPROVER_A, {
      callback_id: 'bg_extend_decline',
      private_metadata: view.private_metadata,
      values: reason(' '),
    });
    expect(blank.json()).toMatchObject({ response_action: 'errors', errors: { reason: 'Give a reason.' } });

    const res = await e.client.viewSubmission(APPROVER_A, {
      callback_id: 'bg_extend_decline',
      private_metadata: view.private_metadata,
      values: reason('Finish <by> the deadline'),
    });
    expect(res.body).toBe('');
    const path = new URL(metadata.responseUrl).pathname;
    const replaced = await waitFor('the ask replaced', () =>
      e.slack.callsOf('response_url').find((c) => c.path === path && c.args.replace_original === true),
    );
    expectReplaced(replaced, /declined 30m more.*Finish &lt;by&gt; the deadline/);
    expect(buttonsIn(replaced)).toEqual([]);
    const r = await stateOf(e, id);
    expect(r.extensionRequest).toBeUndefined();
    expect(r.windowEndsAt).toBe(windowEndsAt);
    const dm = await waitFor('the requester told', () =>
      dmsTo(e.slack, REQUESTER).find((t) => t.includes('declined')),
    );
    expect(dm).toContain('Finish &lt;by&gt; the deadline');
    expect(dm).toContain('bg_extend'); // Done and Extend are offered again
    expectEphemeral(
      await clickReply(e, APPROVER_B, 'bg_extend_approve', { value: ask }),
      /no extension waiting/,
    );
  });

  it('lets the requester withdraw the ask, replacing their message; the old ask can no longer be approved', async () => {
    const { e, id } = await openWindow();
    const { ask } = await askForMore(e, id);
    const withdraw = buttonValue(e.slack, 'bg_extend_withdraw') ?? '';
    expectEphemeral(
      await clickReply(e, APPROVER_A, 'bg_extend_withdraw', { value: withdraw }),
      /only the requester/,
    );
    const withdrawn = await clickReply(e, REQUESTER, 'bg_extend_withdraw', { value: withdraw });
    expectReplaced(withdrawn, /You withdrew your ask for 30m more/);
    expect((await stateOf(e, id)).extensionRequest).toBeUndefined();
    await waitFor('the thread told', () =>
      e.slack
        .callsOf('chat.postMessage')
        .find((c) => c.args.thread_ts && String(c.args.text).includes('withdrew the ask')),
    );
    expectEphemeral(
      await clickReply(e, APPROVER_A, 'bg_extend_approve', { value: ask }),
      /no extension waiting/,
    );
  });
});

describe('submit', () => {
  it('refuses a duration outside the configured list in the modal', async () => {
    env = await startBotEnv({ BREAKGLASS_DURATIONS: '30m,1h' });
    const res = await env.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: {
        account: { bg_account_select: { type: 'external_select', selected_option: { value: ACCOUNT } } },
        task: { bg_task_select: { type: 'static_select', selected_option: { value: 'password-recovery' } } },
        duration: { bg_duration: { type: 'static_select', selected_option: { value: '5400' } } },
        justification: { bg_justification: { type: 'plain_text_input', value: 'x' } },
      },
    });
    expect(res.json()).toEqual({ response_action: 'errors', errors: { duration: 'Choose one of 30m, 1h.' } });
    expect(await env.bot.workflow.list()).toEqual([]);
  });
});
