import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  StaticSelectAction,
} from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { onlyApprovers, TASK_KINDS } from '../../domain/request.js';
import { afterPendingAcks } from '../ack-first.js';
import {
  approvedReplacement,
  askedInGrant,
  askedReplacement,
  declineExtensionModal,
  type ExtensionValue,
  finishedReplacement,
  grantControlsId,
  parseExtensionValue,
  type Replacement,
  withdrawnInGrant,
  withdrawnReplacement,
} from '../blocks/extension.js';
import { denyModal, policyModal, requestModal } from '../blocks/modals.js';
import type { ApproveValue } from '../blocks/request-message.js';
import { replaceClicked, tellClicker } from '../click-replies.js';
import type { SlackDeps } from '../deps.js';
import { publishHome } from '../home-tab.js';
import { ACTIONS, HARDEN_ACTIONS } from '../ids.js';
import { withLookupNote } from '../lookup-note.js';
import { driftCleanupClicked } from './drift-cleanup.js';
import {
  hardenApproveClicked,
  hardenDenyClicked,
  hardenFromAuditClicked,
  hardenGiveUpClicked,
} from './harden.js';
import { openThenCheck } from './open-first.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
type SelectArgs = SlackActionMiddlewareArgs<BlockAction<StaticSelectAction>> & AllMiddlewareArgs;

/** Where each action id goes. One Bolt listener dispatches them all: Bolt runs every listener's middleware on every request, so fewer listeners means cheaper acks. */
const ROUTES: Record<string, (args: ButtonArgs & SelectArgs, deps: SlackDeps) => Promise<void>> = {
  [ACTIONS.approve]: approveClicked,
  [ACTIONS.deny]: denyClicked,
  [ACTIONS.done]: doneClicked,
  [ACTIONS.extend]: extendChosen,
  [ACTIONS.approveExtension]: extensionApproved,
  [ACTIONS.declineExtension]: extensionDeclineClicked,
  [ACTIONS.withdrawExtension]: extensionWithdrawn,
  [ACTIONS.taskSelect]: taskChosen,
  [ACTIONS.viewPolicy]: viewPolicyClicked,
  [ACTIONS.showMailbox]: showMailboxClicked,
  [ACTIONS.readAgain]: readAgainClicked,
  [ACTIONS.driftCleanup]: driftCleanupClicked,
  [HARDEN_ACTIONS.approve]: hardenApproveClicked,
  [HARDEN_ACTIONS.deny]: hardenDenyClicked,
  [HARDEN_ACTIONS.giveUp]: hardenGiveUpClicked,
  [HARDEN_ACTIONS.fromAudit]: hardenFromAuditClicked,
};

export function registerActions(app: App, deps: SlackDeps): void {
  app.action(ACTION_IDS, async (args) => {
    const route = ROUTES[(args.action as { action_id?: string }).action_id ?? ''];
    if (route) await route(args as ButtonArgs & SelectArgs, deps);
    else await args.ack();
  });
}

const ACTION_IDS = new RegExp(`^(${Object.keys(ROUTES).join('|')})$`);

/** The click's request id, from the button or select value, for its reply's place in the outbox. */
function clickedRequestId(args: ButtonArgs | SelectArgs): string | undefined {
  const action = args.action as { value?: string; selected_option?: { value?: string } };
  const raw = action.value ?? action.selected_option?.value ?? '';
  const id = /BG-[A-Z0-9-]+/i.exec(raw)?.[0];
  return id;
}

function clickOf(args: ButtonArgs | SelectArgs, deps: SlackDeps) {
  return { deps, requestId: clickedRequestId(args), responseUrl: args.body.response_url };
}

/**
 * The grant DM the click came from (its controls carry the grant block id), as
 * Slack sent it with the click; undefined for any other message.
 */
