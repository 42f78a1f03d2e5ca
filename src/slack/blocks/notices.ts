/** How each workflow notice reads in Slack. Pure. */
import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../domain/durations.js';
import {
  type BreakglassRequest,
  extensionFits,
  longestWindowSeconds,
  TASK_LABELS,
} from '../../domain/request.js';
import { recordFacts, stateWording, windowText } from '../../domain/state-wording.js';
import type { Notice } from '../../workflow/ports.js';
import { ACTIONS } from '../ids.js';
import { clipMrkdwn, mention, mentionAll, SLACK_FORMAT, safeMrkdwn, slackTime } from '../text.js';
import { extensionAskButtons, extensionValue, grantControlsId } from './extension.js';
import { mrkdwnSection } from './kit.js';

export interface NoticeContext {
  approverIds: readonly string[];
  durationsSeconds: readonly number[];
  pendingTtlSeconds: number;
}

export interface Rendered {
  text: string;
  blocks?: KnownBlock[];
}

const SIGN_IN_URL = 'https://signin.aws.amazon.com/console';

export function renderNotice(notice: Notice, ctx: NoticeContext): Rendered {
  const r = notice.request;
  const account = `${safeMrkdwn(r.accountName, 200)} (\`${safeMrkdwn(r.accountId, 50)}\`)`;
  // A routed request calls on its rule's approvers.
  const approvers = clipMrkdwn(mentionAll(r.route?.approvers ?? ctx.approverIds), 1000);
  switch (notice.kind) {
    case 'granted': {
      const email = notice.rootEmail
        ? `\`${safeMrkdwn(notice.rootEmail, 300)}\``
        : "the account's root email (see AWS Organizations)";
      const text =
        `:unlock: Root password recovery is enabled for ${account} for ${windowText(r)}, until ${slackTime(r.windowEndsAt ?? 0)} (${r.id}).\n` +
        `1. Open ${SIGN_IN_URL}, choose *Root user* and enter ${email}.\n` +
        '2. Choose *Forgot password?* and follow the email to set a password (allow 5-10 minutes; check spam).\n' +
        '3. Do the work you asked for.\n' +
        '4. When you are done, press *Done, clean up now* below (also in the App Home, or `/breakglass cancel ' +
        r.id +
        '`). At the end of the window the bot deletes the root password, access keys, signing certificates and MFA devices, and verifies.';
      // The controls carry the grant DM's block id: a click on them keeps these instructions.
      return {
        text,
        blocks: [
          mrkdwnSection(text),
          { ...windowControls(r, ctx.durationsSeconds), block_id: grantControlsId(r.id) },
        ],
      };
    }
    case 'executed': {
      // The state first (a task that ran and failed says failed, not a green check), then what it did.
      const { icon, headline } = stateWording(r, SLACK_FORMAT);
      const did = r.outcome?.ok ? ` ${safeMrkdwn(r.outcome.summary, 2000)}` : '';
      return { text: clipMrkdwn(`${icon} ${r.id}: ${headline}${did}`, 3000) };
    }
    case 'execution-failed': {
      // The state's own words (failed first, then what cleanup does), then what to do.
      const { icon, headline } = stateWording(r, SLACK_FORMAT);
      return {
        text: clipMrkdwn(
          `${icon} ${TASK_LABELS[r.task]} on ${account} failed (${r.id}). ${headline}\n` +
            `*What to do:* ${safeMrkdwn(notice.remediation, 1000)}`,
          3000,
        ),
      };
    }
    case 'reminder':
      return {
        text: `:alarm_clock: Your root window on ${account} ends ${slackTime(r.windowEndsAt ?? 0)} (${r.id}).`,
        blocks: reminderBlocks(notice, ctx, account),
      };
    case 'nudge': {
      const expireAt = r.createdAt + ctx.pendingTtlSeconds * 1000;
      const { headline } = stateWording(r, SLACK_FORMAT);
      return {
        text: `${approvers} ${r.id}: ${sentence(headline)} It expires ${slackTime(expireAt)}.`,
      };
    }
    case 'denied':
    case 'cancelled': {
      const { icon, headline } = stateWording(r, SLACK_FORMAT);
      return { text: `${icon} Your request ${r.id} (${account}): ${headline}` };
    }
    case 'expired': {
      const { icon, headline } = stateWording(r, SLACK_FORMAT);
      return {
        text: `${icon} Your request ${r.id} (${account}): ${headline} Ask again with \`/breakglass\` if you still need it.`,
      };
    }
    case 'extension-requested': {
      const value = extensionValue(r);
      const text = `${mention(r.requesterId)} asks for ${formatDuration(value?.seconds ?? 0)} more on ${account} (${r.id}). One approver (not the requester) can approve or decline. ${approvers}`;
      return { text, blocks: [mrkdwnSection(text), ...(value ? [extensionAskButtons(value)] : [])] };
    }
    case 'extended':
      return {
        text: `:hourglass: ${mention(notice.approverId)} extended the window on ${account} (${r.id}); it is now ${windowText(r)} and ends ${slackTime(r.windowEndsAt ?? 0)}.`,
      };
    case 'extension-declined': {
      const text = `:no_entry: ${mention(notice.userId)} declined ${formatDuration(notice.seconds)} more on ${account} (${r.id}): ${safeMrkdwn(notice.reason, 1000)}. The window still ends ${slackTime(r.windowEndsAt ?? 0)}.`;
      return withControls(text, notice.offerControls, r, ctx);
    }
    case 'extension-withdrawn': {
      const text = `:leftwards_arrow_with_hook: ${mention(r.requesterId)} withdrew the ask for ${formatDuration(notice.seconds)} more on ${account} (${r.id}). The window still ends ${slackTime(r.windowEndsAt ?? 0)}.`;
      return withControls(text, notice.offerControls, r, ctx);
    }
    case 'approvals-cleared':
      return {
        text: `:warning: What ${r.id} shows approvers changed (the account's current state was read again), so the approvals of ${clipMrkdwn(mentionAll(notice.cleared), 1000)} no longer count. Look at the request message again and approve what it shows now.`,
      };
    case 'cleanup-verified': {
      const { icon, headline } = stateWording(r, SLACK_FORMAT);
      const facts = recordFacts(r, SLACK_FORMAT).join('\n');
      const text = `${icon} ${r.id} on ${account}: ${headline}`;
      return {
        text: clipMrkdwn(text, 2900),
        blocks: [
          mrkdwnSection(text),
          { type: 'context', elements: [{ type: 'mrkdwn', text: clipMrkdwn(facts, 2900) }] },
        ],
      };
    }
    case 'cleanup-failed':
      return {
        text: notice.alert
          ? `:rotating_light: ${approvers} cleanup of root credentials on ${account} (${r.id}) keeps failing after ${r.cleanup?.failures ?? 0} attempts: ${safeMrkdwn(notice.error, 800)}. The bot keeps retrying; check the bot's permissions with \`breakglass doctor\` or remove the credentials by hand.`
          : `:warning: Cleanup attempt failed: ${safeMrkdwn(notice.error, 800)}. Retrying with backoff.`,
      };
    case 'not-delivered':
      return {
        text: `:warning: Slack refused to deliver ${safeMrkdwn(notice.what, 200)} for ${r.id} (${account}): \`${safeMrkdwn(notice.error, 200)}\`. ${deliveryRemedy(notice.error)}`,
      };
  }
}

