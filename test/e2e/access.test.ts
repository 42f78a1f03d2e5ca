/**
 * Who may see and do what in Slack, through the running bot over signed HTTP:
 * other workspaces are refused before any listener runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberId } from '../fakes/aws/sample-org.js';
import { APPROVER_A, type BotEnv, REQUESTER, startBotEnv, waitFor } from '../support/bot-env.js';
import { approveValue, modalValues, stateOf, submitRequest } from '../support/bot-flows.js';

const OTHER_TEAM = 'T0OTHER';
const ACCOUNT = memberId(2);

let env: BotEnv;
beforeAll(async () => {
  env = await startBotEnv();
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
