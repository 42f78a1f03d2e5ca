/**
 * What happens when Slack refuses a notice for good (not_in_channel,
 * invalid_blocks, …): a pending request whose message cannot be posted or
 * updated is cancelled, never left to expire unseen, and a person is told another way:
 * the requester by DM when the channel failed, the request's thread when the
 * DM failed.
 * A notice about a failed notice is not escalated again.
 */
import { type Delivery, describeDelivery, type Notice } from '../domain/notice.js';
import type { OutboxItem } from '../store/store.js';
import type { WorkflowCore } from './core.js';
import type { DeliveryError } from './delivery-error.js';
import { Hardenings, isHardeningListFile } from './hardening.js';

const ACTOR = 'outbox';

export async function handleUndeliverable(
  core: WorkflowCore,
  item: OutboxItem,
  error: DeliveryError,
): Promise<void> {
  const what = describeDelivery(item.delivery);
  await core.audit(item.requestId, ACTOR, 'notice undeliverable', { what, slackError: error.code });
  const d = item.delivery;
  if ('notice' in d && d.notice.kind === 'not-delivered') return;

  if (d.to === 'harden-post' || d.to === 'harden-update' || isHardeningListFile(d)) {
    // Approvers can only approve what they see: cancelled while pending (logged at error by the
    // worker), and its requester told by DM.
    await new Hardenings(core).notShown(item.requestId, error.code);
    return;
  }
  if (d.to === 'harden-summary') {
    const stored = await core.deps.store.getHardening(item.requestId);
    if (stored)
      await core.deps.store.enqueue(item.requestId, [
        { to: 'harden-dm', userId: stored.hardening.requesterId, slackError: error.code },
      ]);
    return;
  }
  // A refused DM about a refused message: audited above, not escalated again.
  if (d.to === 'harden-dm') return;

  if (d.to === 'post' || d.to === 'update') {
    // Approvers can only approve what the message shows: a pending request whose
    // message cannot be posted or brought up to date is cancelled, never left to expire.
    const cancelled = await core.mutate(item.requestId, (cur) => {
      if (cur.state !== 'pending') return { unchanged: false };
      const verb = d.to === 'post' ? 'post it to' : 'update its message in';
      const next = {
        ...cur,
        state: 'cancelled' as const,
        cancelReason: `Slack refused to ${verb} the approvals channel (${error.code})`,
      };
      return {
        next,
        effects: {
          cancel: ['preview' as const, 'nudge' as const, 'expire' as const],
          notify: [
            fallback(next.requesterId, { kind: 'not-delivered', request: next, what, error: error.code }),
          ],
        },
        value: true,
      };
    });
    if (cancelled.ok && cancelled.value) await core.audit(item.requestId, ACTOR, 'cancelled: not shown');
    // Past pending, a refused update is logged and audited only: it recurs with every state
    // change, and the thread and the requester's DMs carry each state on their own.
    return;
  }

  const stored = await core.deps.store.getRequest(item.requestId);
  if (!stored) return;
  const notice: Notice = { kind: 'not-delivered', request: stored.request, what, error: error.code };
  await core.notify(item.requestId, [
    d.to === 'dm' ? { to: 'thread', notice } : fallback(stored.request.requesterId, notice),
  ]);
}

function fallback(userId: string, notice: Notice): Delivery {
  return { to: 'dm', userId, notice };
}
