/**
 * Hostile text through the running bot, to the strict fake Slack: the longest
 * justification and incident link the modal accepts, made of control
 * characters and mentions, and a policy too long for a message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INCIDENT_LINK } from '../../src/domain/incident-link.js';
import { mrkdwnLink } from '../../src/slack/text.js';
import { memberId } from '../fakes/aws/sample-org.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { APPROVER_A, type BotEnv, startBotEnv, waitFor } from '../support/bot-env.js';
import { submitRequest } from '../support/bot-flows.js';

let env: BotEnv;
beforeAll(async () => {
  env = await startBotEnv();
});
afterAll(() => env.close());

const HOSTILE = '&<>|<!channel><@U123><!here>';
const repeatTo = (unit: string, length: number) =>
  unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** The mrkdwn of a message call's blocks, joined in order. */
function mrkdwn(call: SlackCall | undefined): string {
  const blocks = (call?.args.blocks ?? []) as { text?: { text: string }; fields?: { text: string }[] }[];
  return blocks.flatMap((b) => [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text)]).join('');
}

function messageCalls(id: string): SlackCall[] {
  return env.slack.calls.filter(
    (c) =>
      (c.method === 'chat.postMessage' || c.method === 'chat.update') && String(c.args.text).includes(id),
  );
}

describe('hostile text through the running bot', () => {
  it('posts a maximum-length justification (as typed) and incident link (escaped) intact', async () => {
    const justification = repeatTo(HOSTILE, 2000);
    const link = `https://tickets.example.com/?q=${repeatTo(HOSTILE, MAX_INCIDENT_LINK - 31)}`;
    expect(link).toHaveLength(1000);
    const request = await submitRequest(env, { account: memberId(1), duration: '1800', justification, link });

    const calls = messageCalls(request.id);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(call.outcome).toMatchObject({ ok: true });
    expect(mrkdwn(calls.at(-1))).toContain(mrkdwnLink(link));
    // The justification is shown exactly as typed, in plain_text, where Slack interprets nothing.
    expect(env.slack.plainTexts()).toContain(justification);
    const everything = env.slack.interpretedTexts().join('\n');
    expect(everything).not.toContain('<!channel>');
    expect(everything).not.toContain('<!here>');
    expect(everything).not.toContain('<@U123>');
  });

  it('shows a long policy in part and all of it in a modal behind "View full policy"', async () => {
    const account = memberId(3);
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: Array.from({ length: 150 }, (_, i) => ({
        Sid: `Deny${i}<&>`,
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::locked-bucket/${i}/*`],
        Condition: {
          StringNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${account}:role/ops-<@U123>-${i}` },
        },
      })),
    });
    expect(policy.length).toBeGreaterThan(20_000);
    env.aws.account(account).buckets.set('locked-bucket', policy);
    const request = await submitRequest(env, {
      account,
      task: 'unlock-s3',
      target: 'locked-bucket',
      justification: 'Locked out of the bucket',
    });
    const last = messageCalls(request.id).at(-1);
    expect(last?.outcome).toMatchObject({ ok: true });
    expect(JSON.stringify(last?.args.blocks)).toContain('bg_view_policy');

    const before = env.slack.callsOf('views.open').length;
    const res = await env.client.blockAction(APPROVER_A, { action_id: 'bg_view_policy', value: request.id });
    expect(res.status).toBe(200);
    const open = await waitFor('the policy modal', () => env.slack.callsOf('views.open')[before]);
    expect(open.outcome).toMatchObject({ ok: true });
    const view = open.args.view as { blocks: { text: { text: string } }[] };
    const shown = view.blocks
      .map((b) => /```([\s\S]*)```/.exec(b.text.text)?.[1] ?? '')
      .join('')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    expect(shown).toBe(policy);
  });
});
