/**
 * The org-wide audit's summary message: progress while it runs, then the
 * counts (clean; root credentials outside a window, by kind; expected inside an
 * open window; not auditable and why) and the first accounts to look at. The
 * full result is the CSV in its thread, so the message stays small whatever the
 * organization's size: a fixed number of blocks, each text clipped. Pure.
 */
import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../domain/durations.js';
import { estimatedFinish, type OrgAuditRow, summarize } from '../../domain/org-audit.js';
import type { OrgAuditView } from '../../workflow/ports.js';
import { HARDEN_ACTIONS } from '../ids.js';
import { escapeMrkdwn, mention, slackTime } from '../text.js';
import { actions, button, context, fieldsSection, header, mrkdwnSection } from './kit.js';

/** Accounts listed by name in the message; the rest are counted (all are in the CSV). */
export const LISTED_ACCOUNTS = 15;

const number = (n: number) => n.toLocaleString('en-US');

export function orgAuditMessage(
  view: OrgAuditView,
  now = Date.now(),
): { text: string; blocks: KnownBlock[] } {
  const { run, rows } = view;
  const s = summarize(rows);
  const blocks: KnownBlock[] = [header('Org-wide audit of root credentials')];
  const asked = run.scheduled
    ? `Scheduled drift check, started ${slackTime(run.startedAt)}; each account with root credentials outside a window has its alert in this thread.`
    : `Asked by ${mention(run.requestedBy)} at ${slackTime(run.startedAt)}.`;
  if (run.state === 'running') {
    const total = run.total !== undefined ? ` of ${number(run.total)}` : '';
    const pct = run.total ? ` (${Math.floor((100 * run.done) / run.total)}%)` : '';
    const finish = estimatedFinish(run, now);
    const eta = finish !== undefined ? ` · should finish around ${slackTime(finish)}` : '';
    blocks.push(
      mrkdwnSection(`*Running:* ${number(run.done)}${total} accounts audited${pct}${eta}\n${asked}`),
    );
  } else {
    const took = formatDuration(Math.max(1, Math.round(((run.finishedAt ?? now) - run.startedAt) / 1000)));
    blocks.push(
      mrkdwnSection(
        `*Done:* ${number(s.accounts)} accounts audited in ${took}. ${asked}${run.error ? `\n:warning: ${escapeMrkdwn(run.error)} (the accounts not listed were not audited).${run.scheduled ? ' Drift detection could not finish this check: `/breakglass doctor` checks what the bot may do in AWS; the next check runs on schedule.' : ''}` : ''}`,
      ),
    );
  }
  blocks.push(
    fieldsSection([
      `*Clean*\n${number(s.clean)}`,
      `*Root credentials outside a window*\n${number(s.present)}`,
      `*Expected (open break-glass window)*\n${number(s.expected)}`,
      `*Not auditable*\n${number(s.failed)}`,
      `*With a password*\n${number(s.withPassword)}`,
      `*With access keys*\n${number(s.withAccessKeys)}`,
      `*With signing certificates*\n${number(s.withCertificates)}`,
      `*With MFA devices*\n${number(s.withMfa)}`,
    ]),
  );
  if (s.reasons.length) {
    blocks.push(
      mrkdwnSection(
        `*Not auditable, and why:* ${s.reasons.map((r) => `${escapeMrkdwn(r.label)}: ${number(r.count)}`).join(' · ')}`,
      ),
    );
  }
  const outside = rows.filter((r) => r.status === 'present' && !r.openWindow);
  if (outside.length) {
    const shown = outside.slice(0, LISTED_ACCOUNTS).map(accountLine);
    const more = outside.length > shown.length ? `\n…and ${number(outside.length - shown.length)} more` : '';
    blocks.push(mrkdwnSection(`*Root credentials outside a window:*\n${shown.join('\n')}${more}`));
  }
  // Done, with credentials outside a window: one request (two approvals) deletes them all.
  if (run.state === 'done' && !run.error && s.present > 0) {
    blocks.push(
      actions([
        button({
          actionId: HARDEN_ACTIONS.fromAudit,
          text: `Harden ${number(s.present)} accounts`,
          value: run.id,
        }),
      ]),
    );
  }
  blocks.push(
    context(
      run.state === 'done'
        ? `Every account, with each key, certificate and device: the CSV file in this thread. Audit ${run.id}.`
        : `The full result is attached in this thread when the audit ends. Audit ${run.id}.`,
    ),
  );
  const text =
    run.state === 'done'
      ? `Org-wide audit: ${number(s.accounts)} accounts, ${number(s.present)} with root credentials outside a window, ${number(s.failed)} not auditable`
      : `Org-wide audit running: ${number(run.done)} accounts audited`;
  return { text, blocks };
}

function accountLine(r: OrgAuditRow): string {
  const what = [
    r.password === 'yes' ? 'password' : '',
    count(r.accessKeys, 'access key'),
    count(r.signingCertificates, 'signing certificate'),
    count(r.mfaDevices, 'MFA device'),
  ].filter(Boolean);
  return `• \`${r.accountId}\` ${escapeMrkdwn(r.name.slice(0, 60))}: ${what.join(', ') || 'present'}`;
}

function count(list: string, what: string): string {
  if (!list) return '';
  const n = list.split('; ').length;
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
