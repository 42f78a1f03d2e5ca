/**
 * The decline-extension modal's submission. Its own file (views.ts holds the
 * request and deny modals); registered from bot.ts next to registerViews.
 */
import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { afterPendingAcks } from '../ack-first.js';
import { declinedReplacement, parseDeclineMetadata } from '../blocks/extension.js';
import { replaceClicked, tellClicker } from '../click-replies.js';
import type { SlackDeps } from '../deps.js';
import { DECLINE_EXTENSION_BLOCK, DECLINE_EXTENSION_INPUT, VIEWS } from '../ids.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export function registerExtensionViews(app: App, deps: SlackDeps): void {
  app.view<ViewSubmitAction>(VIEWS.declineExtension, (args) => declineSubmitted(args, deps));
}

/**
 * Only the empty reason is answered in the modal (a pure check, so the ack
 * stays first); the decision itself runs after the ack, and its outcome goes (through
 * the outbox) to the response_url its Decline click came with: the
 * ask is replaced by what happened, or the approver alone is told why not.
 */
export async function declineSubmitted(args: ViewArgs, deps: SlackDeps): Promise<void> {
  const { ack, body, view } = args;
  const reason = view.state.values[DECLINE_EXTENSION_BLOCK]?.[DECLINE_EXTENSION_INPUT]?.value ?? '';
  if (!reason.trim()) {
    await ack({ response_action: 'errors', errors: { [DECLINE_EXTENSION_BLOCK]: 'Give a reason.' } });
    return;
  }
  await ack();
  await afterPendingAcks();
  const metadata = parseDeclineMetadata(view.private_metadata);
  if (!metadata) {
    deps.log.warn({ callbackId: view.callback_id }, 'decline modal without its ask');
    return;
  }
  const user = body.user.id;
  const reply = await deps.workflow.actions.declineExtension(metadata.id, user, metadata, reason);
  const click = {
    deps,
    requestId: metadata.id,
    responseUrl: metadata.responseUrl || undefined,
    // The response_url's 30 minutes started at the Decline click, not at this submission.
    ...(metadata.clickedAt ? { at: metadata.clickedAt } : {}),
  };
  if (reply.ok)
    await replaceClicked(click, declinedReplacement(reply.request, user, metadata.seconds, reason));
  else await tellClicker(click, reply.text);
}
