/**
 * `usergroups.users.list` is a low-tier method and can take seconds; trigger ids
 * expire 3 s after a click and every ack is due within 3 s. With the fake Slack
 * answering the lookup later than a trigger lives, modals still open (they are
 * opened before the lookup) and the deny modal is acked at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memberId } from '../fakes/aws/sample-org.js';
import { TRIGGER_TTL_MS } from '../fakes/slack/server.js';
import { APPROVER_B, type BotEnv, OUTSIDER, REQUESTER, startBotEnv, waitFor } from '../support/bot-env.js';
import { approveValue, click, clickReply, dmsTo, submitRequest, waitForState } from '../support/bot-flows.js';

const ACCOUNT = memberId(1);
const REQUESTER_GROUP = 'SREQUESTERS';
/** longer than a trigger id lives */
const SLOW_MS = TRIGGER_TTL_MS + 500;

let env: BotEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

function lookups(e: BotEnv) {
  return e.slack.callsOf('usergroups.users.list');
}

describe('views.open comes before any user-group lookup', () => {
  it('opens the request modal while the requesters group is still loading, then refuses an outsider in it', async () => {
    env = await startBotEnv({ BREAKGLASS_REQUESTERS: REQUESTER_GROUP });
    const e = env;
    e.slack.groups.set(REQUESTER_GROUP, [REQUESTER]);
    e.slack.delayNext('usergroups.users.list', SLOW_MS);
    const sent = Date.now();
    await Promise.all([e.client.command(REQUESTER, ''), e.client.command(OUTSIDER, '')]);

    const opens = await waitFor('both modals', () => {
      const calls = e.slack.callsOf('views.open');
      return calls.length === 2 ? calls : undefined;
    });
    const lookup = await waitFor('the group lookup', () => lookups(e)[0], SLOW_MS + 2000);
    expect(lookup.answeredAt).toBeGreaterThan(sent + TRIGGER_TTL_MS);
    for (const open of opens) {
      // Still valid: a views.open after the lookup would have been expired_trigger_id.
      expect(open.outcome).toEqual({ status: 200, ok: true });
      expect(open.at).toBeLessThan(lookup.answeredAt ?? 0);
    }
    const refusal = await waitFor('the refusal', () => e.slack.callsOf('views.update')[0]);
    expect(JSON.stringify(refusal.args.view)).toContain('You may not request break-glass access');
    expect(refusal.at).toBeGreaterThanOrEqual(lookup.answeredAt ?? 0);
    // The requester's modal stays the request form: exactly one modal was turned into a refusal.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(e.slack.callsOf('views.update')).toHaveLength(1);
  });

  it('opens the deny modal while the approvers group is still loading', async () => {
    env = await startBotEnv();
    const e = env;
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    expect(lookups(e)).toEqual([]);
    e.slack.delayNext('usergroups.users.list', SLOW_MS);
    await e.client.blockAction(APPROVER_B, { action_id: 'bg_deny', value: request.id });
    const open = await waitFor('the deny modal', () => e.slack.callsOf('views.open')[0]);
    expect(open.outcome).toEqual({ status: 200, ok: true });
    expect(JSON.stringify(open.args.view)).toContain('bg_deny');
    const lookup = await waitFor('the group lookup', () => lookups(e)[0], SLOW_MS + 2000);
    expect(open.at).toBeLessThan(lookup.answeredAt ?? 0);
    // An approver (through the group): the deny modal stays.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(e.slack.callsOf('views.update')).toEqual([]);
  });
});

