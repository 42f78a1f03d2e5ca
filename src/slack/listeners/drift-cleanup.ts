/**
 * A drift alert's "Clean up" button (`bg_drift_cleanup`, value: the account
 * id): asks for a bulk hardening of that account ("Delete root credentials from
 * 1 account"), which goes through the two-person approval like any request.
 * Who may ask is the hardening's decision (requesters, with the account's rule).
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checkAccountId } from '../../domain/aws-identifiers.js';
import { clickKey, startHardening } from '../../workflow/hardening.js';
import { afterPendingAcks } from '../ack-first.js';
import { tellClicker } from '../click-replies.js';
import type { SlackDeps } from '../deps.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export async function driftCleanupClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const click = { deps, requestId: undefined, responseUrl: args.body.response_url };
  const account = checkAccountId(args.action.value ?? '');
  if (!account.ok) {
    await tellClicker(click, 'This Clean up button names no account; run the drift check again.');
    return;
  }
  await cleanUpDrift(args, deps, account.value, (text) => tellClicker(click, text), args.action.action_ts);
}

/** What Clean up does for one account: a bulk hardening request, shown in the channel for approval. */
export async function cleanUpDrift(
  args: Pick<ButtonArgs, 'body'>,
  deps: SlackDeps,
  accountId: string,
  tell: (text: string) => Promise<unknown>,
  /** the click's action_ts: the same click delivered twice requests once */
  actionTs?: string,
): Promise<void> {
  const result = await startHardening(
    deps.workflow.hardenings,
    args.body.user.id,
    { accounts: [accountId] },
    'drift',
    clickKey(args.body.user.id, actionTs),
  );
  await tell(result.text);
}
