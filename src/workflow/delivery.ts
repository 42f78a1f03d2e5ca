/**
 * The outbox's delivery worker: sends Slack notices in the order they were
 * written per request, apart from the AWS job workers, so that nothing which
 * guards root access ever waits on Slack. Slack asking to slow down holds only
 * the channel (or DM) concerned; an outage is retried with capped back-off; an
 * error that retrying cannot fix is recorded, logged at error level and handed
 * to `onUndeliverable` so that a person hears of it.
 */
import { randomUUID } from 'node:crypto';
import { hardenCsv } from '../domain/harden-csv.js';
import { deliveryTarget, describeDelivery } from '../domain/notice.js';
import { orgAuditCsv } from '../domain/org-audit-csv.js';
import type { Logger } from '../log.js';
import { emitMetric } from '../metrics.js';
import type { OutboxItem, Store } from '../store/store.js';
import { DeliveryError } from './delivery-error.js';
import type { Announcer, NoticeRef, ReportAnnouncer } from './ports.js';
import { errorText, LoopWorker, WorkLoop } from './work-loop.js';

/** Long enough for one Slack call with its own timeout (the announcer's timeout must stay below it). */
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_CONCURRENCY = 4;
/** Outage back-off: 1 s doubling to this cap, so a notice goes out within seconds of Slack's return. */
const MAX_RETRY_DELAY_MS = 20_000;
const DEFAULT_RETRY_AFTER_MS = 1_000;
/**
 * Marks a notice an earlier attempt may have delivered: Slack's answer never
 * came (a timeout, a reset, a 5xx, a crash after the call). It stays on every
 * later error, so a retry looks for that earlier post before posting again;
 * a notice Slack certainly did not take (a 429, a hold) needs no look.
 */
const MAY_HAVE_REACHED_SLACK = 'uncertain: ';

export interface PermanentDeliveryError {
  code: string;
  requestId: string;
  what: string;
  /** wall-clock ms */
  at: number;
}

export interface DeliveryOptions {
  log: Logger;
  tickMs: number;
  now?: () => number;
  concurrency?: number;
  /** how long a claimed notice is held; a killed process's notice is sent after this */
  leaseMs?: number;
  /** sends org-wide audit summaries and their files */
  reports?: ReportAnnouncer;
  /**
   * told of a delivered notice that moves a workflow on (a hardening's list of
   * accounts); if it throws, the notice is retried (and found already in Slack)
   */
  onDelivered?: (item: OutboxItem) => Promise<void>;
  /** told once of each notice Slack refused for good */
  onUndeliverable?: (item: OutboxItem, error: DeliveryError) => Promise<void>;
}

