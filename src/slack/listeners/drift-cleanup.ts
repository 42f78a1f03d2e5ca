/**
 * A drift alert's "Clean up" button (`bg_drift_cleanup`, value: the account
 * id). Requesters and approvers only. For now it opens the normal request
 * modal, pre-filled for deleting the account's root credentials: the request
 * then goes through the two-person approval as any other. `cleanUpDrift` is the
 * one place a later change points at bulk hardening.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checkAccountId } from '../../domain/aws-identifiers.js';
import { requestModal } from '../blocks/modals.js';
import { tellClicker } from '../click-replies.js';
import { type SlackDeps, withDeadline } from '../deps.js';
import { openThenCheck } from './open-first.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

const NAME_DEADLINE_MS = 300;

export const NOT_FOR_OUTSIDERS =
  'Only break-glass requesters and approvers may clean up root credentials. Ask an approver.';

export async function driftCleanupClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  const click = { deps, requestId: undefined, responseUrl: args.body.response_url };
  const account = checkAccountId(args.action.value ?? '');
  if (!account.ok) {
    await tellClicker(click, 'This Clean up button names no account; run the drift check again.');
    return;
  }
  await cleanUpDrift(args, deps, account.value, (text) => tellClicker(click, text));
}

/** What Clean up does for one account: the request modal, pre-filled to delete its root credentials. */
export async function cleanUpDrift(
  args: Pick<ButtonArgs, 'client' | 'body'>,
  deps: SlackDeps,
  accountId: string,
  tell: (text: string) => Promise<unknown>,
): Promise<void> {
  const userId = args.body.user.id;
  // The account's name for the pre-filled choice, if the typeahead's cache answers at once (the trigger id waits for nobody).
  const name = await withDeadline(
    deps.organization
      .search(accountId, 1)
      .then((found) => found.find((a) => a.id === accountId)?.name)
      .catch(() => undefined),
    NAME_DEADLINE_MS,
    undefined,
  );
  // The trigger id lapses 3 s after the click, and the checks may read a user group: open first, then check.
  await openThenCheck({
    client: args.client,
    triggerId: args.body.trigger_id,
    view: requestModal({
      ...deps.workflow.choices(),
      task: 'delete-credentials',
      account: { id: accountId, ...(name ? { name } : {}) },
    }),
    allowed: async () => (await deps.people.isApprover(userId)) || (await deps.people.mayRequest(userId)),
    refusal: { title: 'Clean up', text: NOT_FOR_OUTSIDERS },
    tell,
    log: deps.log,
  });
}
