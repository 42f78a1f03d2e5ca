/**
 * Slack accepted a post but its answer never arrived (a reset connection, a
 * timeout, a crash before the outbox recorded it). Slack has no idempotency key
 * for chat.postMessage, so every post carries its outbox id in message metadata
 * and a retry looks for it first: the request message, thread replies and
 * channel announcements each appear once.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { memberId } from '../fakes/aws/sample-org.js';
import type { StoredMessage } from '../fakes/slack/server.js';
import { APPROVER_A, APPROVER_B, type BotEnv, startBotEnv, waitFor } from '../support/bot-env.js';
import { approveValue, click, submitRequest, waitForState } from '../support/bot-flows.js';
import { CHANNEL } from '../support/slack-client.js';

const ACCOUNT = memberId(2);
const FAST = {
  BREAKGLASS_DURATIONS: '2s,4s',
  BREAKGLASS_REMIND_BEFORE: '1s',
  BREAKGLASS_CLEANUP_RETRY: '1s',
  BREAKGLASS_JOB_LEASE: '2s',
};
let env: BotEnv;
afterEach(() => env?.close());

/** Messages in the approvals channel that carry a notice of `requestId`. */
function postedFor(requestId: string): StoredMessage[] {
  return (env.slack.messages.get(CHANNEL) ?? []).filter(
    (m) => m.metadata?.event_payload.request_id === requestId,
  );
}

const topLevel = (messages: StoredMessage[]) => messages.filter((m) => !m.thread_ts);

