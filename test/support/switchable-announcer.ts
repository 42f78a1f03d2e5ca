import type { StoredRequest } from '../../src/store/store.js';
import { DeliveryError } from '../../src/workflow/delivery-error.js';
import type { Announcer, ClickReply, Notice } from '../../src/workflow/ports.js';
import { RecordingAnnouncer } from './recording-announcer.js';

/**
 * A RecordingAnnouncer that can be taken down (every call fails as Slack's 5xx
 * would) or made to refuse chosen deliveries for good, as Slack does with
 * not_in_channel or invalid_blocks. Calls while down are counted, not recorded.
 */
export class SwitchableAnnouncer extends RecordingAnnouncer implements Announcer {
  down = false;
  failedCalls = 0;
  /** `${to}` or `${to}:${notice kind}` -> Slack error code, refused every time */
  readonly refuse = new Map<string, string>();

  private check(to: string, notice?: Notice): void {
    if (this.down) {
      this.failedCalls += 1;
      throw new DeliveryError('transient', 'http_503');
    }
    const code = this.refuse.get(notice ? `${to}:${notice.kind}` : to) ?? this.refuse.get(to);
    if (code) throw new DeliveryError('permanent', code);
  }

  override async post(stored: StoredRequest) {
    this.check('post');
    return super.post(stored);
  }
  override async update(stored: StoredRequest) {
    this.check('update');
    return super.update(stored);
  }
  override async thread(stored: StoredRequest, notice: Notice) {
    this.check('thread', notice);
    return super.thread(stored, notice);
  }
  override async reply(reply: ClickReply) {
    this.check('reply');
    return super.reply(reply);
  }
  override async channel(notice: Notice) {
    this.check('channel', notice);
    return super.channel(notice);
  }
  override async dm(userId: string, notice: Notice) {
    this.check('dm', notice);
    return super.dm(userId, notice);
  }
}
