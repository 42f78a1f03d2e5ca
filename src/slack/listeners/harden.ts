/**
 * Bulk hardening from Slack: `/breakglass harden <account…>|all-present`, the
 * org-wide audit summary's "Harden N accounts" button, and the hardening
 * message's Approve, Deny and "Give up on the failed accounts". Each acks
 * first; answers go to the clicker alone through the outbox.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checkAccountId } from '../../domain/aws-identifiers.js';
import { clickKey, startHardening } from '../../workflow/hardening.js';
import { afterPendingAcks } from '../ack-first.js';
import type { HardenApproveValue, HardenGiveUpValue } from '../blocks/harden.js';
import { tellClicker } from '../click-replies.js';
import type { SlackDeps } from '../deps.js';
import { escapeMrkdwn } from '../text.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export const HARDEN_USAGE =
  'Usage: `/breakglass harden <account-id> [<account-id>…]` or `/breakglass harden all-present` (the accounts the last org-wide audit found with root credentials outside a window).';

/** `/breakglass harden …`: the answer for the asker. */
export async function hardenCommandReply(
  deps: SlackDeps,
  userId: string,
  args: string[],
  /** the command's trigger_id: the same command delivered twice requests once */
  triggerId?: string,
): Promise<string> {
  if (!args.length) return HARDEN_USAGE;
  const key = triggerId ? `command:${triggerId}` : undefined;
  if (args.length === 1 && args[0]?.toLowerCase() === 'all-present') {
    const result = await startHardening(
      deps.workflow.hardenings,
      userId,
      { allPresent: true },
      'command',
      key,
    );
    return escapeMrkdwn(result.text);
  }
  const accounts: string[] = [];
  for (const raw of args.flatMap((a) => a.split(',')).filter(Boolean)) {
    const checked = checkAccountId(raw);
    if (!checked.ok) return `${escapeMrkdwn(checked.reason)}\n${HARDEN_USAGE}`;
    accounts.push(checked.value);
  }
  const result = await startHardening(deps.workflow.hardenings, userId, { accounts }, 'command', key);
  return escapeMrkdwn(result.text);
}

function click(args: ButtonArgs, deps: SlackDeps, requestId: string | undefined) {
  return { deps, requestId, responseUrl: args.body.response_url };
}

/** "Harden N accounts" on an org-wide audit's summary: its value is the audit's id. */
export async function hardenFromAuditClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const auditId = args.action.value ?? '';
  const user = args.body.user.id;
  const result = await startHardening(
    deps.workflow.hardenings,
    user,
    { auditId },
    auditId,
    clickKey(user, args.action.action_ts),
  );
  await tellClicker(click(args, deps, result.ok ? result.id : auditId), result.text);
}

export async function hardenApproveClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  let value: HardenApproveValue | undefined;
  try {
    value = JSON.parse(args.action.value ?? '') as HardenApproveValue;
  } catch {
    value = undefined;
  }
  if (!value?.id) {
    await tellClicker(
      click(args, deps, undefined),
      'This button is not valid any more; use the current message.',
    );
    return;
  }
  const reply = await deps.workflow.hardenings.approve(String(value.id), args.body.user.id, String(value.h));
  await tellClicker(click(args, deps, String(value.id)), reply.text);
}

export async function hardenDenyClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const id = args.action.value ?? '';
  const reply = await deps.workflow.hardenings.deny(id, args.body.user.id);
  await tellClicker(click(args, deps, id), reply.text);
}

export async function hardenGiveUpClicked(args: ButtonArgs, deps: SlackDeps): Promise<void> {
  await args.ack();
  await afterPendingAcks();
  const value = parseValue<HardenGiveUpValue>(args.action.value);
  if (!value?.id || typeof value.f !== 'string') {
    await tellClicker(
      click(args, deps, undefined),
      'This button is not valid any more; use the current message.',
    );
    return;
  }
  const id = String(value.id);
  const reply = await deps.workflow.hardenings.giveUp(id, args.body.user.id, value.f);
  await tellClicker(click(args, deps, id), reply.text);
}

function parseValue<T>(raw: string | undefined): Partial<T> | undefined {
  try {
    const parsed: unknown = JSON.parse(raw ?? '');
    return parsed && typeof parsed === 'object' ? (parsed as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}
