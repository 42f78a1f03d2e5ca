/** Something worth telling people about a request. Stored in the outbox, rendered by the Slack layer. */
import type { DriftAlert, PresentCredentials } from './drift.js';
import type { BreakglassRequest } from './request.js';

export type Notice =
  | { kind: 'granted'; request: BreakglassRequest; rootEmail: string | undefined }
  | { kind: 'executed'; request: BreakglassRequest }
  | {
      kind: 'execution-failed';
      request: BreakglassRequest;
      error: string;
      remediation: string;
      cleanupScheduled: boolean;
    }
  | { kind: 'reminder'; request: BreakglassRequest }
  | { kind: 'nudge'; request: BreakglassRequest }
  | { kind: 'denied'; request: BreakglassRequest }
  /** an approver cancelled the requester's pending request */
  | { kind: 'cancelled'; request: BreakglassRequest }
  | { kind: 'expired'; request: BreakglassRequest }
  | { kind: 'extension-requested'; request: BreakglassRequest }
  | { kind: 'extended'; request: BreakglassRequest; approverId: string }
  | {
      kind: 'extension-declined';
      request: BreakglassRequest;
      seconds: number;
      userId: string;
      reason: string;
      /** for the requester: offer Done and Extend again */
      offerControls?: boolean;
    }
  | {
      kind: 'extension-withdrawn';
      request: BreakglassRequest;
      seconds: number;
      /** for the requester: offer Done and Extend again */
      offerControls?: boolean;
    }
  /** a new preview changed what approvers see: these approvals no longer count */
  | { kind: 'approvals-cleared'; request: BreakglassRequest; cleared: string[] }
  | { kind: 'cleanup-verified'; request: BreakglassRequest; removed: string }
  | { kind: 'cleanup-failed'; request: BreakglassRequest; error: string; alert: boolean }
  /** Slack refused a notice for good (e.g. not_in_channel): told to a person another way */
  | { kind: 'not-delivered'; request: BreakglassRequest; what: string; error: string };

/**
 * An answer to a click, for the response_url Slack sent with it: rendered when
 * the click is handled (it says what happened then), sent through the outbox so
 * that an answer Slack could not take at that moment is retried, until the URL
 * lapses. The URL is a capability: never logged.
 */
export interface ClickReply {
  url: string;
  /** epoch ms after which Slack no longer takes the URL */
  expiresAt: number;
  /** replace the message clicked on (its buttons no longer apply), or tell the clicker alone */
  replaceOriginal: boolean;
  text: string;
  /** Block Kit blocks, as rendered by the Slack layer */
  blocks?: unknown[];
}

/**
 * One message to send, in the order written. `post` and `update` render the
 * request message from the store at delivery time, so they always show the
 * newest state.
 */
export type Delivery =
  | { to: 'post' }
  | { to: 'update' }
  /**
   * An org-wide audit's summary message (the outbox key is the audit's id):
   * posted once, then updated in place; rendered from the stored run and rows
   * at delivery time, so it always shows the newest progress.
   */
  | { to: 'audit-post' }
  | { to: 'audit-update' }
  /**
   * A file in the thread of the audit's summary. Its content is regenerated at
   * delivery time from the rows stored durably with the audit (never stored
   * whole: a CSV of thousands of accounts would exceed DynamoDB's 400 KB item).
   */
  | { to: 'file'; file: { source: 'org-audit-csv' | 'harden-csv'; filename: string; title: string } }
  /**
   * A bulk hardening's message (the outbox key is its id): posted once, updated
   * in place, rendered from the stored hardening and accounts at delivery time;
   * `harden-summary` is its closing summary, a top-level message in the channel.
   */
  | { to: 'harden-post' }
  | { to: 'harden-update' }
  | { to: 'harden-summary' }
  /** Its requester, by DM, when Slack refused its message (it was cancelled) or its summary for good. */
  | { to: 'harden-dm'; userId: string; slackError: string }
  /**
   * Root credentials outside a window on one account (new, changed, or a
   * reminder), in the thread of the scheduled audit's summary (the outbox key
   * is that audit's id), with a "Clean up" button.
   */
  | { to: 'drift-alert'; alert: DriftAlert }
  /** A drift that disappeared, told in the thread of the audit that last alerted it. */
  | { to: 'drift-resolved'; resolved: DriftResolution }
  | { to: 'thread'; notice: Notice }
  | { to: 'channel'; notice: Notice }
  | { to: 'dm'; userId: string; notice: Notice }
  | { to: 'reply'; reply: ClickReply };

export interface DriftResolution {
  accountId: string;
  name: string;
  /** what the last alert listed */
  present: PresentCredentials;
  /** the org-wide audit in whose thread it was alerted */
  alertRunId: string;
}

/** The approvals channel, as a delivery target (DMs are targeted by user id). */
// Stryker disable next-line StringLiteral: any text that is no Slack user id serves as the channel's target
export const CHANNEL_TARGET = '#approvals';

/** Click replies go to response URLs, which Slack limits apart from channels. */
export const REPLY_TARGET = 'response_url';

/** Where a delivery goes, for per-target back-off: a user's DM, response URLs or the approvals channel. */
export function deliveryTarget(delivery: Delivery): string {
  if (delivery.to === 'dm' || delivery.to === 'harden-dm') return delivery.userId;
  return delivery.to === 'reply' ? REPLY_TARGET : CHANNEL_TARGET;
}

/** A short name for logs and the audit trail. */
export function describeDelivery(delivery: Delivery): string {
  switch (delivery.to) {
    case 'post':
    case 'update':
      return `${delivery.to} request message`;
    case 'audit-post':
    case 'audit-update':
      return `${delivery.to === 'audit-post' ? 'post' : 'update'} org-wide audit summary`;
    case 'file':
      return `file ${delivery.file.filename}`;
    case 'drift-alert':
      return `drift alert (${delivery.alert.kind}) for ${delivery.alert.accountId}`;
    case 'drift-resolved':
      return `drift resolved for ${delivery.resolved.accountId}`;
    case 'harden-post':
    case 'harden-update':
      return `${delivery.to === 'harden-post' ? 'post' : 'update'} bulk hardening message`;
    case 'harden-summary':
      return 'bulk hardening summary';
    case 'harden-dm':
      return 'bulk hardening DM to its requester';
    case 'reply':
      return delivery.reply.replaceOriginal ? 'reply replacing the message clicked' : 'reply to a click';
    default:
      return `${delivery.to} ${delivery.notice.kind}`;
  }
}