export class DeliveryWorker extends LoopWorker<OutboxItem> {
  readonly workerId = `outbox-${randomUUID().slice(0, 8)}`;
  /** the last error that retrying could not fix, for /readyz */
  lastPermanentError: PermanentDeliveryError | undefined;
  protected readonly loop: WorkLoop<OutboxItem>;
  private readonly now: () => number;
  /**
   * Targets Slack asked us to hold, until when. `deferTarget` holds the notices
   * already written; this holds the ones written after the 429, which would
   * otherwise each be tried once (and refused) before waiting.
   */
  private readonly holds = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly announcer: Announcer,
    private readonly options: DeliveryOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.loop = new WorkLoop({
      name: 'outbox',
      tickMs: options.tickMs,
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      log: options.log,
      claim: () => this.store.claimDelivery(this.workerId, this.now(), options.leaseMs ?? DEFAULT_LEASE_MS),
      run: (item) => this.deliver(item),
    });
  }

  private async deliver(item: OutboxItem): Promise<void> {
    const heldUntil = this.heldUntil(deliveryTarget(item.delivery));
    if (heldUntil !== undefined) {
      await this.store.retryDelivery(item.id, heldUntil, keepDoubt(item, 'held: Slack rate limit'));
      return;
    }
    try {
      await this.send(item);
      await this.store.deliverySent(item.id, this.now());
    } catch (error) {
      await this.failed(item, error);
    }
  }

  private async send(item: OutboxItem): Promise<void> {
    const d = item.delivery;
    const ref = {
      id: item.id,
      requestId: item.requestId,
      since: item.createdAt,
      retry: mayHaveReachedSlack(item),
    };
    if (d.to === 'channel') return this.announcer.channel(d.notice, ref);
    if (d.to === 'dm') return this.announcer.dm(d.userId, d.notice, ref);
    if (
      d.to === 'harden-post' ||
      d.to === 'harden-update' ||
      d.to === 'harden-summary' ||
      d.to === 'harden-dm'
    )
      return this.sendHardening(item, ref);
    if (d.to === 'file' && d.file.source === 'harden-csv') return this.sendHardening(item, ref);
    if (d.to === 'audit-post' || d.to === 'audit-update' || d.to === 'file')
      return this.sendReport(item, ref);
    if (d.to === 'drift-alert' || d.to === 'drift-resolved') return this.sendDrift(item, ref);
    if (d.to === 'reply') {
      // Slack takes a response_url for 30 minutes; after that the clicker has moved on.
      if (this.now() < d.reply.expiresAt) return this.announcer.reply(d.reply);
      this.options.log.info(
        { requestId: item.requestId },
        'a click reply outlived its response_url; dropped',
      );
      return;
    }
    const stored = await this.store.getRequest(item.requestId);
    if (!stored) return;
    if (d.to === 'thread') return this.announcer.thread(stored, d.notice, ref);
    if (stored.message) return this.announcer.update(stored);
    // Not posted yet: `post` posts; an `update` before the post exists has nothing to update.
    if (d.to === 'post') await this.store.setMessage(item.requestId, await this.announcer.post(stored, ref));
  }

  /** An org-wide audit's summary or file, rendered from what is stored now (the outbox key is the audit's id). */
  private async sendReport(item: OutboxItem, ref: NoticeRef): Promise<void> {
    const reports = this.options.reports;
    if (!reports) throw new Error('bug: no report announcer for an org-wide audit notice');
    const d = item.delivery;
    const run = await this.store.getOrgAudit(item.requestId);
    if (!run) return;
    const rows = await this.store.orgAuditRows(run.id);
    if (d.to === 'file') {
      const where = run.message ? { channel: run.message.channel, threadTs: run.message.ts } : {};
      const file = { filename: d.file.filename, title: d.file.title, content: orgAuditCsv(rows) };
      return reports.uploadFile(where, file, ref);
    }
    if (run.message) return reports.updateAudit({ run, rows });
    if (d.to === 'audit-post')
      await this.store.setOrgAuditMessage(run.id, await reports.postAudit({ run, rows }, ref));
  }

  /** A drift alert goes in the thread of its audit's summary; a resolution in the thread of the audit that alerted it. */
  private async sendDrift(item: OutboxItem, ref: NoticeRef): Promise<void> {
    const reports = this.options.reports;
    if (!reports) throw new Error('bug: no report announcer for a drift notice');
    const d = item.delivery;
    const threadOf = async (runId: string) => {
      const message = (await this.store.getOrgAudit(runId))?.message;
      return message ? { channel: message.channel, threadTs: message.ts } : {};
    };
    if (d.to === 'drift-alert') return reports.driftAlert(await threadOf(item.requestId), d.alert, ref);
    if (d.to === 'drift-resolved')
      return reports.driftResolved(await threadOf(d.resolved.alertRunId), d.resolved, ref);
  }

  /** A bulk hardening's message, summary or CSV, rendered from what is stored now (the outbox key is its id). */
  private async sendHardening(item: OutboxItem, ref: NoticeRef): Promise<void> {
    const reports = this.options.reports;
    if (!reports) throw new Error('bug: no report announcer for a bulk hardening notice');
    const d = item.delivery;
    const stored = await this.store.getHardening(item.requestId);
    if (!stored) return;
    const accounts = await this.store.hardenAccounts(item.requestId);
    const view = { stored, accounts };
    if (d.to === 'file') {
      const where = stored.message ? { channel: stored.message.channel, threadTs: stored.message.ts } : {};
      const content = hardenCsv(stored.hardening, accounts);
      await reports.uploadFile(where, { filename: d.file.filename, title: d.file.title, content }, ref);
      await this.options.onDelivered?.(item);
      return;
    }
    if (d.to === 'harden-summary') return reports.hardeningSummary(view, ref);
    if (d.to === 'harden-dm') return reports.hardeningDm(d.userId, view, d.slackError, ref);
    if (stored.message) return reports.updateHardening(view);
    if (d.to === 'harden-post')
      await this.store.setHardeningMessage(item.requestId, await reports.postHardening(view, ref));
  }

  private heldUntil(target: string): number | undefined {
    const until = this.holds.get(target);
    if (until === undefined) return undefined;
    if (until > this.now()) return until;
    this.holds.delete(target);
    return undefined;
  }

  private async failed(item: OutboxItem, error: unknown): Promise<void> {
    const what = describeDelivery(item.delivery);
    const log = this.options.log.child({ requestId: item.requestId, notice: what, attempt: item.attempts });
    const now = this.now();
    if (error instanceof DeliveryError && error.failure === 'permanent' && item.delivery.to === 'reply') {
      // Slack refuses a lapsed or used-up response_url for good: the clicker has moved on, and
      // the message, thread and DMs say the same. Nobody needs paging for it.
      log.info(
        { slackError: error.code },
        'Slack refused a click reply (response_url lapsed or used up); dropped',
      );
      await this.store.deliveryFailed(item.id, error.code, now);
      return;
    }
    if (error instanceof DeliveryError && error.failure === 'permanent') {
      log.error({ slackError: error.code }, 'Slack refused a notice; retrying cannot fix it');
      emitMetric(this.options.log, 'NoticeUndeliverable', 1, {
        requestId: item.requestId,
        slackError: error.code,
      });
      await this.store.deliveryFailed(item.id, error.code, now);
      this.lastPermanentError = { code: error.code, requestId: item.requestId, what, at: Date.now() };
      await this.options.onUndeliverable?.(item, error).catch((e: unknown) => {
        log.error({ err: errorText(e) }, 'could not handle an undeliverable notice');
      });
      return;
    }
    if (error instanceof DeliveryError && error.failure === 'rate-limited') {
      const until = now + (error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      log.warn({ retryAfterMs: until - now }, 'Slack rate limit: holding this channel');
      const target = deliveryTarget(item.delivery);
      this.holds.set(target, Math.max(until, this.holds.get(target) ?? 0));
      await this.store.retryDelivery(item.id, until, keepDoubt(item, error.code));
      await this.store.deferTarget(target, until);
      return;
    }
    const delay = Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** Math.max(0, item.attempts - 1));
    const code = error instanceof DeliveryError ? error.code : errorText(error);
    log.warn({ err: code, retryInMs: delay }, 'could not deliver a notice; will retry');
    // No answer, or an error after the call (storing the posted message failed): it may be in Slack.
    await this.store.retryDelivery(
      item.id,
      now + delay * (0.5 + Math.random() / 2),
      MAY_HAVE_REACHED_SLACK + code,
    );
  }
}

/** An earlier attempt's answer was lost, or its process died mid-call (a claim with no error recorded). */
function mayHaveReachedSlack(item: OutboxItem): boolean {
  if (item.lastError === undefined) return item.attempts > 1;
  return item.lastError.startsWith(MAY_HAVE_REACHED_SLACK);
}

/** The error to record, keeping an earlier doubt: a later 429 does not unsend an earlier post. */
function keepDoubt(item: OutboxItem, code: string): string {
  return mayHaveReachedSlack(item) ? MAY_HAVE_REACHED_SLACK + code : code;
}
