import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { RequestField } from '../../workflow/request-actions.js';
import { afterPendingAcks } from '../ack-first.js';
import type { SlackDeps } from '../deps.js';
import { ACTIONS, DENY_BLOCK, DENY_INPUT, REQUEST_BLOCKS, REQUEST_INPUTS, VIEWS } from '../ids.js';
import { escapeMrkdwn } from '../text.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
type Values = ViewSubmitAction['view']['state']['values'];

export function registerViews(app: App, deps: SlackDeps): void {
  // One listener for both modals (see actions.ts on why fewer listeners).
  app.view<ViewSubmitAction>(new RegExp(`^(${VIEWS.request}|${VIEWS.deny})$`), (args) =>
    args.view.callback_id === VIEWS.request ? requestSubmitted(args, deps) : denySubmitted(args, deps),
  );
}

function read(values: Values, block: string, action: string): string | undefined {
  const v = values[block]?.[action];
  return v?.selected_option?.value ?? v?.value ?? undefined;
}

/**
 * Validation answers in the modal itself (field errors), so it runs before the
 * ack: it reads the database, the cached account list and, with a policy file,
 * the account's OUs, cached and warmed with the account list. An OU lookup that
 * is still running is waited for at most ROUTING_LOOKUP_TIMEOUT_MS (1.5 s), then
 * the submission gets a "try again" field error.
 */
export async function requestSubmitted(args: ViewArgs, deps: SlackDeps): Promise<void> {
  const { ack, body, view } = args;
  const values = view.state.values;
  const duration = read(values, REQUEST_BLOCKS.duration, REQUEST_INPUTS.duration);
  const link = read(values, REQUEST_BLOCKS.link, REQUEST_INPUTS.link);
  const target = read(values, REQUEST_BLOCKS.target, REQUEST_INPUTS.target);
  const result = await deps.workflow.actions.submit(
    {
      requesterId: body.user.id,
      accountId: read(values, REQUEST_BLOCKS.account, ACTIONS.accountSelect) ?? '',
      task: read(values, REQUEST_BLOCKS.task, ACTIONS.taskSelect) ?? '',
      justification: read(values, REQUEST_BLOCKS.justification, REQUEST_INPUTS.justification) ?? '',
      ...(duration ? { durationSeconds: Number(duration) } : {}),
      ...(target ? { target } : {}),
      ...(link ? { link } : {}),
    },
    // One request per modal, however often Slack delivers its submission.
    `view:${view.id}`,
  );
  if (result.ok) {
    await ack();
    return;
  }
  const present = new Set(Object.keys(values));
  const errors: Record<string, string> = {};
  for (const [field, message] of Object.entries(result.errors) as [RequestField, string][]) {
    // Errors may only name input blocks that are in the view.
    const block = present.has(REQUEST_BLOCKS[field]) ? REQUEST_BLOCKS[field] : REQUEST_BLOCKS.justification;
    errors[block] = errors[block] ? `${errors[block]} ${message}` : message;
  }
  await ack({ response_action: 'errors', errors });
}

/**
 * The reason is checked here (pure) so that a missing one is a field error;
 * then the modal is acked at once, before the denial, which may look up user
 * groups in Slack. A refused denial (someone approved first, not an approver)
 * is told by DM.
 */
export async function denySubmitted(args: ViewArgs, deps: SlackDeps): Promise<void> {
  const { ack, body, view, client } = args;
  const reason = read(view.state.values, DENY_BLOCK, DENY_INPUT) ?? '';
  if (!reason.trim()) {
    await ack({ response_action: 'errors', errors: { [DENY_BLOCK]: 'Give a reason for the denial.' } });
    return;
  }
  await ack();
  await afterPendingAcks();
  const id = view.private_metadata;
  const reply = await deps.workflow.actions.deny(id, body.user.id, reason);
  if (reply.ok) return;
  try {
    // chat:write posts to a user id in the app's DM with them.
    await client.chat.postMessage({
      channel: body.user.id,
      text: `Request ${escapeMrkdwn(id)}: ${escapeMrkdwn(reply.text)}`,
    });
  } catch (error) {
    deps.log.warn(
      { err: error instanceof Error ? error.message : String(error), requestId: id },
      'could not tell a denier that the denial was refused',
    );
  }
}
