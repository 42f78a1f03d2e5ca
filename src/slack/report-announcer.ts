/**
 * The outbox's ReportAnnouncer, in Slack: an org-wide audit's summary message
 * in the approvals channel (posted once, updated in place with chat.update) and
 * its CSV in the message's thread (files.uploadV2: files.getUploadURLExternal,
 * the upload, files.completeUploadExternal with channel_id and thread_ts).
 * Uses the delivery worker's own client: no retries of its own, a timeout.
 */
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { DriftAlert } from '../domain/drift.js';
import type { DriftResolution } from '../domain/notice.js';
import type { Logger } from '../log.js';
import type { HardeningView, NoticeRef, OrgAuditView, ReportAnnouncer } from '../workflow/ports.js';
import { driftAlertMessage, driftResolvedMessage } from './blocks/drift.js';
import { hardeningDm, hardeningMessage, hardeningSummary } from './blocks/harden.js';
import { orgAuditMessage } from './blocks/org-audit.js';
import { toDeliveryError } from './delivery-errors.js';
import { EarlierPosts } from './earlier-posts.js';
import { fileInThread, noticeMetadata } from './posted-lookup.js';

export class SlackReportAnnouncer implements ReportAnnouncer {
  private readonly earlier: EarlierPosts;

  constructor(
    private readonly client: WebClient,
    private readonly channelId: string,
    log?: Logger,
  ) {
    this.earlier = new EarlierPosts(client, log);
  }

  async postAudit(view: OrgAuditView, ref?: NoticeRef): Promise<{ channel: string; ts: string }> {
    const earlier = await this.earlier.find({ channel: this.channelId }, ref);
    if (earlier) {
      const message = { channel: this.channelId, ts: earlier };
      await this.updateAudit({ ...view, run: { ...view.run, message } });
      return message;
    }
    const res = await this.send(() =>
      this.client.chat.postMessage({
        channel: this.channelId,
        ...orgAuditMessage(view),
        ...(ref ? { metadata: noticeMetadata(ref) } : {}),
        unfurl_links: false,
      }),
    );
    if (!res.ts || !res.channel) throw new Error('chat.postMessage returned no ts');
    return { channel: res.channel, ts: res.ts };
  }

  async updateAudit(view: OrgAuditView): Promise<void> {
    const message = view.run.message;
    if (!message) return;
    await this.send(() =>
      this.client.chat.update({ channel: message.channel, ts: message.ts, ...orgAuditMessage(view) }),
    );
  }

  async postHardening(view: HardeningView, ref?: NoticeRef): Promise<{ channel: string; ts: string }> {
    const earlier = await this.earlier.find({ channel: this.channelId }, ref);
    if (earlier) {
      const message = { channel: this.channelId, ts: earlier };
      await this.updateHardening({ ...view, stored: { ...view.stored, message } });
      return message;
    }
    const res = await this.send(() =>
      this.client.chat.postMessage({
        channel: this.channelId,
        ...hardeningMessage(view),
        ...(ref ? { metadata: noticeMetadata(ref) } : {}),
        unfurl_links: false,
      }),
    );
    if (!res.ts || !res.channel) throw new Error('chat.postMessage returned no ts');
    return { channel: res.channel, ts: res.ts };
  }

  async updateHardening(view: HardeningView): Promise<void> {
    const message = view.stored.message;
    if (!message) return;
    await this.send(() =>
      this.client.chat.update({ channel: message.channel, ts: message.ts, ...hardeningMessage(view) }),
    );
  }

  async hardeningSummary(view: HardeningView, ref?: NoticeRef): Promise<void> {
    await this.postInThread({}, hardeningSummary(view), ref);
  }

  async hardeningDm(userId: string, view: HardeningView, slackError: string, ref?: NoticeRef): Promise<void> {
    // chat.postMessage to a user id posts in the app's DM with that user.
    await this.postInThread({ channel: userId }, hardeningDm(view, slackError), ref);
  }

  async driftAlert(
    where: { channel?: string; threadTs?: string },
    alert: DriftAlert,
    ref?: NoticeRef,
  ): Promise<void> {
    await this.postInThread(where, driftAlertMessage(alert), ref);
  }

  async driftResolved(
    where: { channel?: string; threadTs?: string },
    resolved: DriftResolution,
    ref?: NoticeRef,
  ): Promise<void> {
    await this.postInThread(where, driftResolvedMessage(resolved), ref);
  }

  /** A reply in a thread (or a top-level message without one), once even when retried after a lost answer. */
  private async postInThread(
    where: { channel?: string; threadTs?: string },
    message: { text: string; blocks: KnownBlock[] },
    ref?: NoticeRef,
  ): Promise<void> {
    const channel = where.channel ?? this.channelId;
    const place = where.threadTs ? { channel, threadTs: where.threadTs } : { channel };
    if (await this.earlier.find(place, ref)) return;
    await this.send(() =>
      this.client.chat.postMessage({
        channel,
        ...(where.threadTs ? { thread_ts: where.threadTs } : {}),
        ...message,
        ...(ref ? { metadata: noticeMetadata(ref) } : {}),
        unfurl_links: false,
      }),
    );
  }

  async uploadFile(
    where: { channel?: string; threadTs?: string },
    file: { filename: string; title: string; content: string },
    ref?: NoticeRef,
  ): Promise<void> {
    const channel = where.channel ?? this.channelId;
    // A retry after a lost answer: the file may be in the thread already (its title names the audit).
    if (
      ref?.retry &&
      where.threadTs &&
      (await this.earlier.look(ref.requestId, () =>
        fileInThread(this.client, { channel, threadTs: where.threadTs ?? '' }, file.title, ref.since),
      ))
    )
      return;
    await this.send(() =>
      where.threadTs
        ? this.client.filesUploadV2({
            channel_id: channel,
            thread_ts: where.threadTs,
            content: file.content,
            filename: file.filename,
            title: file.title,
          })
        : this.client.filesUploadV2({
            channel_id: channel,
            content: file.content,
            filename: file.filename,
            title: file.title,
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