/** A headline as a sentence: it ends in a full stop (or an ellipsis) either way. */
function sentence(text: string): string {
  return /[.…]$/.test(text) ? text : `${text}.`;
}

/** What a person can do about a Slack error that retrying cannot fix. */
export function deliveryRemedy(error: string): string {
  switch (error) {
    case 'not_in_channel':
      return 'Invite the bot to the approvals channel (`/invite @breakglass`) and request again.';
    case 'channel_not_found':
    case 'is_archived':
      return 'Set BREAKGLASS_CHANNEL_ID to an existing, unarchived channel and restart the bot.';
    case 'missing_scope':
      return 'Reinstall the app from its manifest so that it has the scopes the bot needs.';
    case 'invalid_auth':
    case 'token_revoked':
    case 'account_inactive':
      return 'Replace SLACK_BOT_TOKEN with a valid bot token and restart the bot.';
    default:
      return 'Report this to whoever runs the bot; the details are in its log.';
  }
}

/** A notice for the requester that offers Done and Extend again, while the window is open. */
function withControls(
  text: string,
  offer: boolean | undefined,
  r: BreakglassRequest,
  ctx: NoticeContext,
): Rendered {
  if (!offer || r.state !== 'active') return { text };
  return { text, blocks: [mrkdwnSection(text), windowControls(r, ctx.durationsSeconds)] };
}

function reminderBlocks(notice: Notice, ctx: NoticeContext, account: string): KnownBlock[] {
  const r = notice.request;
  const more = extensionOffer(r, ctx.durationsSeconds);
  return [
    mrkdwnSection(
      `:alarm_clock: Your root window on ${account} (${windowText(r)}) ends ${slackTime(r.windowEndsAt ?? 0)}. Finished? Clean up now. ${more.text}`,
    ),
    windowControls(r, ctx.durationsSeconds),
  ];
}

/** The extensions the rules would accept now, and a sentence that says so (or why there are none). */
function extensionOffer(
  r: BreakglassRequest,
  configured: readonly number[],
): { seconds: number[]; text: string } {
  // A routed request extends within its rule's durations.
  const durationsSeconds = r.route?.durationsSeconds ?? configured;
  if (r.extensionRequest)
    return {
      seconds: [],
      text: `Your ask for ${formatDuration(r.extensionRequest.seconds)} more is waiting for an approver.`,
    };
  const max = longestWindowSeconds(durationsSeconds);
  const seconds = durationsSeconds.filter((s) => extensionFits(r, s, max));
  return seconds.length
    ? { seconds, text: 'Need more time? Ask for an extension (one approver).' }
    : {
        seconds,
        text: `The window cannot be extended: it is already as long as allowed (${formatDuration(max)} at most).`,
      };
}

/** Done, and Extend with only the durations the extension rule would accept now. */
function windowControls(r: BreakglassRequest, durationsSeconds: readonly number[]): KnownBlock {
  const options = extensionOffer(r, durationsSeconds).seconds.map((s) => ({
    text: { type: 'plain_text' as const, text: `${formatDuration(s)} more` },
    value: `${r.id}|${s}`,
  }));
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTIONS.done,
        style: 'primary',
        text: { type: 'plain_text', text: 'Done, clean up now' },
        value: r.id,
      },
      ...(options.length
        ? [
            {
              type: 'static_select' as const,
              action_id: ACTIONS.extend,
              placeholder: { type: 'plain_text' as const, text: 'Extend' },
              options,
            },
          ]
        : []),
    ],
  };
}
