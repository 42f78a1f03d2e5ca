/** The request modal (it adapts to the chosen task) and the deny-reason modal. Pure. */
import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { formatDuration } from '../../domain/durations.js';
import { MAX_INCIDENT_LINK } from '../../domain/incident-link.js';
import { type BreakglassRequest, TASK_KINDS, TASK_LABELS, type TaskKind } from '../../domain/request.js';
import { noPolicyText, policyHeading } from '../../domain/state-wording.js';
import { ACTIONS, DENY_BLOCK, DENY_INPUT, REQUEST_BLOCKS, REQUEST_INPUTS, VIEWS } from '../ids.js';
import { displayedLength, escapeMrkdwn, safeMrkdwn, splitMrkdwn } from '../text.js';
import { LIMITS, mrkdwnSection } from './kit.js';

const plain = (text: string) => ({ type: 'plain_text' as const, text });

function option(text: string, value: string): PlainTextOption {
  return { text: plain(text), value };
}

export function requestModal(options: {
  task?: TaskKind;
  /** the account chosen already (a drift alert's Clean up); its label as the typeahead shows it */
  account?: { id: string; name?: string };
  durationsSeconds: readonly number[];
  /** the tasks offered (default: all) */
  tasks?: readonly TaskKind[];
}): ModalView {
  const offered = options.tasks?.length ? options.tasks : TASK_KINDS;
  const task =
    options.task && offered.includes(options.task) ? options.task : (offered[0] ?? 'password-recovery');
  const taskOptions = offered.map((t) => option(TASK_LABELS[t], t));
  const durationOptions = options.durationsSeconds.map((s) => option(formatDuration(s), String(s)));
  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: REQUEST_BLOCKS.account,
      label: plain('Member account'),
      element: {
        type: 'external_select',
        action_id: ACTIONS.accountSelect,
        placeholder: plain('Type a name or account id'),
        min_query_length: 0,
        ...(options.account
          ? {
              initial_option: option(
                `${options.account.name ? `${options.account.name} ` : ''}(${options.account.id})`.slice(
                  0,
                  75,
                ),
                options.account.id,
              ),
            }
          : {}),
      },
    },
    {
      type: 'input',
      block_id: REQUEST_BLOCKS.task,
      label: plain('Task'),
      dispatch_action: true,
      element: {
        type: 'static_select',
        action_id: ACTIONS.taskSelect,
        options: taskOptions,
        initial_option: taskOptions[offered.indexOf(task)],
      },
    },
  ];
  if (task === 'password-recovery' && durationOptions.length) {
    blocks.push({
      type: 'input',
      block_id: REQUEST_BLOCKS.duration,
      label: plain('Duration of the root window'),
      element: {
        type: 'static_select',
        action_id: REQUEST_INPUTS.duration,
        options: durationOptions,
        initial_option: durationOptions[0],
      },
    });
  }
  if (task === 'unlock-s3' || task === 'unlock-sqs') {
    blocks.push({
      type: 'input',
      block_id: REQUEST_BLOCKS.target,
      label: plain(task === 'unlock-s3' ? 'Bucket name' : 'Queue URL'),
      element: {
        type: 'plain_text_input',
        action_id: REQUEST_INPUTS.target,
        placeholder: plain(
          task === 'unlock-s3'
            ? 'my-locked-bucket'
            : 'https://sqs.us-east-1.amazonaws.com/123456789012/my-queue',
        ),
      },
    });
  }
  blocks.push(
    {
      type: 'input',
      block_id: REQUEST_BLOCKS.justification,
      label: plain('Justification'),
      element: {
        type: 'plain_text_input',
        action_id: REQUEST_INPUTS.justification,
        multiline: true,
        max_length: 2000,
        placeholder: plain('What happened, and what will you do as root?'),
      },
    },
    {
      type: 'input',
      block_id: REQUEST_BLOCKS.link,
      optional: true,
      label: plain('Incident or ticket link'),
      hint: plain(`An http(s) link of at most ${MAX_INCIDENT_LINK.toLocaleString('en-US')} characters.`),
      element: { type: 'url_text_input', action_id: REQUEST_INPUTS.link },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Two approvers must approve. Root credentials are deleted and verified when the window ends.',
        },
      ],
    },
  );
  return {
    type: 'modal',
    callback_id: VIEWS.request,
    title: plain('Break-glass request'),
    submit: plain('Request'),
    close: plain('Cancel'),
    blocks,
  };
}

/** An approver denies; the requester, clicking the same button, withdraws their own request. */
export function denyModal(requestId: string, options: { withdraw?: boolean } = {}): ModalView {
  const id = safeMrkdwn(requestId, 100);
  return {
    type: 'modal',
    callback_id: VIEWS.deny,
    private_metadata: requestId.slice(0, LIMITS.privateMetadata),
    title: plain(options.withdraw ? 'Withdraw request' : 'Deny request'),
    submit: plain(options.withdraw ? 'Withdraw' : 'Deny'),
    close: plain('Back'),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: options.withdraw
            ? `Withdraw your break-glass request *${id}*. The approvers see your reason.`
            : `Deny break-glass request *${id}*. The requester sees your reason.`,
        },
      },
      {
        type: 'input',
        block_id: DENY_BLOCK,
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: DENY_INPUT, multiline: true, max_length: 500 },
      },
    ],
  };
}

/** A policy piece per section, inside code fences. */
const POLICY_PIECE = LIMITS.sectionText - 6;

/**
 * The whole policy an unlock would remove, split across sections. A modal holds
 * 100 blocks (about 290,000 characters of policy; S3 and SQS policies are at
 * most 20 KB); past that it says exactly how much is not shown and where it is.
 */
export function policyModal(r: BreakglassRequest): ModalView {
  const policy = r.preview?.policy;
  const where = r.target ? ` on \`${safeMrkdwn(r.target, 1000)}\`` : '';
  const blocks: KnownBlock[] = [];
  if (policy === null || policy === undefined || policy === '') {
    blocks.push(mrkdwnSection(`*${r.id}*${where}: ${noPolicyText(r)}.`));
  } else {
    const pieces = splitMrkdwn(escapeMrkdwn(policy), POLICY_PIECE);
    const room = LIMITS.modalBlocks - 1;
    const fitsAll = pieces.length <= room;
    const shown = fitsAll ? pieces : pieces.slice(0, room - 1);
    blocks.push(
      mrkdwnSection(
        `*${policyHeading(r)}* by *${r.id}* (${TASK_LABELS[r.task]})${where}, ${policy.length} characters.${r.state === 'pending' ? ' Approvals bind to exactly this text.' : ''}`,
      ),
      ...shown.map((piece) => mrkdwnSection(`\`\`\`${piece}\`\`\``)),
    );
    if (!fitsAll) {
      const hidden = policy.length - shown.reduce((n, piece) => n + displayedLength(piece), 0);
      blocks.push(
        mrkdwnSection(
          `${hidden} more characters are not shown here: a modal holds ${LIMITS.modalBlocks} blocks. The full policy is in the audit trail of ${r.id} (event "previewed").`,
        ),
      );
    }
  }
  return {
    type: 'modal',
    callback_id: VIEWS.policy,
    private_metadata: r.id,
    title: plain('Unlock policy'),
    close: plain('Close'),
    blocks,
  };
}
