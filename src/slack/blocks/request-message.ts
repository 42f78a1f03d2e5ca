/** The request message in the approvals channel, re-rendered in place as the request changes. Pure. */
import type { KnownBlock } from '@slack/types';
import { describeRoute } from '../../domain/policy.js';
import { type BreakglassRequest, opensWindow, TASK_LABELS } from '../../domain/request.js';
import {
  approvalConfirmation,
  consequences,
  credentialsHeading,
  noPolicyText,
  policyHeading,
  recordFacts,
  windowText,
  statusLine as wordedStatus,
} from '../../domain/state-wording.js';
import { ACTIONS } from '../ids.js';
import {
  clipMrkdwn,
  displayedLength,
  escapeMrkdwn,
  mention,
  mentionAll,
  mrkdwnLink,
  SLACK_FORMAT,
  safeMrkdwn,
  splitMrkdwn,
} from '../text.js';
import {
  actions,
  button,
  context,
  fieldsSection,
  header,
  LIMITS,
  mrkdwnSection,
  plainSection,
  textLength,
} from './kit.js';

export interface ApproveValue {
  id: string;
  /** content hash of what the approver saw */
  h: string;
}

/** What the request message needs beyond the request: who to call on. */
export interface RequestMessageContext {
  approverIds: readonly string[];
}

/**
 * Inline policy budget. Slack's documented limit is 50 blocks, but messages
 * with many long blocks are reported to fail with `msg_blocks_too_long` at
 * about 13k characters, once at 11,341 (slackapi/bolt-js#2867; undocumented):
 * the policy gets at most 3 blocks and what is left of a 10k-character budget;
 * the rest is one click away in a modal.
 */
const POLICY_INLINE_BLOCKS = 3;
const MESSAGE_TEXT_BUDGET = 10_000;
/** A piece of policy or justification inside one section, with room for its heading and ``` fences. */
const PIECE = 2900;
/** Mentions of configured approvers (user and group ids) are kept to one readable line. */
const MENTIONS_MAX = 1000;
/** Room for the note beside the "View full policy" button. */
const NOTE_ROOM = 200;

export function requestSummary(r: BreakglassRequest): string {
  return `${r.id}: ${TASK_LABELS[r.task]} on ${safeMrkdwn(r.accountName, 200)} (${safeMrkdwn(r.accountId, 50)}) for ${mention(r.requesterId)}`;
}

/** The message's notification text: approvers are called on while it waits for them. */
export function requestText(r: BreakglassRequest, ctx?: RequestMessageContext): string {
  return `Break-glass request ${requestSummary(r)}: ${statusLine(r)}${callApprovers(r, ctx, ' ')}`;
}

/** The message text and blocks, as chat.postMessage and chat.update take them. */
export function requestMessage(
  r: BreakglassRequest,
  ctx: RequestMessageContext,
): { text: string; blocks: KnownBlock[] } {
  return { text: requestText(r, ctx), blocks: requestBlocks(r, ctx) };
}

function callApprovers(r: BreakglassRequest, ctx: RequestMessageContext | undefined, sep: string): string {
  // A routed request calls on its rule's approvers.
  const ids = r.route?.approvers ?? ctx?.approverIds;
  if (r.state !== 'pending' || !ids?.length) return '';
  return `${sep}${clipMrkdwn(`Approvers: ${mentionAll(ids)}`, MENTIONS_MAX)}`;
}

/** The state line every Slack surface shows, from the shared wording (src/domain/state-wording.ts). */
export function statusLine(r: BreakglassRequest): string {
  return wordedStatus(r, SLACK_FORMAT);
}

/** The request's record (who requested, approved, what was granted, removed, verified), one fact a line. */
export function recordLines(r: BreakglassRequest): string {
  return recordFacts(r, SLACK_FORMAT).join('\n');
}

/**
 * The request message. Every piece of user or AWS text is escaped and fits its
 * field for any input the modal accepts, the justification is shown whole, and
 * the message stays within 50 blocks: a policy too long to show inline is
 * shown in part with a "View full policy" button.
 */
export function requestBlocks(r: BreakglassRequest, ctx?: RequestMessageContext): KnownBlock[] {
  const fields = [
    `*Requester*\n${mention(r.requesterId)}`,
    `*Account*\n${safeMrkdwn(r.accountName, 500)} (\`${safeMrkdwn(r.accountId, 50)}\`)`,
    `*Task*\n${TASK_LABELS[r.task]}`,
  ];
  if (opensWindow(r.task)) fields.push(`*Duration*\n${windowText(r)}`);
  if (r.target)
    fields.push(`*${r.task === 'unlock-s3' ? 'Bucket' : 'Queue'}*\n\`${safeMrkdwn(r.target, 1900)}\``);
  const link = r.link ? linkField(r.link) : undefined;
  if (typeof link === 'string') fields.push(link);

  const before: KnownBlock[] = [
    header(`Break-glass request ${r.id}`),
    fieldsSection(fields),
    ...(r.route ? [context(safeMrkdwn(describeRoute(r.route), 300))] : []),
    ...(Array.isArray(link) ? link : []),
    ...justificationBlocks(r.justification),
    ...previewContext(r),
    ...consequenceBlocks(r),
  ];
  const after: KnownBlock[] = [mrkdwnSection(`${statusLine(r)}${callApprovers(r, ctx, '\n')}`)];
  if (r.state !== 'pending') after.push(context(recordLines(r)));
  if (r.state === 'pending' && r.preview?.status !== 'loading') after.push(decisionButtons(r));
  const policy = policyBlocks(r, {
    blocks: LIMITS.messageBlocks - before.length - after.length,
    characters: MESSAGE_TEXT_BUDGET - textLength([...before, ...after]),
  });
  return [...before, ...policy, ...after];
}

