/** The request message in the approvals channel, re-rendered in place as the request changes. Pure. */
import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../domain/durations.js';
import {
  type BreakglassRequest,
  opensWindow,
  REQUIRED_APPROVALS,
  TASK_LABELS,
} from '../../domain/request.js';
import { ACTIONS } from '../ids.js';
import { clip, escapeMrkdwn, mention, slackTime } from '../text.js';

export interface ApproveValue {
  id: string;
  /** content hash of what the approver saw */
  h: string;
}

export function requestSummary(r: BreakglassRequest): string {
  return `${r.id}: ${TASK_LABELS[r.task]} on ${escapeMrkdwn(r.accountName)} (${r.accountId}) for ${mention(r.requesterId)}`;
}

export function requestText(r: BreakglassRequest): string {
  return `Break-glass request ${requestSummary(r)}: ${statusLine(r)}`;
}

export function statusLine(r: BreakglassRequest): string {
  const approvers = r.approvals.map((a) => mention(a.userId)).join(', ');
  switch (r.state) {
    case 'pending':
      if (r.preview?.status === 'loading')
        return ':hourglass_flowing_sand: Loading the current state of the account…';
      return `:hourglass_flowing_sand: Waiting for approval: ${r.approvals.length}/${REQUIRED_APPROVALS} approvals${approvers ? ` (${approvers})` : ''}`;
    case 'executing':
      return `:gear: Approved by ${approvers}; running the task…`;
    case 'active':
      return `:unlock: Root access granted; the window ends ${slackTime(r.windowEndsAt ?? 0)}. Approved by ${approvers}.`;
    case 'cleaning':
      return r.cleanup?.failures
        ? `:warning: Cleaning up: ${r.cleanup.failures} failed attempt(s), retrying. Last error: ${escapeMrkdwn(clip(r.cleanup.lastError ?? '', 300))}`
        : ':broom: Cleaning up: deleting root credentials and verifying…';
    case 'closed':
      return `:lock: Window closed; cleanup verified ${slackTime(r.cleanup?.verifiedAt ?? 0)}.`;
    case 'completed':
      return `:white_check_mark: Done. Approved by ${approvers}.`;
    case 'failed':
      return `:x: Failed: ${escapeMrkdwn(clip(r.outcome?.summary ?? 'unknown error', 500))}`;
    case 'denied':
      return `:no_entry: Denied by ${mention(r.denial?.userId ?? '')}: ${escapeMrkdwn(r.denial?.reason ?? '')}`;
    case 'expired':
      return ':zzz: Expired without enough approvals.';
    case 'cancelled':
      return ':heavy_multiplication_x: Cancelled.';
  }
}

export function requestBlocks(r: BreakglassRequest): KnownBlock[] {
  const fields = [
    `*Requester*\n${mention(r.requesterId)}`,
    `*Account*\n${escapeMrkdwn(r.accountName)} (\`${r.accountId}\`)`,
    `*Task*\n${TASK_LABELS[r.task]}`,
  ];
  if (opensWindow(r.task)) fields.push(`*Duration*\n${formatDuration(r.durationSeconds)}`);
  if (r.target)
    fields.push(`*${r.task === 'unlock-s3' ? 'Bucket' : 'Queue'}*\n\`${escapeMrkdwn(r.target)}\``);
  if (r.link) fields.push(`*Incident / ticket*\n${escapeMrkdwn(r.link)}`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Break-glass request ${r.id}` } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*Justification*\n${escapeMrkdwn(clip(r.justification, 2800))}` },
    },
  ];
  blocks.push(...previewBlocks(r));
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: statusLine(r) } });
  if (r.outcome && r.state !== 'failed') {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: escapeMrkdwn(clip(r.outcome.summary, 1900)) }],
    });
  }
  if (r.state === 'pending' && r.preview?.status !== 'loading') {
    const value: ApproveValue = { id: r.id, h: r.contentHash };
    blocks.push({
      type: 'actions',
      block_id: `decide:${r.id}`,
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.approve,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: JSON.stringify(value),
        },
        {
          type: 'button',
          action_id: ACTIONS.deny,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: r.id,
        },
      ],
    });
  }
  return blocks;
}

function previewBlocks(r: BreakglassRequest): KnownBlock[] {
  const p = r.preview;
  if (!p || p.status === 'loading') return [];
  if (p.status === 'failed') {
    return [
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `:warning: Could not read the account's current state: ${escapeMrkdwn(clip(p.error ?? '', 500))}`,
          },
        ],
      },
    ];
  }
  const blocks: KnownBlock[] = [
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `*Root credentials now:* ${escapeMrkdwn(p.rootCredentials ?? 'unknown')}` },
      ],
    },
  ];
  if (r.task === 'unlock-s3' || r.task === 'unlock-sqs') {
    const text =
      p.policy === null || p.policy === undefined
        ? '*Policy to remove:* none (nothing will change)'
        : `*Policy that will be removed:*\n\`\`\`${escapeMrkdwn(clip(p.policy, 2500))}\`\`\``;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
  }
  return blocks;
}
