/**
 * A bulk hardening's message: what approvers approve (how many accounts, what
 * is present on them, the first ones by name; every account is in the CSV in
 * its thread), then its progress, per-account results and the end. A fixed
 * number of blocks, each text clipped, whatever the number of accounts. Pure.
 */
import type { KnownBlock } from '@slack/types';
import {
  accountStatus,
  countHardening,
  fullyListed,
  giveUpDigest,
  HARDEN_LISTED,
  type HardenAccount,
  type Hardening,
  rulesLabel,
  toGiveUp,
} from '../../domain/harden.js';
import type { StoredHardening } from '../../store/store.js';
import { HARDEN_ACTIONS } from '../ids.js';
import { escapeMrkdwn, mention, slackTime } from '../text.js';
import { actions, button, context, fieldsSection, header, mrkdwnSection } from './kit.js';

export { HARDEN_LISTED } from '../../domain/harden.js';

export interface HardeningView {
  stored: StoredHardening;
  accounts: HardenAccount[];
}

/** What an Approve button carries: the hardening and the content hash its approver saw. */
export interface HardenApproveValue {
  id: string;
  h: string;
}

/** What a Give up button carries: the hardening and the digest of the accounts it gives up (as listed then). */
export interface HardenGiveUpValue {
  id: string;
  f: string;
}

const number = (n: number) => n.toLocaleString('en-US');

const STATE_LINE: Record<Hardening['state'], string> = {
  pending: 'Waiting for two approvals',
  running: 'Running',
  closed: 'Closed',
  denied: 'Denied',
  expired: 'Expired without two approvals',
  cancelled: 'Cancelled',
};

