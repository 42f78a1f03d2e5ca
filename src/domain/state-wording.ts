/**
 * The one place that words a request's state and record, and what approving it
 * means. Every surface (the channel message and its thread, DMs, the App Home,
 * `/breakglass status` and `list`) renders through these functions with its own
 * format for people, times and untrusted text, so the surfaces cannot drift apart.
 * Pure: no Slack, no AWS.
 */
import { checkQueueUrl } from './aws-identifiers.js';
import { formatDuration } from './durations.js';
import {
  type BreakglassRequest,
  type CredentialItem,
  opensWindow,
  REQUIRED_APPROVALS,
  stateName,
  TASK_LABELS,
} from './request.js';

/** How a surface writes people, times and text it did not write itself. */
export interface WordingFormat {
  person(userId: string): string;
  /** a moment (epoch ms) */
  time(epochMs: number): string;
  /** a day, from an ISO 8601 timestamp */
  date(iso: string): string;
  /** untrusted text (reasons, AWS errors, identifiers): escaped for the surface and clipped to `max` */
  text(untrusted: string, max: number): string;
}

/** Plain text: user ids, ISO times. For logs, tests and any surface without markup. */
export const PLAIN_FORMAT: WordingFormat = {
  person: (userId) => userId,
  time: (epochMs) => new Date(epochMs).toISOString(),
  date: (iso) => iso.slice(0, 10),
  text: (untrusted, max) => (untrusted.length <= max ? untrusted : `${untrusted.slice(0, max - 1)}…`),
};

export interface StateWording {
  /** a Slack emoji name, e.g. ":lock:" (surfaces without emoji may drop it) */
  icon: string;
  /** one sentence or two: the state first, then what follows from it */
  headline: string;
}

/** The window's length now: the approved duration plus every approved extension. */
export function windowSeconds(r: BreakglassRequest): number {
  if (r.grantedAt === undefined || r.windowEndsAt === undefined) return r.durationSeconds;
  return Math.round((r.windowEndsAt - r.grantedAt) / 1000);
}

/** "1h" or, extended, "1h (30m approved + 30m extension)". */
export function windowText(r: BreakglassRequest): string {
  const total = windowSeconds(r);
  const extra = total - r.durationSeconds;
  if (extra <= 0) return formatDuration(total);
  return `${formatDuration(total)} (${formatDuration(r.durationSeconds)} approved + ${formatDuration(extra)} extension)`;
}