describe('the deny modal acks before any Slack call', () => {
  it('acks at once while the approvers group loads, then denies, or tells a refused denier by DM', async () => {
    env = await startBotEnv();
    const e = env;
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    e.slack.delayNext('usergroups.users.list', SLOW_MS);
    const submit = (user: string, reason: string) =>
      e.client.viewSubmission(user, {
        callback_id: 'bg_deny',
        private_metadata: request.id,
        values: { reason: { bg_deny_reason: { type: 'plain_text_input', value: reason } } },
      });
    const started = Date.now();
    const [outsider, approver] = await Promise.all([submit(OUTSIDER, 'no'), submit(APPROVER_B, 'No ticket')]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect([outsider.body, approver.body]).toEqual(['', '']);

    const denied = await waitForState(e, request.id, 'denied', SLOW_MS + 3000);
    expect(denied.denial).toMatchObject({ userId: APPROVER_B, reason: 'No ticket' });
    const dm = await waitFor('the refusal DM', () => dmsTo(e.slack, OUTSIDER)[0]);
    expect(dm).toMatch(new RegExp(`^Request ${request.id}: Not denied: `));
  });

  it('answers a missing reason with a field error, before any Slack call', async () => {
    env = await startBotEnv();
    const e = env;
    const before = e.slack.calls.length;
    const res = await e.client.viewSubmission(APPROVER_B, {
      callback_id: 'bg_deny',
      private_metadata: 'BG-ANY',
      values: { reason: { bg_deny_reason: { type: 'plain_text_input', value: '  ' } } },
    });
    expect(res.json()).toEqual({
      response_action: 'errors',
      errors: { reason: 'Give a reason for the denial.' },
    });
    expect(e.slack.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
  });
});

describe('user-group lookups that Slack answers late or rate-limits', () => {
  // The lookups' own client, as in production: a timeout per attempt of half the job lease (1 s here), two more tries.
  const SHORT_LEASE = { BREAKGLASS_JOB_LEASE: '2s' };

  async function pending(e: BotEnv) {
    const request = await submitRequest(e, { account: ACCOUNT, duration: '1800', justification: 'x' });
    return { request, approve: approveValue(e.slack, request.id) ?? '' };
  }

  it('asks again when an attempt times out, and answers the click before the slow answer arrives', async () => {
    env = await startBotEnv(SHORT_LEASE);
    const e = env;
    const { approve } = await pending(e);
    e.slack.delayNext('usergroups.users.list', 4_000);
    const reply = await clickReply(e, APPROVER_B, 'bg_approve', { value: approve });
    expect(reply.args.text).toBe('Approval recorded (1/2).');
    const slow = await waitFor(
      'the slow answer',
      () => lookups(e).find((c) => c.answeredAt && c.answeredAt - c.at > 3_000),
      6_000,
    );
    expect(reply.at).toBeLessThan(slow.answeredAt ?? 0);
    expect(lookups(e).length).toBeGreaterThanOrEqual(2);
  });

  it('fails the click closed when no attempt is answered in time, and counts the next click', async () => {
    env = await startBotEnv(SHORT_LEASE);
    const e = env;
    const { request, approve } = await pending(e);
    e.slack.delayNext('usergroups.users.list', 6_000, { times: 3 });
    const refused = await clickReply(e, APPROVER_B, 'bg_approve', { value: approve });
    // A "no", which says that Slack did not answer rather than that the clicker is no approver.
    expect(String(refused.args.text)).toMatch(
      /you are not an approver.*Slack did not answer a user-group or user lookup just now.*try again/,
    );
    // Three attempts, each answered only after the click was refused: the click did not wait for Slack.
    const attempts = await waitFor(
      'the three slow answers',
      () => (lookups(e).length === 3 ? lookups(e) : undefined),
      10_000,
    );
    for (const attempt of attempts) expect(refused.at).toBeLessThan(attempt.answeredAt ?? 0);
    expect((await e.bot.store.getRequest(request.id))?.request.approvals).toEqual([]);
    // A failed lookup is not remembered: with Slack answering again, the approver's click counts.
    expect(await click(e, APPROVER_B, 'bg_approve', approve)).toBe('Approval recorded (1/2).');
  });

  it('waits out a 429 (Retry-After) instead of refusing a member of the group', async () => {
    env = await startBotEnv();
    const e = env;
    const { approve } = await pending(e);
    e.slack.rateLimitNext('usergroups.users.list', 1);
    expect(await click(e, APPROVER_B, 'bg_approve', approve)).toBe('Approval recorded (1/2).');
    expect(lookups(e).map((c) => c.outcome?.status)).toEqual([429, 200]);
  });
});
