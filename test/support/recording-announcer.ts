import type { Announcer, Notice } from '../../src/workflow/ports.js';

export interface Announcement {
  to: 'post' | 'update' | 'thread' | 'channel' | 'dm';
  requestId: string;
  state: string;
  kind?: Notice['kind'];
  userId?: string;
  /** the notice itself, for what the kind alone does not say (buttons offered, reasons) */
  notice?: Notice;
}

/** An Announcer that records what would have been said in Slack. */
export class RecordingAnnouncer implements Announcer {
  readonly said: Announcement[] = [];
  /** click replies, in the order sent */
  readonly replies: { replaceOriginal: boolean; text: string }[] = [];
  private ts = 0;

  async post(stored: { request: { id: string; state: string } }) {
    this.said.push({ to: 'post', requestId: stored.request.id, state: stored.request.state });
    this.ts += 1;
    return { channel: 'CAPPROVALS', ts: `1700000000.${String(this.ts).padStart(6, '0')}` };
  }
  async update(stored: { request: { id: string; state: string } }) {
    this.said.push({ to: 'update', requestId: stored.request.id, state: stored.request.state });
  }
  async thread(stored: { request: { id: string } }, notice: Notice) {
    this.said.push({
      to: 'thread',
      requestId: stored.request.id,
      state: notice.request.state,
      kind: notice.kind,
      notice,
    });
  }
  async channel(notice: Notice) {
    this.said.push({
      to: 'channel',
      requestId: notice.request.id,
      state: notice.request.state,
      kind: notice.kind,
    });
  }
  async dm(userId: string, notice: Notice) {
    this.said.push({
      to: 'dm',
      requestId: notice.request.id,
      state: notice.request.state,
      kind: notice.kind,
      userId,
      notice,
    });
  }

  async reply(reply: { replaceOriginal: boolean; text: string }) {
    this.replies.push(reply);
  }

  kinds(): string[] {
    return this.said.filter((s) => s.kind).map((s) => `${s.to}:${s.kind}`);
  }
}