describe('a post whose answer was lost', () => {
  it('posts the request message once, and goes on in its thread', { timeout: 30_000 }, async () => {
    env = await startBotEnv(FAST);
    env.slack.program('chat.postMessage', { kind: 'lost' });
    const request = await submitRequest(env, {
      account: ACCOUNT,
      duration: '2',
      justification: 'lost answer',
    });
    const messages = topLevel(postedFor(request.id));
    expect(messages).toHaveLength(1);
    const ts = messages[0]?.ts;
    // Found by its metadata on the retry, recorded, and brought up to date in place. The lost
    // post already carried the Approve button, so the retry may still be under way here.
    const recorded = await waitFor(
      'the retry to record the message',
      async () => (await env.bot.workflow.get(request.id))?.message?.ts,
    );
    expect(recorded).toBe(ts);
    expect(env.slack.callsOf('conversations.history')).toHaveLength(1);
    expect(env.slack.callsOf('conversations.history')[0]?.args).toMatchObject({
      channel: CHANNEL,
      include_all_metadata: 'true',
    });
    const value = approveValue(env.slack, request.id) ?? '';
    await click(env, APPROVER_A, 'bg_approve', value);
    await click(env, APPROVER_B, 'bg_approve', value);
    await waitForState(env, request.id, 'closed', 15_000);
    const replies = postedFor(request.id).filter((m) => m.thread_ts);
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((m) => m.thread_ts === ts)).toBe(true);
    expect(topLevel(postedFor(request.id)).filter((m) => m.ts === ts)).toHaveLength(1);
  });

  it('announces a closed window once when the announcement answer is lost', { timeout: 30_000 }, async () => {
    env = await startBotEnv(FAST);
    const request = await submitRequest(env, {
      account: ACCOUNT,
      duration: '2',
      justification: 'lost answer',
    });
    const value = approveValue(env.slack, request.id) ?? '';
    await click(env, APPROVER_A, 'bg_approve', value);
    await click(env, APPROVER_B, 'bg_approve', value);
    await waitForState(env, request.id, 'active');
    // From now on the first answer of every post to the channel is lost: thread replies and the announcement.
    env.slack.program('chat.postMessage', { kind: 'lost', channel: CHANNEL }, 20);
    await waitForState(env, request.id, 'closed', 15_000);
    await waitFor(
      'the announcement',
      () => (topLevel(postedFor(request.id)).some((m) => m.text?.includes('is closed')) ? true : undefined),
      20_000,
    );
    await waitFor(
      'an empty outbox',
      async () => ((await env.bot.store.deliveryBacklog()).pending === 0 ? true : undefined),
      20_000,
    );
    const announcing = env.slack
      .callsOf('chat.postMessage')
      .filter((c) => c.args.channel === CHANNEL && String(c.args.text).includes('is closed'));
    // Its first answer was lost; the retry found it and did not post again.
    expect(announcing.map((c) => c.outcome?.error ?? 'ok')).toEqual(['answer_lost']);
    const texts = postedFor(request.id).map((m) => `${m.thread_ts ?? 'top'} ${m.text}`);
    expect(texts.filter((t) => t.includes('is closed'))).toHaveLength(1);
    expect(new Set(texts).size, texts.join('\n')).toBe(texts.length);
  });

  it("does not take another app's message with the same metadata for its own post", {
    timeout: 30_000,
  }, async () => {
    env = await startBotEnv(FAST);
    // Another app in the channel plants the metadata of the first notice (outbox ids are guessable).
    const other = new WebClient('xoxb-another-app', {
      slackApiUrl: env.slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const planted = await other.chat.postMessage({
      channel: CHANNEL,
      text: 'planted',
      metadata: { event_type: 'breakglass_notice', event_payload: { notice_id: '1', request_id: 'x' } },
    });
    // The bot's first post fails before Slack does anything; its retry looks, finds only the plant, and posts.
    env.slack.httpErrorNext('chat.postMessage', 503);
    const request = await submitRequest(env, { account: ACCOUNT, duration: '2', justification: 'planted' });
    const message = (await env.bot.workflow.get(request.id))?.message;
    expect(message?.ts).toBeDefined();
    expect(message?.ts).not.toBe(planted.ts);
    expect(env.slack.callsOf('conversations.history')).toHaveLength(1);
    expect(topLevel(postedFor(request.id))).toHaveLength(1);
  });

  it('posts again, and says so, when it may not read the channel history', { timeout: 30_000 }, async () => {
    env = await startBotEnv(FAST);
    env.slack.missingScopes.add('channels:history');
    env.slack.program('chat.postMessage', { kind: 'lost' });
    const request = await submitRequest(env, {
      account: ACCOUNT,
      duration: '2',
      justification: 'lost answer',
    });
    // A request is never lost for want of a scope: at worst it appears twice.
    expect(topLevel(postedFor(request.id))).toHaveLength(2);
    expect(
      env.logLines.some(
        (l) => l.includes('"level":40') && l.includes('missing_scope') && l.includes('may appear twice'),
      ),
    ).toBe(true);
  });
});

describe('answers to clicks', () => {
  it('are retried through the outbox while the response_url cannot take them, and sent once', {
    timeout: 30_000,
  }, async () => {
    env = await startBotEnv(FAST);
    const request = await submitRequest(env, {
      account: ACCOUNT,
      duration: '2',
      justification: 'reply later',
    });
    env.slack.httpErrorNext('response_url', 503, { times: 2 });
    const res = await env.client.blockAction(APPROVER_A, {
      action_id: 'bg_approve',
      value: approveValue(env.slack, request.id) ?? '',
    });
    expect(res.status).toBe(200);
    const accepted = () =>
      env.slack
        .callsOf('response_url')
        .filter((c) => c.outcome?.ok && /Approval recorded/.test(String(c.args.text)));
    await waitFor('the reply, after two refusals', () => (accepted().length ? true : undefined), 15_000);
    expect(env.slack.callsOf('response_url').map((c) => c.outcome?.ok)).toEqual([false, false, true]);
    expect(accepted()[0]?.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    // The approval itself never waited on the reply.
    expect((await env.bot.workflow.get(request.id))?.request.approvals).toHaveLength(1);
  });

  it('drops a reply Slack refuses for good (used or lapsed URL) quietly: no alert, no DM, not unready', {
    timeout: 30_000,
  }, async () => {
    env = await startBotEnv(FAST);
    const request = await submitRequest(env, { account: ACCOUNT, duration: '2', justification: 'used url' });
    env.slack.failNext('response_url', 'used_url');
    await env.client.blockAction(APPROVER_A, {
      action_id: 'bg_approve',
      value: approveValue(env.slack, request.id) ?? '',
    });
    // Replies queue apart from the request's channel notices.
    const replies = await waitFor('the refusal to be recorded', async () => {
      const rows = await env.bot.store.listDeliveries(`${request.id}:replies`);
      return rows.some((d) => d.status === 'failed') ? rows : undefined;
    });
    expect(replies.map((d) => [d.status, d.lastError])).toEqual([['failed', 'used_url']]);
    expect(env.slack.callsOf('response_url')).toHaveLength(1);
    expect((await env.bot.store.listAudit(request.id)).map((e) => e.action)).not.toContain(
      'notice undeliverable',
    );
    const ready = (await (await fetch(`http://127.0.0.1:${env.bot.port}/readyz`)).json()) as {
      checks: Record<string, unknown>;
    };
    expect(ready.checks.lastPermanentSlackError).toBeUndefined();
    expect(env.logLines.some((l) => l.includes('"level":50'))).toBe(false);
  });
});
