/**
 * Who may see and do what in Slack, through the running bot over signed HTTP:
 * other workspaces are refused before any listener runs; guests may neither
 * request nor approve; people see their own requests, approvers everyone's;
 * audits are rate-limited per person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberId } from '../fakes/aws/sample-org.js';
import {
  APPROVER_A,
  APPROVER_B,
  APPROVER_GROUP,
  type BotEnv,
  OUTSIDER,
  REQUESTER,
  startBotEnv,
  waitFor,
} from '../support/bot-env.js';
import {
  approveValue,
  click,
  command,
  dmsTo,
  modalValues,
  stateOf,
  submitRequest,
} from '../support/bot-flows.js';

const OTHER_TEAM = 'T0OTHER';
const ACCOUNT = memberId(2);
/** on the approvers list by id, but a single-channel guest */
const GUEST_APPROVER = 'UGUESTAPPR1';
/** in the approvers' user group, but a multi-channel guest */
const GUEST_IN_GROUP = 'UGUESTGRP01';

let env: BotEnv;
beforeAll(async () => {
  env = await startBotEnv({ BREAKGLASS_APPROVERS: `${APPROVER_A},${GUEST_APPROVER},${APPROVER_GROUP}` });
  env.slack.groups.set(APPROVER_GROUP, [APPROVER_B, GUEST_IN_GROUP]);
  env.slack.guests.set(GUEST_APPROVER, 'single-channel');
  env.slack.guests.set(GUEST_IN_GROUP, 'multi-channel');
});
afterAll(() => env.close());

/** Log lines (pino JSON) whose message matches. */
function logged(e: BotEnv, msg: RegExp): Record<string, unknown>[] {
  return e.logLines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => msg.test(String(entry.msg)));
}

const refusals = (e: BotEnv) => logged(e, /refused a request from another workspace/);

/** Lets listeners that were (wrongly) called get as far as calling Slack. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('requests from another workspace', () => {
  it('refuses a command with an ephemeral answer, opens nothing, and logs the team at warn', async () => {
    const before = env.slack.calls.length;
    const res = await env.client.withTeam({ team: OTHER_TEAM }).command(REQUESTER, '');
    expect(res.json()).toEqual({
      response_type: 'ephemeral',
      text: 'This bot serves only its own workspace.',
    });
    const list = await env.client.withTeam({ team: OTHER_TEAM }).command(REQUESTER, 'list');
    expect(list.json()).toMatchObject({ text: 'This bot serves only its own workspace.' });
    await settle();
    // Only the start-up's auth.test calls (Bolt's and the guard's) may land after `before`.
    expect(env.slack.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(refusals(env).at(-1)).toMatchObject({ level: 40, team: OTHER_TEAM, kind: 'command' });
  });

  it('refuses an Approve click from another workspace, and from a Slack Connect user of one', async () => {
    const request = await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'x' });
    const value = approveValue(env.slack, request.id) ?? '';
    for (const teams of [{ team: OTHER_TEAM }, { userTeam: OTHER_TEAM }]) {
      const before = env.slack.callsOf('response_url').length;
      const res = await env.client
        .withTeam(teams)
        .blockAction(APPROVER_A, { action_id: 'bg_approve', value });
      expect(res.status).toBe(200);
      const reply = await waitFor('the refusal', () => env.slack.callsOf('response_url')[before]);
      expect(reply.args).toMatchObject({
        response_type: 'ephemeral',
        text: 'This bot serves only its own workspace.',
      });
    }
    await settle();
    expect((await stateOf(env, request.id)).approvals).toEqual([]);
    expect(refusals(env).slice(-2)).toMatchObject([
      { team: OTHER_TEAM, kind: 'block_actions' },
      { team: OTHER_TEAM, kind: 'block_actions' },
    ]);
  });

  it('refuses a modal submission by replacing the modal, and stores nothing', async () => {
    const before = (await env.bot.workflow.list(50)).length;
    const res = await env.client.withTeam({ team: OTHER_TEAM }).viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: modalValues({ account: ACCOUNT, duration: '1800', justification: 'from elsewhere' }),
    });
    expect(res.json()).toMatchObject({
      response_action: 'update',
      view: { type: 'modal', blocks: [{ text: { text: 'This bot serves only its own workspace.' } }] },
    });
    await settle();
    expect(await env.bot.workflow.list(50)).toHaveLength(before);
  });

  it('answers an account typeahead with no options', async () => {
    const res = await env.client
      .withTeam({ team: OTHER_TEAM })
      .blockSuggestion(REQUESTER, 'bg_account_select', '');
    expect(res.json()).toEqual({ options: [] });
  });

  it('publishes no App Home for an event from another workspace', async () => {
    const user = 'UFOREIGN001';
    await env.client.withTeam({ team: OTHER_TEAM }).event({
      type: 'app_home_opened',
      user,
      channel: 'D1',
      tab: 'home',
      event_ts: '1',
    });
    await settle();
    expect(env.slack.callsOf('views.publish').filter((c) => c.args.user_id === user)).toEqual([]);
    expect(refusals(env).at(-1)).toMatchObject({ team: OTHER_TEAM, kind: 'event_callback' });
  });

  it('serves its own workspace', async () => {
    const res = await env.client.command(REQUESTER, 'help');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
  });
});

/** The view a modal ended as: the last views.update of the view views.open opened for `trigger`'s command. */
async function refusalAfterOpen(e: BotEnv, openedBefore: number, updatedBefore: number): Promise<string> {
  const open = await waitFor('views.open', () => e.slack.callsOf('views.open')[openedBefore]);
  expect(open.outcome?.ok).toBe(true);
  const update = await waitFor('views.update', () => e.slack.callsOf('views.update')[updatedBefore]);
  expect(update.at).toBeGreaterThanOrEqual(open.at);
  return JSON.stringify(update.args.view);
}

