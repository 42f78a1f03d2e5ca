import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  StaticSelectAction,
} from '@slack/bolt';
import { TASK_KINDS } from '../../domain/request.js';
import { afterPendingAcks } from '../ack-first.js';
import { denyModal, policyModal, requestModal } from '../blocks/modals.js';
import type { ApproveValue } from '../blocks/request-message.js';
import type { SlackDeps } from '../deps.js';
import { ACTIONS } from '../ids.js';
import { escapeMrkdwn } from '../text.js';
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
  [ACTIONS.taskSelect]: taskChosen,
  [ACTIONS.viewPolicy]: viewPolicyClicked,
};

export function registerActions(app: App, deps: SlackDeps): void {
  app.action(ACTION_IDS, async (args) => {
    const route = ROUTES[(args.action as { action_id?: string }).action_id ?? ''];
    if (route) await route(args as ButtonArgs & SelectArgs, deps);
    else await args.ack();
  });
}

const ACTION_IDS = new RegExp(`^(${Object.keys(ROUTES).join('|')})$`);

/** Only the clicking user sees the answer. */
async function tell(args: ButtonArgs | SelectArgs, text: string): Promise<void> {
  await args.respond({ response_type: 'ephemeral', replace_original: false, text: escapeMrkdwn(text) });
}

export async function approveClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  let value: ApproveValue;
  try {
    value = JSON.parse(args.action.value ?? '') as ApproveValue;
  } catch {
    await tell(args, 'This button is not valid any more; use the buttons on the current request message.');
    return;
  }
  const reply = await deps.workflow.actions.approve(String(value.id), args.body.user.id, String(value.h));
  await tell(args, reply.text);
}

export async function denyClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const id = args.action.value ?? '';
  const stored = await deps.workflow.get(id);
  const user = args.body.user.id;
  if (stored?.request.state !== 'pending') {
    await tell(args, `Request ${id} is not waiting for a decision any more.`);
    return;
  }
  // The trigger id expires in 3 s and isApprover may look up a user group: open first, then check.
  await openThenCheck({
    client: args.client,
    triggerId: args.body.trigger_id,
    view: denyModal(id),
    allowed: async () => stored.request.requesterId === user || (await deps.people.isApprover(user)),
    refusal: { title: 'Deny request', text: 'Only approvers can deny break-glass requests.' },
    tell: (text) => tell(args, text),
    log: deps.log,
  });
}

export async function doneClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const reply = await deps.workflow.actions.finish(args.action.value ?? '', args.body.user.id);
  await tell(args, reply.text);
}

export async function extendChosen(args: SelectArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const [id = '', seconds = ''] = args.action.selected_option.value.split('|');
  const reply = await deps.workflow.actions.requestExtension(id, args.body.user.id, Number(seconds));
  await tell(args, reply.text);
}

export async function extensionApproved(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const reply = await deps.workflow.actions.approveExtension(args.action.value ?? '', args.body.user.id);
  await tell(args, reply.text);
}

/** The whole policy an unlock would remove, for a policy too long for the request message. */
export async function viewPolicyClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const stored = await deps.workflow.get(args.action.value ?? '');
  if (!stored) {
    await tell(args, 'That request does not exist any more.');
    return;
  }
  await args.client.views.open({ trigger_id: args.body.trigger_id, view: policyModal(stored.request) });
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
    view: requestModal({ task, durationsSeconds: deps.workflow.settings.durationsSeconds }),
  });
}
