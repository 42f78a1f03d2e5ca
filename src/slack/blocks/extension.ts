/**
 * Extension asks in Slack: the buttons that bind a click to one ask, the decline
 * modal, and the texts that replace a message whose buttons no longer apply. Pure.
 */
import type { KnownBlock, ModalView } from '@slack/types';
import { formatDuration } from '../../domain/durations.js';
import type { BreakglassRequest, ExtensionClick } from '../../domain/request.js';
import { ACTIONS, DECLINE_EXTENSION_BLOCK, DECLINE_EXTENSION_INPUT, VIEWS } from '../ids.js';
import { mention, safeMrkdwn, slackTime } from '../text.js';
import { actions, button, mrkdwnSection } from './kit.js';

/** What an extension button carries (JSON): the request and exactly the ask it was rendered for. */
export interface ExtensionValue extends ExtensionClick {
  id: string;
}

/** What Slack shows: a notification text and, where there is more, blocks. */
export interface Replacement {
  text: string;
  blocks: KnownBlock[];
}

/** The button value of the request's pending ask; undefined when none is pending. */
export function extensionValue(r: BreakglassRequest): ExtensionValue | undefined {
  const ask = r.extensionRequest;
  return ask ? { id: r.id, seconds: ask.seconds, nonce: ask.nonce } : undefined;
}

/** A button value back from Slack, checked; undefined if it is not one we render. */
export function parseExtensionValue(value: string | undefined): ExtensionValue | undefined {
  try {
    const v = JSON.parse(value ?? '') as Partial<ExtensionValue>;
    if (typeof v.id === 'string' && typeof v.nonce === 'string' && Number.isInteger(v.seconds))
      return { id: v.id, seconds: Number(v.seconds), nonce: v.nonce };
  } catch {
    // not JSON: an old button (it carried the bare request id) or not ours
  }
  return undefined;
}

/** Approve and Decline, for the approvers, on the ask in the request's thread. */
export function extensionAskButtons(value: ExtensionValue): KnownBlock {
  const json = JSON.stringify(value);
  return actions([
    button({
      actionId: ACTIONS.approveExtension,
      style: 'primary',
      text: `Approve ${formatDuration(value.seconds)} more`,
      value: json,
    }),
    button({ actionId: ACTIONS.declineExtension, style: 'danger', text: 'Decline', value: json }),
  ]);
}

function account(r: BreakglassRequest): string {
  return `${safeMrkdwn(r.accountName, 200)} (\`${safeMrkdwn(r.accountId, 50)}\`)`;
}

function plainMessage(text: string): Replacement {
  return { text, blocks: [mrkdwnSection(text)] };
}

/** Replaces the reminder after Done. */
export function finishedReplacement(r: BreakglassRequest, reply: string): Replacement {
  return plainMessage(`:broom: ${r.id} on ${account(r)}: ${safeMrkdwn(reply, 500)}`);
}

/** The block id of the grant DM's controls (Done, Extend): a click there keeps the DM's sign-in steps. */
export function grantControlsId(requestId: string): string {
  return `grant:${requestId}`;
}

/** The block id of the "you asked for more" line inside the grant DM. */
function grantAskId(requestId: string): string {
  return `grant-ask:${requestId}`;
}

function askedText(r: BreakglassRequest): string {
  const seconds = formatDuration(extensionValue(r)?.seconds ?? 0);
  return `:hourglass_flowing_sand: You asked the approvers for ${seconds} more on ${account(r)} (${r.id}). You will hear here when one decides.`;
}

/**
 * The grant DM after Extend: its sign-in steps stay as they were (the requester
 * still needs them); only its controls become the ask, with Done and Withdraw.
 */
export function askedInGrant(original: Replacement, r: BreakglassRequest): Replacement {
  const value = extensionValue(r);
  const kept = original.blocks.filter(
    (b) => b.block_id !== grantControlsId(r.id) && b.block_id !== grantAskId(r.id),
  );
  return {
    text: original.text || askedText(r),
    blocks: [
      ...kept,
      { ...mrkdwnSection(askedText(r)), block_id: grantAskId(r.id) },
      actions(
        [
          button({ actionId: ACTIONS.done, style: 'primary', text: 'Done, clean up now', value: r.id }),
          ...(value
            ? [
                button({
                  actionId: ACTIONS.withdrawExtension,
                  text: 'Withdraw the ask',
                  value: JSON.stringify(value),
                }),
              ]
            : []),
        ],
        grantControlsId(r.id),
      ),
    ],
  };
}