describe('guests', () => {
  it('may not request: the opened modal turns into a refusal, and a submission is refused too', async () => {
    for (const guest of [GUEST_APPROVER, GUEST_IN_GROUP]) {
      const opened = env.slack.callsOf('views.open').length;
      const updated = env.slack.callsOf('views.update').length;
      await env.client.command(guest, '');
      expect(await refusalAfterOpen(env, opened, updated)).toContain(
        'You may not request break-glass access',
      );
      const res = await env.client.viewSubmission(guest, {
        callback_id: 'bg_request',
        values: modalValues({ account: ACCOUNT, duration: '1800', justification: 'guest' }),
      });
      expect(res.json()).toMatchObject({ response_action: 'errors', errors: { account: /not on the list/ } });
    }
    expect((await env.bot.workflow.list(50)).filter((r) => r.requesterId.startsWith('UGUEST'))).toEqual([]);
  });

  it('may not approve, even when listed as an approver by id or through a group', async () => {
    const request = await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'guests' });
    const value = approveValue(env.slack, request.id) ?? '';
    expect(await click(env, GUEST_APPROVER, 'bg_approve', value)).toMatch(/not an approver/);
    expect(await click(env, GUEST_IN_GROUP, 'bg_approve', value)).toMatch(/not an approver/);
    expect((await stateOf(env, request.id)).approvals).toEqual([]);
    // A full member of the same group may.
    expect(await click(env, APPROVER_B, 'bg_approve', value)).toMatch(/1\/2/);
  });

  it('may not deny: the deny modal turns into a refusal, and a submission is refused by DM', async () => {
    const request = await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'deny' });
    const opened = env.slack.callsOf('views.open').length;
    const updated = env.slack.callsOf('views.update').length;
    await env.client.blockAction(GUEST_APPROVER, { action_id: 'bg_deny', value: request.id });
    expect(await refusalAfterOpen(env, opened, updated)).toContain('Only approvers can deny');
    const res = await env.client.viewSubmission(GUEST_APPROVER, {
      callback_id: 'bg_deny',
      private_metadata: request.id,
      values: { reason: { bg_deny_reason: { type: 'plain_text_input', value: 'nope' } } },
    });
    expect(res.body).toBe('');
    const dm = await waitFor('the refusal DM', () => dmsTo(env.slack, GUEST_APPROVER)[0]);
    expect(dm).toContain(`Request ${request.id}: Not denied: only approvers can deny`);
    expect((await stateOf(env, request.id)).state).toBe('pending');
  });
});

