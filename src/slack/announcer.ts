/**
 * The outbox's Announcer, in Slack: one channel for requests and announcements,
 * DMs for the requester. Its client is the delivery worker's own, with no
 * retries of its own and a per-call timeout: the outbox decides about retries.
 */
import type { WebClient } from '@slack/web-api';
import type { StoredRequest } from '../store/store.js';
import type { Announcer, Notice } from '../workflow/ports.js';
import { type NoticeContext, renderNotice } from './blocks/notices.js';
import { requestMessage } from './blocks/request-message.js';
import { toDeliveryError } from './delivery-errors.js';

export class SlackAnnouncer implements Announcer {
  constructor(
    private readonly client: WebClient,
    private readonly channelId: string,
    private readonly context: NoticeContext,
  ) {}

  async post(stored: StoredRequest): Promise<{ channel: string; ts: string }> {
    const res = await this.send(() =>
      this.client.chat.postMessage({
        channel: this.channelId,
        ...requestMessage(stored.request, this.context),
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

  async thread(stored: StoredRequest, notice: Notice): Promise<void> {
    const rendered = renderNotice(notice, this.context);
    await this.send(() =>
      this.client.chat.postMessage({
        channel: stored.message?.channel ?? this.channelId,
        ...(stored.message ? { thread_ts: stored.message.ts } : {}),
        ...rendered,
        unfurl_links: false,
      }),
    );
  }

  async channel(notice: Notice): Promise<void> {
    await this.send(() =>
      this.client.chat.postMessage({
        channel: this.channelId,
        ...renderNotice(notice, this.context),
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

  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toDeliveryError(error);
    }
  }
}
