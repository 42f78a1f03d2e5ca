/**
 * Slack has no idempotency key for chat.postMessage. A post whose answer was
 * lost (a timeout, a reset connection, a crash before the outbox recorded it)
 * may still have reached the channel. Every post carries its outbox id in
 * message metadata; before posting again, the delivery worker looks for it.
 */
import type { MessageMetadata } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { NoticeRef } from '../workflow/ports.js';

export const NOTICE_EVENT_TYPE = 'breakglass_notice';
/** Slack's clock and ours may differ; look back a little before the notice was written. */
const CLOCK_SKEW_S = 300;
const PAGE_SIZE = 200;
/** A retry comes seconds or minutes after the first try; a busy channel gets a few pages. */
const MAX_PAGES = 5;

/**
 * Whether a thread has, since `since` (epoch ms, less the clock skew), a reply
 * sharing a file titled `title`: page after page (up to MAX_PAGES), never only the first.
 */
export async function fileInThread(
  client: WebClient,
  where: { channel: string; threadTs: string },
  title: string,
  since: number,
): Promise<boolean> {
  const oldest = String(Math.floor(since / 1000) - CLOCK_SKEW_S);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.conversations.replies({
      channel: where.channel,
      ts: where.threadTs,
      oldest,
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    });
    const messages = (res.messages ?? []) as { files?: { title?: string }[] }[];
    if (messages.some((m) => m.files?.some((f) => f.title === title))) return true;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return false;
  }
  return false;
}

export function noticeMetadata(ref: NoticeRef): MessageMetadata {
  return { event_type: NOTICE_EVENT_TYPE, event_payload: { notice_id: ref.id, request_id: ref.requestId } };
}

interface Where {
  channel: string;
  /** look among this thread's replies instead of the channel's top level */
  threadTs?: string;
}

interface FoundMessage {
  ts?: string;
  bot_id?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/**
 * The ts of the message that carries `ref`, if an earlier attempt posted it.
 * Only this bot's own messages count: any app in the channel can post the same
 * metadata, and a planted copy must not suppress a notice. Throws what Slack throws.
 */
export async function findPosted(
  client: WebClient,
  where: Where,
  ref: NoticeRef,
  ownBotId: string,
): Promise<string | undefined> {
  const oldest = String(Math.floor(ref.since / 1000) - CLOCK_SKEW_S);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const common = {
      channel: where.channel,
      oldest,
      limit: PAGE_SIZE,
      include_all_metadata: true,
      ...(cursor ? { cursor } : {}),
    };
    const res = where.threadTs
      ? await client.conversations.replies({ ...common, ts: where.threadTs })
      : await client.conversations.history(common);
    const messages = (res.messages ?? []) as FoundMessage[];
    const hit = messages.find(
      (m) =>
        m.bot_id === ownBotId &&
        m.metadata?.event_type === NOTICE_EVENT_TYPE &&
        m.metadata.event_payload?.notice_id === ref.id,
    );
    if (hit?.ts) return hit.ts;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}
