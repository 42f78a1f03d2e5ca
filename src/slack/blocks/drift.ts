/**
 * Drift messages, each a reply in the thread of the scheduled audit's summary:
 * one account's root credentials outside a window (what is present, with the
 * dates AWS gives, and a Clean up button), and the word that it was resolved.
 * Each message is one account: a few blocks, every text escaped then clipped. Pure.
 */
import type { KnownBlock } from '@slack/types';
import {
  type DriftAlert,
  describePresent,
  fingerprint,
  type PresentCredentials,
} from '../../domain/drift.js';
import type { DriftResolution } from '../../domain/notice.js';
import { reasonLabel } from '../../domain/org-audit.js';
import { ACTIONS } from '../ids.js';
import { escapeMrkdwn, slackTime } from '../text.js';
import { actions, button, context, mrkdwnSection } from './kit.js';

const NAME_MAX = 80;

function account(accountId: string, name: string): string {
  return `\`${accountId}\` ${escapeMrkdwn(name.slice(0, NAME_MAX))}`;
}

function list(p: PresentCredentials): string {
  return describePresent(p)
    .map((line) => `• ${escapeMrkdwn(line)}`)
    .join('\n');
}

const HEADLINE: Record<DriftAlert['kind'], string> = {
  new: ':rotating_light: *Root credentials outside a break-glass window*',
  changed: ':rotating_light: *Root credentials changed outside a break-glass window*',
  reminder: ':bell: *Still there: root credentials outside a break-glass window*',
  unauditable: ':grey_question: *Root credentials unknown: the account could not be audited*',
};

/** What changed since the last alert, by ids. */
function changes(alert: DriftAlert): string {
  if (!alert.previous) return '';
  const before = new Set(fingerprint(alert.previous).split('|').filter(Boolean));
  const now = new Set(fingerprint(alert.present).split('|').filter(Boolean));
  const added = [...now].filter((x) => !before.has(x));
  const removed = [...before].filter((x) => !now.has(x));
  const part = (label: string, items: string[]) =>
    items.length ? `${label} ${items.map((i) => escapeMrkdwn(i)).join(', ')}` : '';
  const text = [part('new:', added), part('gone:', removed)].filter(Boolean).join('; ');
  return text ? `\nSince the last alert, ${text}.` : '';
}

/** Drift detection is blind on this account: why, and what was last seen there. */
function unauditableMessage(alert: DriftAlert): { text: string; blocks: KnownBlock[] } {
  const seen = fingerprint(alert.present)
    ? `*Last seen there:*\n${list(alert.present)}`
    : '*Last seen there:* no root credentials';
  return {
    text: `Root credentials unknown in ${alert.accountId}: it could not be audited`,
    blocks: [
      mrkdwnSection(
        `${HEADLINE.unauditable} in ${account(alert.accountId, alert.name)}: ${escapeMrkdwn(reasonLabel(alert.reason ?? 'unknown'))}. Drift detection cannot see this account until that is fixed (\`breakglass audit --account ${alert.accountId}\` shows the error and its fix).`,
      ),
      mrkdwnSection(seen),
    ],
  };
}

export function driftAlertMessage(alert: DriftAlert): { text: string; blocks: KnownBlock[] } {
  if (alert.kind === 'unauditable') return unauditableMessage(alert);
  const since =
    alert.kind === 'reminder' ? `\nFirst alerted ${slackTime(alert.since)}; nothing has changed since.` : '';
  const blocks: KnownBlock[] = [
    mrkdwnSection(
      `${HEADLINE[alert.kind]} in ${account(alert.accountId, alert.name)}${since}${changes(alert)}`,
    ),
    mrkdwnSection(`*Present now:*\n${list(alert.present)}`),
    context(
      'AWS records no creator for root credentials: the dates above (key created and last used, login profile created) say when; the account’s CloudTrail says who.',
    ),
    actions([
      button({
        actionId: ACTIONS.driftCleanup,
        text: 'Clean up',
        value: alert.accountId,
        style: 'danger',
      }),
    ]),
  ];
  const text = `Root credentials outside a break-glass window in ${alert.accountId}`;
  return { text, blocks };
}

export function driftResolvedMessage(resolved: DriftResolution): { text: string; blocks: KnownBlock[] } {
  if (!fingerprint(resolved.present))
    return {
      text: `Resolved: ${resolved.accountId} can be audited again, and has no root credentials`,
      blocks: [
        mrkdwnSection(
          `:white_check_mark: *Resolved:* ${account(resolved.accountId, resolved.name)} can be audited again, and has no root credentials.`,
        ),
      ],
    };
  return {
    text: `Resolved: no root credentials left in ${resolved.accountId}`,
    blocks: [
      mrkdwnSection(
        `:white_check_mark: *Resolved:* no root credentials left in ${account(resolved.accountId, resolved.name)}. The last alert listed:\n${list(resolved.present)}`,
      ),
    ],
  };
}
