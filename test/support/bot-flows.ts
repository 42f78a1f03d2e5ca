import { randomUUID } from 'node:crypto';
/** Multi-step helpers for the end-to-end tests: a person's actions in Slack, in order. */
import { expect } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import type { FakeSlack, SlackCall } from '../fakes/slack/server.js';
import { type BotEnv, REQUESTER, waitFor } from './bot-env.js';

export function modalValues(fields: {
  account: string;
  task?: string;
  duration?: string;
  target?: string;
  justification: string;
  link?: string;
}) {
  const values: Record<string, Record<string, unknown>> = {
    account: { bg_account_select: { type: 'external_select', selected_option: { value: fields.account } } },
    task: {
      bg_task_select: {
        type: 'static_select',
        selected_option: { value: fields.task ?? 'password-recovery' },
      },
    },
    justification: { bg_justification: { type: 'plain_text_input', value: fields.justification } },
    link: { bg_link: { type: 'url_text_input', value: fields.link ?? null } },
  };
  if (fields.duration)
    values.duration = { bg_duration: { type: 'static_select', selected_option: { value: fields.duration } } };
  if (fields.target !== undefined)
    values.target = { bg_target: { type: 'plain_text_input', value: fields.target } };
  return values;
}

/** Submits the request modal and waits until the request message shows its Approve button. */
export async function submitRequest(
  env: BotEnv,
  fields: Parameters<typeof modalValues>[0],
  user = REQUESTER,
): Promise<BreakglassRequest> {
  const res = await env.client.viewSubmission(user, {
    callback_id: 'bg_request',
    values: modalValues(fields),
  });
  expect(res.status).toBe(200);
  expect(res.body).toBe('');
  const requests = await waitFor('the request to be stored', async () => {
    const list = await env.bot.workflow.list(1);
    return list[0]?.preview?.status !== 'loading' ? list : undefined;
  });
  const request = requests[0];
  if (!request) throw new Error('no request');
  await waitFor('the Approve button', () => approveValue(env.slack, request.id));
  return request;
}

function blocksOf(call: SlackCall): unknown[] {
  return Array.isArray(call.args.blocks) ? call.args.blocks : [];
}

/** The value of the Approve button on the latest rendering of a request message. */
export function approveValue(slack: FakeSlack, requestId: string): string | undefined {
  const renders = slack.calls.filter(
    (c) =>
      (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
      String(c.args.text).includes(requestId),
  );
  const last = renders.at(-1);
  if (!last) return undefined;
  for (const block of blocksOf(last) as { elements?: { action_id?: string; value?: string }[] }[]) {
    const button = block.elements?.find((e) => e.action_id === 'bg_approve');
    if (button?.value) return button.value;
  }
  return undefined;
}

export async function click(env: BotEnv, user: string, actionId: string, value: string): Promise<string> {
  return String((await clickReply(env, user, actionId, { value })).args.text);
}

/** A click (button value or select option) and the bot's answer through its response_url, whole. */
export async function clickReply(
  env: BotEnv,
  user: string,
  actionId: string,
  action: { value?: string; selected_option?: { value: string }; block_id?: string },
  /** the message clicked on, when the bot reads it back (e.g. the grant DM) */
  message?: { text: string; blocks: unknown[] },
): Promise<SlackCall> {
  const before = env.slack.callsOf('response_url').length;
  const res = await env.client.blockAction(
    user,
    { action_id: actionId, ...action },
    message ? { message } : {},
  );
  expect(res.status).toBe(200);
  return waitFor(`the reply to ${actionId}`, () => env.slack.callsOf('response_url')[before]);
}

/** The value of a button with `actionId` in the latest message (post, update or response) that has one. */
export function buttonValue(slack: FakeSlack, actionId: string): string | undefined {
  for (const call of [...slack.calls].reverse()) {
    const value = call.outcome?.ok === false ? undefined : buttonValueIn(call, actionId);
    if (value) return value;
  }
  return undefined;
}

/** The value of the button with `actionId` in one message. */
export function buttonValueIn(call: SlackCall, actionId: string): string | undefined {
  for (const block of blocksOf(call) as { elements?: { action_id?: string; value?: string }[] }[]) {
    const button = block.elements?.find((e) => e.action_id === actionId);
    if (button?.value) return button.value;
  }
  return undefined;
}

/** Sends `/breakglass <text>` and returns the first reply to this very command (its own response_url). */
export async function command(env: BotEnv, user: string, text: string): Promise<string> {
  const responseId = `cmd-${randomUUID()}`;
  const res = await env.client.command(user, text, { responseId });
  expect(res.status).toBe(200);
  const reply = await waitFor(`the reply to /breakglass ${text}`, () =>
    env.slack.callsOf('response_url').find((c) => c.path.endsWith(`/${responseId}`)),
  );
  return String(reply.args.text);
}

export async function stateOf(env: BotEnv, id: string): Promise<BreakglassRequest> {
  const stored = await env.bot.workflow.get(id);
  if (!stored) throw new Error(`no request ${id}`);
  return stored.request;
}

export function waitForState(
  env: BotEnv,
  id: string,
  state: BreakglassRequest['state'],
  timeoutMs?: number,
): Promise<BreakglassRequest> {
  return waitFor(
    `${id} to be ${state}`,
    async () => {
      const r = await stateOf(env, id);
      return r.state === state ? r : undefined;
    },
    timeoutMs,
  );
}

/** Messages (not ephemerals) sent to a user's DM. */
export function dmsTo(slack: FakeSlack, userId: string): string[] {
  return slack
    .callsOf('chat.postMessage')
    .filter((c) => c.args.channel === userId)
    .map((c) => `${String(c.args.text)} ${JSON.stringify(c.args.blocks ?? '')}`);
}
