/**
 * The outbox's Announcer, in Slack: one channel for requests and announcements,
 * DMs for the requester. Its client is the delivery worker's own, with no
 * retries of its own and a per-call timeout: the outbox decides about retries.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import type { StoredRequest } from '../store/store.js';
import type { Announcer, ClickReply, Notice, NoticeRef } from '../workflow/ports.js';
import { type NoticeContext, renderNotice } from './blocks/notices.js';
import { requestMessage } from './blocks/request-message.js';
import { toDeliveryError } from './delivery-errors.js';
import { EarlierPosts } from './earlier-posts.js';
import { noticeMetadata } from './posted-lookup.js';
import { postToResponseUrl } from './response-url.js';

/** A response_url answer never waits longer than this (the outbox's own Slack calls are bounded alike). */
const DEFAULT_REPLY_TIMEOUT_MS = 10_000;

export class SlackAnnouncer implements Announcer {
  private readonly earlier: EarlierPosts;
  constructor(
    private readonly client: WebClient,
    private readonly channelId: string,
    private readonly context: NoticeContext,
    log?: Logger,
    private readonly replyTimeoutMs = DEFAULT_REPLY_TIMEOUT_MS,
  ) {
    this.earlier = new EarlierPosts(client, log);
  }

  async reply(reply: ClickReply): Promise<void> {
    await postToResponseUrl(reply, this.replyTimeoutMs);
  }

  async post(stored: StoredRequest, ref?: NoticeRef): Promise<{ channel: string; ts: string }> {
    const earlier = await this.alreadyPosted({ channel: this.channelId }, ref);
    if (earlier) {
      // Posted by an attempt whose answer was lost: bring it up to date instead of posting twice.
      const message = { channel: this.channelId, ts: earlier };
      await this.update({ ...stored, message });
      return message;
    }
    const res = await this.send(() =>
      this.client.chat.postMessage({
        channel: this.channelId,
        ...requestMessage(stored.request, this.context),
        ...(ref ? { metadata: noticeMetadata(ref) } : {}),
        unfurl_links: false,
      }),
    );
    if (!res.ts || !res.channel) throw new Error('chat.postMessage returned no ts');
    return { channel: res.channel, ts: res.ts };
  }

  async update(stored: StoredRequest): Promise<void> {
    const message = stored.message;
    if (!message) return;
    await this.send(() =>
      this.client.chat.update({
        channel: message.channel,
        ts: message.ts,
        ...requestMessage(stored.request, this.context),
      }),
    );
  }

  async thread(stored: StoredRequest, notice: Notice, ref?: NoticeRef): Promise<void> {
    const channel = stored.message?.channel ?? this.channelId;
    const threadTs = stored.message?.ts;
    if (await this.alreadyPosted({ channel, ...(threadTs ? { threadTs } : {}) }, ref)) return;
    const rendered = renderNotice(notice, this.context);
    await this.send(() =>
      this.client.chat.postMessage({
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...rendered,
        ...(ref ? { metadata: noticeMetadata(ref) } : {}),
        unfurl_links: false,
      }),
    );
  }

  async channel(notice: Notice, ref?: NoticeRef): Promise<void> {
    if (await this.alreadyPosted({ channel: this.channelId }, ref)) return;
    await this.send(() =>
      this.client.chat.postMessage({
        channel: this.channelId,
        ...renderNotice(notice, this.context),
        ...(ref ? { metadata: noticeMetadata(ref) } : {}),
        unfurl_links: false,
      }),
    );
  }

  async dm(userId: string, notice: Notice): Promise<void> {
    // Posting to a user id delivers to the app's DM with that user.
    await this.send(() =>
      this.client.chat.postMessage({
        channel: userId,
        ...renderNotice(notice, this.context),
        unfurl_links: false,
      }),
    );
  }

  private alreadyPosted(where: { channel: string; threadTs?: string }, ref: NoticeRef | undefined) {
    return this.earlier.find(where, ref);
  }

  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toDeliveryError(error);
    }
  }
}