export function hardeningMessage(view: HardeningView): { text: string; blocks: KnownBlock[] } {
  const h = view.stored.hardening;
  const c = countHardening(h, view.accounts);
  const blocks: KnownBlock[] = [header(`Delete root credentials from ${number(h.accounts)} accounts`)];
  const who = label(h);
  blocks.push(
    mrkdwnSection(
      [
        `*${stateLine(h)}* · ${h.id}`,
        `Requested by ${mention(h.requesterId)} at ${slackTime(h.createdAt)}${h.source.startsWith('OA-') ? ` from org-wide audit ${h.source}` : ''}.`,
        `Approving deletes every root credential (password, access keys, signing certificates; MFA devices deactivated) on each account below, then verifies each in a separate audit session. Approvers: ${who}.`,
        h.approvals.length ? `Approved by ${h.approvals.map((a) => mention(a.userId)).join(', ')}.` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    ),
  );
  if (h.preview === 'loading') {
    blocks.push(mrkdwnSection('_Reading the root credentials of each account (audit sessions)…_'));
  } else {
    blocks.push(
      fieldsSection([
        `*Accounts*\n${number(c.total)}`,
        `*With a password*\n${number(c.withPassword)}`,
        `*With access keys*\n${number(c.withAccessKeys)}`,
        `*With signing certificates*\n${number(c.withCertificates)}`,
        `*With MFA devices*\n${number(c.withMfa)}`,
        `*Clean already*\n${number(c.clean)}`,
        `*Not readable now*\n${number(c.unreadable)}`,
        ...(c.held ? [`*Open window: held*\n${number(c.held)}`] : []),
      ]),
    );
  }
  if (h.state === 'running' || h.state === 'closed') {
    const retry =
      h.state === 'running' && h.nextRetryAt && (c.failed || c.held)
        ? `\nFailed and held accounts are tried again at ${slackTime(h.nextRetryAt)} (round ${h.rounds + 1}).`
        : '';
    const verified = h.finalAudit
      ? `\nVerification audit at the end: ${number(h.finalAudit.clean)} account(s) clean at ${slackTime(h.finalAudit.at)}.`
      : '';
    const gaveUp = h.givenUp
      ? `\n${mention(h.givenUp.userId)} gave up on ${number(h.givenUp.accounts.length)} failed account(s) at ${slackTime(h.givenUp.at)}; their credentials were left as they are.`
      : '';
    blocks.push(
      mrkdwnSection(
        `*Verified clean:* ${number(c.done)} · *failed:* ${number(c.failed)} · *to do:* ${number(c.pending)}${c.held ? ` · *held (open window):* ${number(c.held)}` : ''}${c.givenUp ? ` · *given up:* ${number(c.givenUp)}` : ''}${retry}${verified}${gaveUp}`,
      ),
    );
  }
  blocks.push(mrkdwnSection(accountList(h, view.accounts)));
  if (h.state === 'pending' && h.preview === 'ready' && !fullyListed(h))
    blocks.push(
      mrkdwnSection(
        `_The list of all ${number(h.accounts)} accounts is on its way to this thread (CSV); Approve appears here once it is there._`,
      ),
    );
  const buttons = controls(h, view.accounts);
  if (buttons) blocks.push(buttons);
  blocks.push(
    context(`Every account, with what is present and each result: the CSV in this thread. ${h.id}`),
  );
  const text = `Delete root credentials from ${number(h.accounts)} accounts (${h.id}): ${stateLine(h)}`;
  return { text, blocks };
}

/** The closing summary, in the channel. */
export function hardeningSummary(view: HardeningView): { text: string; blocks: KnownBlock[] } {
  const h = view.stored.hardening;
  const c = countHardening(h, view.accounts);
  const text = `Bulk hardening ${h.id} closed: ${number(c.done)} of ${number(c.total)} accounts verified clean${c.givenUp ? `, ${number(c.givenUp)} given up` : ''}`;
  const failed = view.accounts.filter((a) => accountStatus(h, a) === 'given-up');
  const lines = failed
    .slice(0, HARDEN_LISTED)
    .map(
      (a) =>
        `• \`${a.accountId}\` ${escapeMrkdwn(a.name.slice(0, 60))}: ${escapeMrkdwn((a.error ?? '').slice(0, 150))}`,
    );
  const more = failed.length > lines.length ? `\n…and ${number(failed.length - lines.length)} more` : '';
  return {
    text,
    blocks: [
      mrkdwnSection(
        `*${escapeMrkdwn(text)}.*\nRequested by ${mention(h.requesterId)}; approved by ${h.approvals.map((a) => mention(a.userId)).join(', ')}.`,
      ),
      ...(lines.length
        ? [mrkdwnSection(`*Given up (root credentials left in place):*\n${lines.join('\n')}${more}`)]
        : []),
      context('Per-account results: the CSV in the request’s thread.'),
    ],
  };
}

/** To the requester, when the channel refused the request's message (it was cancelled) or its summary. */
export function hardeningDm(view: HardeningView, slackError: string): { text: string; blocks: KnownBlock[] } {
  const h = view.stored.hardening;
  const error = escapeMrkdwn(slackError.slice(0, 100));
  const text =
    h.state === 'cancelled'
      ? `Your request ${h.id} to delete root credentials from ${number(h.accounts)} accounts was cancelled: Slack refused to show it in the approvals channel (${error}), so nobody could approve it. Nothing was deleted. Once the bot can post there (\`/breakglass doctor\` checks it), ask again.`
      : `${escapeMrkdwn(hardeningSummary(view).text)}${givenUpList(view)}. Slack refused to post this summary in the approvals channel (${error}); \`breakglass history --request ${h.id}\` lists every account's result.`;
  return { text, blocks: [mrkdwnSection(text)] };
}

/** The accounts given up (their root credentials left in place), for a DM: the first few by id. */
function givenUpList(view: HardeningView): string {
  const h = view.stored.hardening;
  const ids = view.accounts.filter((a) => accountStatus(h, a) === 'given-up').map((a) => a.accountId);
  if (!ids.length) return '';
  const shown = ids.slice(0, HARDEN_LISTED).join(', ');
  return ` (root credentials left in place on ${shown}${ids.length > HARDEN_LISTED ? `, +${number(ids.length - HARDEN_LISTED)} more` : ''})`;
}

function label(h: Hardening): string {
  const rules = rulesLabel(h);
  return rules
    ? `approvers under ${escapeMrkdwn(rules)}; never the requester`
    : 'two break-glass approvers; never the requester';
}

function stateLine(h: Hardening): string {
  if (h.state === 'pending' && h.preview === 'loading') return 'Reading the accounts';
  if (h.state === 'denied' && h.denial?.userId === h.requesterId) return 'Withdrawn by the requester';
  if (h.state === 'denied' && h.denial) return `Denied by ${mention(h.denial.userId)}`;
  if (h.state === 'pending') return `${STATE_LINE.pending} (${h.approvals.length} of 2)`;
  if (h.state === 'closed')
    return h.givenUp ? 'Closed: every other account verified clean' : 'Closed: every account verified clean';
  return STATE_LINE[h.state];
}

function accountList(h: Hardening, accounts: readonly HardenAccount[]): string {
  // Failed ones first while running: what people must look at.
  const order = (a: HardenAccount) =>
    ({ failed: 0, held: 1, 'given-up': 2, pending: 3, done: 4 })[accountStatus(h, a)];
  const sorted = h.state === 'pending' ? accounts : [...accounts].sort((a, b) => order(a) - order(b));
  const lines = sorted.slice(0, HARDEN_LISTED).map((a) => line(h, a));
  const more =
    accounts.length > lines.length
      ? `\n…and ${number(accounts.length - lines.length)} more (all in the CSV)`
      : '';
  return `*Accounts:*\n${lines.join('\n')}${more}`;
}

function line(h: Hardening, a: HardenAccount): string {
  const name = `\`${a.accountId}\` ${escapeMrkdwn(a.name.slice(0, 50))}`;
  const present =
    a.present !== undefined
      ? escapeMrkdwn(a.present)
      : a.previewError
        ? `not readable (${escapeMrkdwn(a.previewError.slice(0, 80))})`
        : '…';
  const held = a.heldBy ? `open window ${escapeMrkdwn(a.heldBy)}: held` : '';
  if (h.state !== 'running' && h.state !== 'closed')
    return `• ${name}: ${present}${held ? `; :lock: ${held}` : ''}`;
  const status = accountStatus(h, a);
  if (status === 'held') return `• ${name}: :lock: ${held} (nothing deleted while it is open)`;
  if (status === 'done') return `• ${name}: :white_check_mark: ${escapeMrkdwn(a.removed ?? '')}; verified`;
  if (status === 'pending') return `• ${name}: ${present}; to do`;
  const tag = status === 'given-up' ? 'given up' : `failed (attempt ${a.attempts})`;
  return `• ${name}: :x: ${tag}: ${escapeMrkdwn((a.error ?? '').slice(0, 120))}`;
}

function controls(h: Hardening, accounts: readonly HardenAccount[]): KnownBlock | undefined {
  if (h.state === 'pending' && h.preview === 'ready' && !fullyListed(h)) {
    return actions([button({ actionId: HARDEN_ACTIONS.deny, text: 'Deny', value: h.id, style: 'danger' })]);
  }
  if (h.state === 'pending' && h.preview === 'ready') {
    const value: HardenApproveValue = { id: h.id, h: h.contentHash };
    return actions([
      button({
        actionId: HARDEN_ACTIONS.approve,
        text: 'Approve',
        value: JSON.stringify(value),
        style: 'primary',
        confirm: {
          title: 'Approve bulk hardening?',
          text: `Deletes the root credentials of ${h.accounts} accounts, as listed.`,
          confirm: 'Approve',
          deny: 'Cancel',
        },
      }),
      button({ actionId: HARDEN_ACTIONS.deny, text: 'Deny', value: h.id, style: 'danger' }),
    ]);
  }
  const failed = toGiveUp(h, accounts);
  if (h.state === 'running' && failed.length > 0) {
    const value: HardenGiveUpValue = { id: h.id, f: giveUpDigest(failed) };
    return actions([
      button({
        actionId: HARDEN_ACTIONS.giveUp,
        text: 'Give up on the failed accounts',
        value: JSON.stringify(value),
        style: 'danger',
        confirm: {
          title: 'Give up on them?',
          text: `The ${failed.length} failed or held account(s) keep their root credentials; the request closes once the others are verified. Recorded in the audit trail.`,
          confirm: 'Give up',
          deny: 'Keep retrying',
        },
      }),
    ]);
  }
  return undefined;
}
