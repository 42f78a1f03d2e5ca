/**
 * Answers to clicks go through the outbox, like every other notice: written
 * when the click is handled, sent by the delivery worker, retried while Slack
 * cannot take them, dropped once the click's response_url has lapsed.
 */
import type { Delivery } from '../domain/notice.js';
import type { SlackDeps } from './deps.js';
import { clickReply } from './response-url.js';
import { escapeMrkdwn } from './text.js';

/** Outbox rows are kept per request; a click that names none (a malformed button) queues under this. */
const NO_REQUEST = 'click';
/**
 * Replies queue apart from their request's channel notices: the outbox sends a
 * queue in order, and a reply must not wait behind a rate-limited channel update.
 */
const REPLY_QUEUE = ':replies';

interface Click {
  deps: SlackDeps;
  /** the request the click was about, when known */
  requestId: string | undefined;
  /** Slack gives none for clicks in a view (App Home, a modal) */
  responseUrl: string | undefined;
  /** when the click happened, epoch ms (default: now) */
  at?: number;
}

/** Only the clicking user sees it. */
export async function tellClicker(click: Click, text: string): Promise<void> {
  await queue(click, false, { text: escapeMrkdwn(text) });
}

/** Replaces the message clicked on with what happened: its buttons no longer apply. */
export async function replaceClicked(
  click: Click,
  message: { text: string; blocks?: unknown[] },
): Promise<void> {
  await queue(click, true, message);
}

async function queue(click: Click, replaceOriginal: boolean, message: { text: string; blocks?: unknown[] }) {
  if (!click.responseUrl) {
    click.deps.log.debug({ requestId: click.requestId }, 'a click without a response_url: no reply');
    return;
  }
  const reply = clickReply(click.responseUrl, message, replaceOriginal, click.at);
  const delivery: Delivery = { to: 'reply', reply };
  await click.deps.workflow.core.notify(`${click.requestId || NO_REQUEST}${REPLY_QUEUE}`, [delivery]);
}
