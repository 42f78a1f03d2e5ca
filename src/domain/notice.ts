/** Something worth telling people about a request. Stored in the outbox, rendered by the Slack layer. */
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
 * One message to send, in the order written. `post` and `update` render the
 * request message from the store at delivery time, so they always show the
 * newest state.
 */
export type Delivery =
  | { to: 'post' }
  | { to: 'update' }
  | { to: 'thread'; notice: Notice }
  | { to: 'channel'; notice: Notice }
  | { to: 'dm'; userId: string; notice: Notice };

/** The approvals channel, as a delivery target (DMs are targeted by user id). */
// Stryker disable next-line StringLiteral: any text that is no Slack user id serves as the channel's target
export const CHANNEL_TARGET = '#approvals';

/** Where a delivery goes, for per-target back-off: a user's DM or the approvals channel. */
export function deliveryTarget(delivery: Delivery): string {
  return delivery.to === 'dm' ? delivery.userId : CHANNEL_TARGET;
}

/** A short name for logs and the audit trail. */
export function describeDelivery(delivery: Delivery): string {
  switch (delivery.to) {
    case 'post':
    case 'update':
      return `${delivery.to} request message`;
    default:
      return `${delivery.to} ${delivery.notice.kind}`;
  }
}
