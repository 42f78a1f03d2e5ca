/**
 * The decline-extension modal's submission. Its own file (views.ts holds the
 * request and deny modals); registered from bot.ts next to registerViews.
 */
import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Logger } from '../../log.js';
import { afterPendingAcks } from '../ack-first.js';
import { declinedReplacement, parseDeclineMetadata, type Replacement } from '../blocks/extension.js';
import type { SlackDeps } from '../deps.js';
import { DECLINE_EXTENSION_BLOCK, DECLINE_EXTENSION_INPUT, VIEWS } from '../ids.js';
import { escapeMrkdwn } from '../text.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** A response_url answer never waits longer than this. */
const RESPONSE_TIMEOUT_MS = 10_000;

export function registerExtensionViews(app: App, deps: SlackDeps): void {
  app.view<ViewSubmitAction>(VIEWS.declineExtension, (args) => declineSubmitted(args, deps));
}

/**
 * Only the empty reason is answered in the modal (a pure check, so the ack
 * stays first); the decision itself runs after the ack, and its outcome goes to
 * the ask's message through the response_url its Decline click came with: the
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
  await respondTo(
    metadata.responseUrl,
    reply.ok
      ? { replace_original: true, ...declinedReplacement(reply.request, user, metadata.seconds, reason) }
      : { response_type: 'ephemeral', replace_original: false, text: escapeMrkdwn(reply.text) },
    deps.log,
  );
}

/** Posts to a response_url. The decision is already stored and its notices are in the outbox: a failure is logged. */
async function respondTo(
  url: string,
  message: Partial<Replacement> & Record<string, unknown>,
  log: Logger,
): Promise<void> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
    });
    if (!res.ok) log.warn({ status: res.status }, 'response_url refused the answer');
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.message : String(error) }, 'response_url failed');
  }
}