function clickedGrant(args: ButtonArgs | SelectArgs, requestId: string): Replacement | undefined {
  if ((args.action as { block_id?: string }).block_id !== grantControlsId(requestId)) return undefined;
  const message = args.body.message as { text?: unknown; blocks?: unknown } | undefined;
  if (!message || !Array.isArray(message.blocks)) return undefined;
  return {
    text: typeof message.text === 'string' ? message.text : '',
    blocks: message.blocks as KnownBlock[],
  };
}

/**
 * Only the clicking user sees the answer (through the outbox, retried while Slack
 * cannot take it). A refusal that came from a lookup Slack did not answer says so.
 */
async function tell(args: ButtonArgs | SelectArgs, deps: SlackDeps, text: string): Promise<void> {
  await tellClicker(clickOf(args, deps), withLookupNote(deps.people, args.body.user.id, text));
}

/**
 * The message the click came from (a reminder, an extension ask) is replaced by
 * what happened: its buttons no longer apply. Only after a change; a refusal is
 * told to the clicker alone and replaces nothing.
 */
async function replace(args: ButtonArgs | SelectArgs, deps: SlackDeps, message: Replacement): Promise<void> {
  await replaceClicked(clickOf(args, deps), message);
}

const STALE_BUTTON = 'This button is not valid any more; use the buttons on the current message.';

export async function approveClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  let value: ApproveValue;
  try {
    value = JSON.parse(args.action.value ?? '') as ApproveValue;
  } catch {
    await tell(
      args,
      deps,
      'This button is not valid any more; use the buttons on the current request message.',
    );
    return;
  }
  const reply = await deps.workflow.actions.approve(String(value.id), args.body.user.id, String(value.h));
  await tell(args, deps, reply.text);
}

export async function denyClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const id = args.action.value ?? '';
  const stored = await deps.workflow.get(id);
  const user = args.body.user.id;
  if (stored?.request.state !== 'pending') {
    await tell(args, deps, `Request ${id} is not waiting for a decision any more.`);
    return;
  }
  // The trigger id expires in 3 s and isApprover may look up a user group: open first, then check.
  await openThenCheck({
    client: args.client,
    triggerId: args.body.trigger_id,
    view: denyModal(id, { withdraw: stored.request.requesterId === user }),
    allowed: async () =>
      stored.request.requesterId === user ||
      (await deps.people.isApprover(user, deps.workflow.approversOf(stored.request))),
    refusal: {
      title: 'Deny request',
      text: () =>
        withLookupNote(
          deps.people,
          user,
          `${capitalize(onlyApprovers(stored.request, 'deny break-glass requests'))}.`,
        ),
    },
    tell: (text) => tellClicker(clickOf(args, deps), text),
    log: deps.log,
  });
}

export async function doneClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const user = args.body.user.id;
  const reply = await deps.workflow.actions.finish(args.action.value ?? '', user);
  if (args.body.container?.type === 'view') {
    // The App Home: no response_url there; the republished tab shows what happened, and a refusal.
    await publishHome(args.client, deps, user, reply.ok ? undefined : reply.text);
    return;
  }
  if (reply.ok) await replace(args, deps, finishedReplacement(reply.request, reply.text));
  else await tell(args, deps, reply.text);
}

export async function extendChosen(args: SelectArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const [id = '', seconds = ''] = args.action.selected_option.value.split('|');
  const reply = await deps.workflow.actions.requestExtension(id, args.body.user.id, Number(seconds));
  if (!reply.ok) {
    await tell(args, deps, reply.text);
    return;
  }
  // From the grant DM: keep its sign-in steps, replace only its controls. From the reminder: replace it.
  const grant = clickedGrant(args, reply.request.id);
  await replace(args, deps, grant ? askedInGrant(grant, reply.request) : askedReplacement(reply.request));
}

/**
 * The shape every extension button shares: ack, then read which ask was clicked
 * (its request, seconds and nonce); a button that names no ask is stale.
 */
