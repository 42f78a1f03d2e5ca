/** The workflow's Announcer, in Slack: one channel for requests and announcements, DMs for the requester. */
import type { WebClient } from '@slack/web-api';
import type { StoredRequest } from '../store/store.js';
import type { Announcer, Notice } from '../workflow/ports.js';
import { type NoticeContext, renderNotice } from './blocks/notices.js';
import { requestBlocks, requestText } from './blocks/request-message.js';

export class SlackAnnouncer implements Announcer {
  constructor(
    private readonly client: WebClient,
    private readonly channelId: string,
    private readonly context: NoticeContext,
  ) {}

  async post(stored: StoredRequest): Promise<{ channel: string; ts: string }> {
    const res = await this.client.chat.postMessage({
      channel: this.channelId,
      text: requestText(stored.request),
      blocks: requestBlocks(stored.request),
      unfurl_links: false,
    });
    if (!res.ts || !res.channel) throw new Error('chat.postMessage returned no ts');
    return { channel: res.channel, ts: res.ts };
  }

  async update(stored: StoredRequest): Promise<void> {
    if (!stored.message) return;
    await this.client.chat.update({
      channel: stored.message.channel,
      ts: stored.message.ts,
      text: requestText(stored.request),
      blocks: requestBlocks(stored.request),
    });
  }

  async thread(stored: StoredRequest, notice: Notice): Promise<void> {
    const rendered = renderNotice(notice, this.context);
    await this.client.chat.postMessage({
      channel: stored.message?.channel ?? this.channelId,
      ...(stored.message ? { thread_ts: stored.message.ts } : {}),
      ...rendered,
      unfurl_links: false,
    });
  }

  async channel(notice: Notice): Promise<void> {
    await this.client.chat.postMessage({
      channel: this.channelId,
      ...renderNotice(notice, this.context),
      unfurl_links: false,
    });
  }

  async dm(userId: string, notice: Notice): Promise<void> {
    // Posting to a user id delivers to the app's DM with that user.
    await this.client.chat.postMessage({
      channel: userId,
      ...renderNotice(notice, this.context),
      unfurl_links: false,
    });
  }
}