/**
 * Approve (with its confirmation) only once approvers can see what they approve:
 * while the account's state could not be read, only Deny (and Read again, beside
 * the failure). Password recovery: Show root mailbox, for approvers only.
 */
function decisionButtons(r: BreakglassRequest): KnownBlock {
  const value: ApproveValue = { id: r.id, h: r.contentHash };
  const readable = r.preview?.status !== 'failed';
  return actions(
    [
      ...(readable
        ? [
            button({
              actionId: ACTIONS.approve,
              style: 'primary',
              text: 'Approve',
              value: JSON.stringify(value),
              confirm: { ...approvalConfirmation(r), confirm: 'Approve', deny: 'Not yet', style: 'primary' },
            }),
          ]
        : []),
      button({ actionId: ACTIONS.deny, style: 'danger', text: 'Deny', value: r.id }),
      ...(r.task === 'password-recovery' && readable
        ? [button({ actionId: ACTIONS.showMailbox, text: 'Show root mailbox', value: r.id })]
        : []),
    ],
    `decide:${r.id}`,
  );
}

/**
 * The incident link as a field, `<url|label>`; a link whose Slack form is too
 * long for a field (only a URL full of `&`) is shown whole as plain text instead.
 */
function linkField(link: string): string | KnownBlock[] {
  const field = `*Incident / ticket*\n${mrkdwnLink(link)}`;
  if (field.length <= LIMITS.fieldText) return field;
  return [mrkdwnSection('*Incident / ticket* (too long for a Slack link)'), plainSection(link)];
}

/**
 * The justification as typed, in a plain_text section: nothing in it is
 * interpreted (mentions, links, emphasis) and escaping cannot lengthen it, so
 * the longest one the modal accepts (2,000 characters) is one block.
 */
function justificationBlocks(justification: string): KnownBlock[] {
  return [mrkdwnSection('*Justification*'), plainSection(justification)];
}

function previewContext(r: BreakglassRequest): KnownBlock[] {
  const p = r.preview;
  if (!p || p.status === 'loading') return [];
  if (p.status === 'failed') {
    const text = `:warning: Could not read the account's current state: ${safeMrkdwn(p.error ?? '', 500)}`;
    // While it waits for a decision, it can be read again; Approve stays hidden until it is.
    return r.state === 'pending'
      ? [mrkdwnSection(text, button({ actionId: ACTIONS.readAgain, text: 'Read again', value: r.id }))]
      : [context(text)];
  }
  return [context(`*${credentialsHeading(r)}:* ${safeMrkdwn(p.rootCredentials ?? 'unknown', 500)}`)];
}

/** What approving means (who can sign in, for how long, what is deleted), while it is still to decide. */
function consequenceBlocks(r: BreakglassRequest): KnownBlock[] {
  if (r.state !== 'pending' || r.preview?.status === 'loading') return [];
  return [mrkdwnSection(consequences(r, SLACK_FORMAT).join('\n'))];
}

function policyBlocks(r: BreakglassRequest, room: { blocks: number; characters: number }): KnownBlock[] {
  if (r.task !== 'unlock-s3' && r.task !== 'unlock-sqs') return [];
  const p = r.preview;
  if (p?.status !== 'ready') return [];
  if (p.policy === null || p.policy === undefined) {
    const [label, rest] = noPolicyText(r).split(': ');
    return [mrkdwnSection(`*${label}:* ${rest}`)];
  }
  const label = policyHeading(r);
  if (p.policy === '') return [mrkdwnSection(`*${label}:* (empty)`)];
  const pieces = splitMrkdwn(escapeMrkdwn(p.policy), PIECE);
  const heading = `*${label}:*\n`;
  const characters = (n: number) =>
    pieces.slice(0, n).reduce((sum, piece) => sum + piece.length + 6, heading.length);
  const shown = (n: number) =>
    pieces.slice(0, n).map((piece, i) => mrkdwnSection(`${i === 0 ? heading : ''}\`\`\`${piece}\`\`\``));
  if (
    pieces.length <= Math.min(POLICY_INLINE_BLOCKS, room.blocks) &&
    characters(pieces.length) <= room.characters
  )
    return shown(pieces.length);
  // The beginning inline (as much as fits beside the button), the whole policy in a modal.
  let n = Math.max(0, Math.min(pieces.length - 1, POLICY_INLINE_BLOCKS, room.blocks - 1));
  while (n > 0 && characters(n) + NOTE_ROOM > room.characters) n -= 1;
  const total = p.policy.length;
  const seen = pieces.slice(0, n).reduce((sum, piece) => sum + displayedLength(piece), 0);
  const see = r.state === 'pending' ? 'See all of it before you approve:' : 'See all of it:';
  const note =
    n > 0
      ? `The policy is ${total} characters long; the first ${seen} are shown above. ${see}`
      : `*${label}:* ${total} characters, too long to show here. ${see}`;
  return [
    ...shown(n),
    mrkdwnSection(note, button({ actionId: ACTIONS.viewPolicy, text: 'View full policy', value: r.id })),
  ];
}