async function onExtensionClick(
  args: ButtonArgs,
  deps: SlackDeps,
  act: (value: ExtensionValue, user: string) => Promise<void>,
): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const value = parseExtensionValue(args.action.value);
  if (value) await act(value, args.body.user.id);
  else await tell(args, deps, STALE_BUTTON);
}

export async function extensionApproved(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await onExtensionClick(args, deps, async (value, user) => {
    const reply = await deps.workflow.actions.approveExtension(value.id, user, value);
    if (reply.ok) await replace(args, deps, approvedReplacement(reply.request, user, value.seconds));
    else await tell(args, deps, reply.text);
  });
}

/** Opens the decline modal for the ask clicked on, if it is still the pending one; its submission replaces the ask. */
export async function extensionDeclineClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await onExtensionClick(args, deps, async (value) => {
    // Only the local database before views.open (the trigger id lapses in 3 s); who may
    // decline is the workflow's decision, on submission.
    const ask = (await deps.workflow.get(value.id))?.request.extensionRequest;
    if (ask?.nonce !== value.nonce || ask.seconds !== value.seconds) {
      await tell(args, deps, 'That extension ask is no longer waiting for a decision.');
      return;
    }
    await args.client.views.open({
      trigger_id: args.body.trigger_id,
      view: declineExtensionModal({
        ...value,
        responseUrl: args.body.response_url ?? '',
        clickedAt: Date.now(),
      }),
    });
  });
}

export async function extensionWithdrawn(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await onExtensionClick(args, deps, async (value, user) => {
    const reply = await deps.workflow.actions.withdrawExtension(value.id, user, value);
    if (!reply.ok) {
      await tell(args, deps, reply.text);
      return;
    }
    const grant = clickedGrant(args, reply.request.id);
    await replace(
      args,
      deps,
      grant
        ? withdrawnInGrant(grant, reply.request, value.seconds)
        : withdrawnReplacement(reply.request, value.seconds),
    );
  });
}

/** The whole policy an unlock would remove, for a policy too long for the request message. */
export async function viewPolicyClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const stored = await deps.workflow.get(args.action.value ?? '');
  if (!stored) {
    await tell(args, deps, 'That request does not exist any more.');
    return;
  }
  await args.client.views.open({ trigger_id: args.body.trigger_id, view: policyModal(stored.request) });
}

/**
 * The root mailbox's address, to the request's approvers alone (an ephemeral
 * answer): the channel message says only that whoever reads it can sign in.
 */
export async function showMailboxClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const user = args.body.user.id;
  const stored = await deps.workflow.get(args.action.value ?? '');
  if (!stored) {
    await tell(args, deps, 'That request does not exist any more.');
    return;
  }
  const r = stored.request;
  if (!(await deps.people.isApprover(user, deps.workflow.approversOf(r)))) {
    await tell(args, deps, `Not shown: ${onlyApprovers(r, 'see the root mailbox')}.`);
    return;
  }
  const email = r.preview?.rootEmail;
  await deps.workflow.core.audit(r.id, user, 'root mailbox shown', { shown: Boolean(email) });
  await tell(
    args,
    deps,
    email
      ? `The root mailbox of ${r.accountName} (${r.accountId}) is ${email}. Whoever reads it can sign in as root once ${r.id} is approved.`
      : `The address of the root mailbox of ${r.accountName} (${r.accountId}) could not be read; it is the account's email in AWS Organizations.`,
  );
}

/** Reads the account's state again after a failed read; Approve shows once it has loaded. */
export async function readAgainClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const reply = await deps.workflow.actions.readAgain(
    (args.action.value ?? '').trim().toUpperCase(),
    args.body.user.id,
  );
  await tell(args, deps, reply.text);
}

/** The modal shows the fields the chosen task needs. */
export async function taskChosen(args: SelectArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const view = args.body.view;
  const task = TASK_KINDS.find((t) => t === args.action.selected_option.value);
  if (!view || !task) return;
  await args.client.views.update({
    view_id: view.id,
    hash: view.hash,
    view: requestModal({ task, ...deps.workflow.choices() }),
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