function list(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function approvers(r: BreakglassRequest, f: WordingFormat): string {
  return list(r.approvals.map((a) => f.person(a.userId)));
}

/** What cleanup removed, without the account id the deletion summary starts with. */
function removedText(r: BreakglassRequest): string {
  const summary = r.cleanup?.summary ?? '';
  const prefix = `${r.accountId}: `;
  return summary.startsWith(prefix) ? summary.slice(prefix.length) : summary;
}

/** The state in one line, as every surface shows it. */
export function stateWording(r: BreakglassRequest, f: WordingFormat): StateWording {
  const by = approvers(r, f);
  const failure = r.outcome && !r.outcome.ok ? f.text(r.outcome.summary, 500) : undefined;
  switch (r.state) {
    case 'pending':
      if (r.preview?.status === 'loading')
        return { icon: ':hourglass_flowing_sand:', headline: 'Loading the current state of the account…' };
      if (r.preview?.status === 'failed')
        return {
          icon: ':warning:',
          headline:
            "Not ready for approval: the account's current state could not be read, and approvers must see it before they approve. Read it again from the request message.",
        };
      return {
        icon: ':hourglass_flowing_sand:',
        headline: `Waiting for approval: ${r.approvals.length}/${REQUIRED_APPROVALS} approvals${by ? ` (${by})` : ''}`,
      };
    case 'executing':
      return { icon: ':gear:', headline: `Approved by ${by}; running the task…` };
    case 'active':
      return {
        icon: ':unlock:',
        headline: `Root access granted; the window (${windowText(r)}) ends ${f.time(r.windowEndsAt ?? 0)}. Approved by ${by}.`,
      };
    case 'cleaning': {
      const retrying = r.cleanup?.failures
        ? ` ${r.cleanup.failures} cleanup attempt(s) failed so far, retrying. Last error: ${f.text(r.cleanup.lastError ?? '', 300)}`
        : '';
      if (failure !== undefined)
        return {
          icon: ':x:',
          headline: `Failed: ${failure}. Cleanup: access may have been granted before the failure, so root credentials are being deleted and verified…${retrying}`,
        };
      if (retrying) return { icon: ':warning:', headline: `Cleaning up:${retrying}` };
      return { icon: ':broom:', headline: 'Cleaning up: deleting root credentials and verifying…' };
    }
    case 'closed': {
      const verified = f.time(r.cleanup?.verifiedAt ?? 0);
      const removed = removedText(r);
      if (failure !== undefined)
        return {
          icon: ':x:',
          headline: `Failed: ${failure}. Cleanup then ran in case access had been granted: ${f.text(removed || 'nothing to remove', 800)} at ${verified}; the window is closed.`,
        };
      return {
        icon: ':lock:',
        headline: `Root access ended; the window is closed and cleanup was verified ${verified}.`,
      };
    }
    case 'completed':
      return { icon: ':white_check_mark:', headline: `Done. Approved by ${by}.` };
    case 'failed':
      return {
        icon: ':x:',
        headline: `Failed: ${failure ?? 'unknown error'}.${opensWindow(r.task) ? ' Nothing was granted, so there was nothing to clean up.' : ''}`,
      };
    case 'denied':
      if (stateName(r) === 'withdrawn')
        return {
          icon: ':leftwards_arrow_with_hook:',
          headline: `Withdrawn by the requester (${f.person(r.requesterId)}): ${f.text(r.denial?.reason ?? '', 2000)}`,
        };
      return {
        icon: ':no_entry:',
        headline: `Denied by ${f.person(r.denial?.userId ?? '')}: ${f.text(r.denial?.reason ?? '', 2000)}`,
      };
    case 'expired':
      return {
        icon: ':zzz:',
        headline: `Expired without enough approvals (${r.approvals.length}/${REQUIRED_APPROVALS}).`,
      };
    case 'cancelled':
      if (r.cancelReason)
        return {
          icon: ':heavy_multiplication_x:',
          headline: `Cancelled by the bot: ${f.text(r.cancelReason, 500)}`,
        };
      if (stateName(r) === 'withdrawn')
        return {
          icon: ':leftwards_arrow_with_hook:',
          headline: `Withdrawn by the requester (${f.person(r.requesterId)}).`,
        };
      return {
        icon: ':heavy_multiplication_x:',
        headline: r.cancelledBy ? `Cancelled by ${f.person(r.cancelledBy.userId)}.` : 'Cancelled.',
      };
  }
}

/** The state line: icon and headline. */
export function statusLine(r: BreakglassRequest, f: WordingFormat): string {
  const { icon, headline } = stateWording(r, f);
  return `${icon} ${headline}`;
}

/**
 * The request's record, kept as it moves on and after it ends: who requested,
 * who approved and when, what was granted and for how long, who ended it early,
 * what cleanup removed and when it was verified. One line per fact known.
 */
export function recordFacts(r: BreakglassRequest, f: WordingFormat): string[] {
  const facts = [`Requested by ${f.person(r.requesterId)} ${f.time(r.createdAt)}.`];
  if (r.approvals.length && r.state !== 'pending')
    facts.push(`Approved by ${list(r.approvals.map((a) => `${f.person(a.userId)} ${f.time(a.at)}`))}.`);
  if (r.grantedAt !== undefined)
    facts.push(
      `Granted ${f.time(r.grantedAt)}: ${TASK_LABELS[r.task].toLowerCase()} for ${windowText(r)}, until ${f.time(r.windowEndsAt ?? 0)}.`,
    );
  else if (r.outcome?.ok) facts.push(`Result: ${f.text(r.outcome.summary, 1000)}`);
  if (r.endedEarly) facts.push(`Ended early by ${f.person(r.endedEarly.userId)} ${f.time(r.endedEarly.at)}.`);
  if (r.state === 'closed') {
    facts.push(`Cleanup: ${f.text(removedText(r) || 'nothing to remove', 1000)}.`);
    facts.push(`Verified ${f.time(r.cleanup?.verifiedAt ?? 0)} in a separate audit session.`);
  }
  return facts;
}

/** One root credential with its dates, e.g. "access key AKIA… (Active), created 2024-01-02, last used …". */
export function credentialLine(c: CredentialItem, f: WordingFormat): string {
  const id = c.id ? ` ${f.text(c.id, 120)}` : '';
  const status = c.status ? ` (${f.text(c.status, 20)})` : '';
  const at = (verb: string, iso: string | undefined) => (iso ? `, ${verb} ${f.date(iso)}` : '');
  switch (c.kind) {
    case 'password':
      return `password${at('set', c.createdAt)}${c.lastUsedAt ? at('last used', c.lastUsedAt) : ', no sign-in recorded'}`;
    case 'access-key': {
      const where = c.lastUsedWhere ? ` (${f.text(c.lastUsedWhere, 60)})` : '';
      return `access key${id}${status}${at('created', c.createdAt)}${c.lastUsedAt ? `${at('last used', c.lastUsedAt)}${where}` : ', never used'}`;
    }
    case 'signing-certificate':
      return `signing certificate${id}${status}${at('uploaded', c.createdAt)}`;
    case 'mfa-device':
      return `MFA device${id}${at('enabled', c.createdAt)}`;
  }
}

/**
 * What approving means, for the approvers to read before they approve: who can
 * sign in, for how long, and what is deleted (password recovery); exactly what
 * is removed (deletion); when the policy last changed, as far as AWS says (unlocks).
 * The root mailbox's address is not here: the channel reads this, and the address
 * is for approvers only (Show root mailbox) and the requester's grant DM.
 */
export function consequences(r: BreakglassRequest, f: WordingFormat): string[] {
  const p = r.preview;
  const items = p?.status === 'ready' ? (p.credentials ?? []) : undefined;
  const now =
    items === undefined
      ? 'the current root credentials could not be read (see above)'
      : items.length
        ? items.map((c) => `\n• ${credentialLine(c, f)}`).join('')
        : 'none';
  switch (r.task) {
    case 'password-recovery':
      return [
        "*Who can sign in:* whoever reads the account's root mailbox can reset the root password and sign in to the console as root, with full control of the account. Approvers can see its address with *Show root mailbox*.",
        `*For how long:* ${windowText(r)} from the second approval; the requester can end it sooner.`,
        '*At the end:* *all* root credentials present then are deleted (password, access keys, signing certificates, MFA devices), including any that existed before this request, and the deletion is verified.',
        `*Root credentials now* (deleted at the end too): ${now}`,
      ];
    case 'delete-credentials':
      return [
        `*What will be removed:* every root credential present when the task runs (MFA devices are deactivated). Present now: ${now}`,
      ];
    case 'unlock-s3':
      return [
        '*Policy last changed:* AWS does not report when a bucket policy was last changed (CloudTrail records who set it).',
      ];
    case 'unlock-sqs': {
      const at = p?.status === 'ready' ? p.queueLastModifiedAt : undefined;
      return [
        at
          ? `*Policy last changed:* no later than ${f.time(Date.parse(at))}: the queue was last changed then (covers the policy; CloudTrail records who set it).`
          : '*Policy last changed:* AWS did not report when the queue was last changed (CloudTrail records who set the policy).',
      ];
    }
  }
}

/** The heading of the root credentials read before approval: "now" only while there is still a decision to make. */
export function credentialsHeading(r: BreakglassRequest): string {
  return r.state === 'pending' ? 'Root credentials now' : 'Root credentials at request time';
}

/** The heading of an unlock's policy: what will be removed, what was removed, or what would have been. */
export function policyHeading(r: BreakglassRequest): string {
  switch (r.state) {
    case 'pending':
    case 'executing':
      return 'Policy that will be removed';
    case 'completed':
      return 'Policy removed';
    default:
      return 'Policy that would have been removed';
  }
}

/** An unlock whose target had no policy when it was read. */
export function noPolicyText(r: BreakglassRequest): string {
  return r.state === 'pending' || r.state === 'executing'
    ? 'Policy to remove: none (nothing will change)'
    : 'Policy at request time: none (nothing to remove)';
}

/** The confirmation an approver sees on Approve: account, task and window, in plain text. */
export function approvalConfirmation(r: BreakglassRequest): { title: string; text: string } {
  const account = `${PLAIN_FORMAT.text(r.accountName, 60)} (${r.accountId})`;
  const what = opensWindow(r.task)
    ? ` for ${windowText(r)}. Whoever reads the root mailbox can sign in as root; all root credentials are deleted at the end.`
    : r.target
      ? `: ${targetText(r)}. It runs once, right after the second approval.`
      : '. It runs once, right after the second approval.';
  return {
    title: `Approve ${r.id}?`,
    text: `${TASK_LABELS[r.task]} on ${account}${what}`,
  };
}

/** An unlock's target in a few words: the bucket, or the queue's name and region (its URL is too long to read). */
function targetText(r: BreakglassRequest): string {
  const target = r.target ?? '';
  if (r.task !== 'unlock-sqs') return `bucket ${PLAIN_FORMAT.text(target, 80)}`;
  const queue = checkQueueUrl(target);
  return queue.ok
    ? `queue ${queue.value.name} in ${queue.value.region}`
    : `queue ${PLAIN_FORMAT.text(target, 80)}`;
}