describe('who sees which requests', () => {
  let mine: string;
  let theirs: string;
  beforeAll(async () => {
    mine = (await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'mine' })).id;
    theirs = (
      await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'theirs' }, OUTSIDER)
    ).id;
  });

  it("answers a requester's status of someone else's request exactly as for one that does not exist", async () => {
    expect(await command(env, OUTSIDER, `status ${mine}`)).toBe(`No request ${mine} found.`);
    expect(await command(env, OUTSIDER, 'status BG-NOSUCH')).toBe('No request BG-NOSUCH found.');
    expect(await command(env, OUTSIDER, `status ${theirs}`)).toContain(theirs);
    expect(await command(env, OUTSIDER, 'status')).toContain(theirs);
    expect(await command(env, APPROVER_A, `status ${theirs}`)).toContain(theirs);
  });

  it('lists only your own requests, and all of them to an approver', async () => {
    const own = await command(env, OUTSIDER, 'list');
    expect(own).toContain(theirs);
    expect(own).not.toContain(mine);
    const all = await command(env, APPROVER_A, 'list');
    expect(all).toContain(theirs);
    expect(all).toContain(mine);
    // A guest is no approver, whatever the list says.
    expect(await command(env, GUEST_APPROVER, 'list')).toBe('You have no requests yet.');
  });

  it('shows only your own requests in the App Home, and everything to an approver', async () => {
    const home = async (user: string) => {
      await env.client.event({ type: 'app_home_opened', user, channel: 'D1', tab: 'home', event_ts: '1' });
      const publish = await waitFor('views.publish', () =>
        env.slack.callsOf('views.publish').find((c) => c.args.user_id === user),
      );
      return JSON.stringify(publish.args.view);
    };
    const own = await home(OUTSIDER);
    expect(own).toContain(theirs);
    expect(own).not.toContain(mine);
    expect(own).not.toContain('Waiting for your approval');
    expect(own).toContain('Your recent requests');
    const all = await home(APPROVER_A);
    expect(all).toContain('Waiting for your approval');
    expect(all).toContain(theirs);
    expect(all).toContain(mine);
  });

  it('cancels only what you may see; someone else\'s request is "not found"', async () => {
    expect(await command(env, OUTSIDER, `cancel ${mine}`)).toBe(`No request ${mine} found.`);
    expect((await stateOf(env, mine)).state).toBe('pending');
  });
});

describe('/breakglass audit', () => {
  /** The answers to one audit command: "Auditing…" and the result, or a single refusal. */
  async function audit(user: string, account = memberId(3)): Promise<string[]> {
    const before = env.slack.callsOf('response_url').length;
    await env.client.command(user, `audit ${account}`);
    const answer = async (n: number) =>
      String(
        (await waitFor('an audit answer', () => env.slack.callsOf('response_url')[before + n])).args.text,
      );
    const first = await answer(0);
    return first.startsWith('Auditing') ? [first, await answer(1)] : [first];
  }

  it('allows 5 audits per person in 10 minutes, then says when to try again', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await audit(APPROVER_A))[1]).toMatch(/^Root credentials of/);
    }
    expect(await audit(APPROVER_A)).toEqual([
      expect.stringMatching(
        /^You have run 5 audits in the last 10m, the most allowed\. Try again in (10m|9m \d+s) \(at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>\)\.$/,
      ),
    ]);
    // Usage errors are not audits and do not count; other people are not limited by it.
    expect(await audit(APPROVER_B, '12')).toEqual([expect.stringMatching(/not an AWS account id/)]);
    expect((await audit(APPROVER_B))[1]).toMatch(/^Root credentials of/);
  });
});