/** The grant DM after the ask was withdrawn from it: the sign-in steps stay, with Done. */
export function withdrawnInGrant(original: Replacement, r: BreakglassRequest, seconds: number): Replacement {
  const kept = original.blocks.filter(
    (b) => b.block_id !== grantControlsId(r.id) && b.block_id !== grantAskId(r.id),
  );
  return {
    text: original.text || withdrawnText(r, seconds),
    blocks: [
      ...kept,
      { ...mrkdwnSection(withdrawnText(r, seconds)), block_id: grantAskId(r.id) },
      actions(
        [button({ actionId: ACTIONS.done, style: 'primary', text: 'Done, clean up now', value: r.id })],
        grantControlsId(r.id),
      ),
    ],
  };
}

/** Replaces the reminder after Extend: the ask is waiting, and the requester can withdraw it. */
export function askedReplacement(r: BreakglassRequest): Replacement {
  const value = extensionValue(r);
  const text = askedText(r);
  if (!value) return plainMessage(text);
  return {
    text,
    blocks: [
      mrkdwnSection(text),
      actions([
        button({
          actionId: ACTIONS.withdrawExtension,
          text: 'Withdraw the ask',
          value: JSON.stringify(value),
        }),
      ]),
    ],
  };
}

/** Replaces the ask in the thread once an approver approved it. */
export function approvedReplacement(r: BreakglassRequest, approverId: string, seconds: number): Replacement {
  return plainMessage(
    `:white_check_mark: ${mention(approverId)} approved ${formatDuration(seconds)} more for ${mention(r.requesterId)} on ${account(r)} (${r.id}); the window now ends ${slackTime(r.windowEndsAt ?? 0)}.`,
  );
}

/** Replaces the ask in the thread once an approver declined it. */
export function declinedReplacement(
  r: BreakglassRequest,
  approverId: string,
  seconds: number,
  reason: string,
): Replacement {
  return plainMessage(
    `:no_entry: ${mention(approverId)} declined ${formatDuration(seconds)} more for ${mention(r.requesterId)} on ${account(r)} (${r.id}): ${safeMrkdwn(reason, 500)}`,
  );
}

/** Replaces the requester's "asked" message once they withdrew the ask. */
export function withdrawnReplacement(r: BreakglassRequest, seconds: number): Replacement {
  return plainMessage(withdrawnText(r, seconds));
}

function withdrawnText(r: BreakglassRequest, seconds: number): string {
  return `:leftwards_arrow_with_hook: You withdrew your ask for ${formatDuration(seconds)} more on ${account(r)} (${r.id}).`;
}

/** What the decline modal carries: the ask, and where to replace the ask's message afterwards. */
export interface DeclineMetadata extends ExtensionValue {
  responseUrl: string;
  /** when Decline was clicked, epoch ms: the response_url lapses 30 minutes after */
  clickedAt?: number;
}

export function parseDeclineMetadata(metadata: string): DeclineMetadata | undefined {
  const value = parseExtensionValue(metadata);
  if (!value) return undefined;
  const { responseUrl, clickedAt } = JSON.parse(metadata) as { responseUrl?: unknown; clickedAt?: unknown };
  if (typeof responseUrl !== 'string') return undefined;
  return { ...value, responseUrl, ...(typeof clickedAt === 'number' ? { clickedAt } : {}) };
}

/** The reason for declining an extension, as the deny modal asks for a denial's reason. */
export function declineExtensionModal(metadata: DeclineMetadata): ModalView {
  const plain = (text: string) => ({ type: 'plain_text' as const, text });
  return {
    type: 'modal',
    callback_id: VIEWS.declineExtension,
    private_metadata: JSON.stringify(metadata),
    title: plain('Decline extension'),
    submit: plain('Decline'),
    close: plain('Back'),
    blocks: [
      mrkdwnSection(
        `Decline ${formatDuration(metadata.seconds)} more for *${safeMrkdwn(metadata.id, 100)}*. The requester sees your reason.`,
      ),
      {
        type: 'input',
        block_id: DECLINE_EXTENSION_BLOCK,
        label: plain('Reason'),
        element: {
          type: 'plain_text_input',
          action_id: DECLINE_EXTENSION_INPUT,
          multiline: true,
          max_length: 500,
        },
      },
    ],
  };
}
