/**
 * The Slack side of the doctor as verdicts on what Slack answered: is the bot in
 * the approvals channel, were the manifest's scopes granted, does every approver
 * user group resolve, can every rule gather two approvers, is the Home tab on.
 * Each failure names the exact fix. Pure: the calls are src/slack/doctor/.
 */
import type { DoctorCheck } from './doctor.js';

/** What a Slack call answered: its value, or Slack's error (with the scope it needed, for missing_scope). */
export type SlackAnswer<T> = { ok: true; value: T } | { ok: false; error: string; needed?: string };

/** A rule that names approvers: the default rule (BREAKGLASS_APPROVERS) or one of the policy file's. */
export interface ApproverRule {
  name: string;
  /** user (U…/W…) and user-group (S…) ids */
  approvers: readonly string[];
}

/** Why a person can or cannot approve (the people module's rule: no guests, deactivated users or bots). */
export type ApproverStatus = 'ok' | 'guest' | 'deactivated' | 'bot' | 'unknown';

const APP_SETTINGS = 'https://api.slack.com/apps';

export function reinstallFix(scopes: readonly string[]): string {
  return `add to the app's bot scopes (manifest.yml) and reinstall the app to grant: ${scopes.join(', ')}`;
}

/** The fix for an error any Slack call may answer, or undefined when it is specific to the call. */
function commonFix(answer: { error: string; needed?: string }): string | undefined {
  if (answer.error === 'missing_scope') return reinstallFix([answer.needed ?? 'the scope Slack names']);
  if (['invalid_auth', 'not_authed', 'token_revoked', 'account_inactive'].includes(answer.error))
    return "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (reinstall the app if it was removed)";
  return undefined;
}

export function tokenCheck(answer: SlackAnswer<{ team?: string; user?: string }>): DoctorCheck {
  const name = 'Slack bot token';
  if (answer.ok) {
    const who = [
      answer.value.user && `bot @${answer.value.user}`,
      answer.value.team && `workspace ${answer.value.team}`,
    ];
    const named = who.filter(Boolean).join(', ');
    return { name, status: 'pass', detail: `accepted${named ? ` (${named})` : ''}` };
  }
  return {
    name,
    status: 'fail',
    detail: `Slack answered ${answer.error}`,
    fix: commonFix(answer) ?? 'check that Slack can be reached at SLACK_API_URL, then run doctor again',
  };
}

/** The channel as conversations.info describes it. */
export interface ChannelInfo {
  name?: string;
  isMember: boolean;
}

export function channelCheck(
  channelId: string,
  answer: SlackAnswer<ChannelInfo>,
  botName: string,
): DoctorCheck {
  const name = 'Bot in the approvals channel';
  if (answer.ok) {
    const where = answer.value.name ? `#${answer.value.name}` : channelId;
    return answer.value.isMember
      ? { name, status: 'pass', detail: `the bot is in ${where} (${channelId})` }
      : {
          name,
          status: 'fail',
          detail: `the bot is not in ${where} (${channelId}): it cannot post requests there`,
          fix: `invite the bot: /invite @${botName} in ${where}`,
        };
  }
  if (answer.error === 'channel_not_found')
    return {
      name,
      status: 'fail',
      detail: `Slack finds no channel ${channelId} the bot can see (a private channel is invisible until the bot is invited)`,
      fix: `set BREAKGLASS_CHANNEL_ID to the approvals channel's id (channel details, at the bottom); for a private channel, first invite the bot: /invite @${botName}`,
    };
  return {
    name,
    status: 'fail',
    detail: `conversations.info answered ${answer.error}`,
    fix: commonFix(answer) ?? 'run doctor again; if it persists, check the channel in Slack',
  };
}

/**
 * The granted scopes (from Slack's x-oauth-scopes header) against the manifest's
 * bot scopes, the source of truth for what the code calls.
 */
export function scopesCheck(granted: readonly string[] | undefined, wanted: readonly string[]): DoctorCheck {
  const name = 'Granted scopes';
  if (!granted)
    return {
      name,
      status: 'warn',
      detail: 'Slack did not say which scopes the token has',
      fix: `compare the app's Bot Token Scopes (${APP_SETTINGS} → OAuth & Permissions) with manifest.yml`,
    };
  const have = new Set(granted);
  const missing = wanted.filter((scope) => !have.has(scope));
  if (missing.length)
    return {
      name,
      status: 'fail',
      detail: `the token lacks ${missing.join(', ')} (manifest.yml asks for ${wanted.join(', ')})`,
      fix: reinstallFix(missing),
    };
  const extra = granted.filter((scope) => scope && !wanted.includes(scope));
  return {
    name,
    status: 'pass',
    detail: `all ${wanted.length} scopes of manifest.yml${extra.length ? ` (also granted, unused: ${extra.join(', ')})` : ''}`,
  };
}

/** Which rules name a user group, for the fix ("in BREAKGLASS_APPROVERS" or "in rule prod"). */
function whereNamed(id: string, rules: readonly ApproverRule[], defaultRule: string): string {
  const names = rules.filter((r) => r.approvers.includes(id)).map((r) => r.name);
  const parts = names.map((n) => (n === defaultRule ? 'BREAKGLASS_APPROVERS' : `policy rule ${n}`));
  return parts.join(', ') || 'the approvers';
}

export function groupCheck(
  groupId: string,
  answer: SlackAnswer<readonly string[]>,
  rules: readonly ApproverRule[],
  defaultRule: string,
): DoctorCheck {
  const name = `Approver group ${groupId}`;
  const where = whereNamed(groupId, rules, defaultRule);
  if (answer.ok)
    return answer.value.length
      ? {
          name,
          status: 'pass',
          detail: `${answer.value.length} member${answer.value.length === 1 ? '' : 's'}`,
        }
      : {
          name,
          status: 'fail',
          detail: `user group ${groupId} (named in ${where}) has no members`,
          fix: `user group ${groupId} has no members: add approvers to it in Slack`,
        };
  if (answer.error === 'no_such_subteam')
    return {
      name,
      status: 'fail',
      detail: `Slack knows no user group ${groupId} (named in ${where})`,
      fix: `correct the user-group id in ${where} (a user group's id starts with S)`,
    };
  return {
    name,
    status: 'fail',
    detail: `usergroups.users.list answered ${answer.error}`,
    fix: commonFix(answer) ?? `run doctor again; if it persists, check user group ${groupId} in Slack`,
  };
}

/**
 * The people who could approve under `rule`: listed users, then the members of
 * its groups that resolved, each once, in that order.
 */
export function approverCandidates(
  rule: ApproverRule,
  groups: ReadonlyMap<string, SlackAnswer<readonly string[]>>,
): string[] {
  const people = new Set<string>();
  for (const id of rule.approvers) {
    if (!id.startsWith('S')) people.add(id);
  }
  for (const id of rule.approvers) {
    const answer = id.startsWith('S') ? groups.get(id) : undefined;
    if (answer?.ok) for (const user of answer.value) people.add(user);
  }
  return [...people];
}

const NOT_ELIGIBLE: Record<Exclude<ApproverStatus, 'ok'>, string> = {
  guest: 'a guest',
  deactivated: 'deactivated',
  bot: 'a bot',
  unknown: 'unknown to Slack',
};

/**
 * Two different people must approve, so a rule needs at least two who can:
 * listed users and resolved group members, minus guests, deactivated users and
 * bots (as the people module decides; an unknown answer counts as "cannot").
 * `statuses` holds whom the caller looked up; it may stop once two can.
 */
export function approversCheck(
  rule: ApproverRule,
  candidates: readonly string[],
  statuses: ReadonlyMap<string, ApproverStatus>,
  defaultRule: string,
): DoctorCheck {
  const name = `Two approvers (rule ${rule.name})`;
  const able = candidates.filter((id) => statuses.get(id) === 'ok');
  if (able.length >= 2)
    return {
      name,
      status: 'pass',
      detail: `${candidates.some((id) => !statuses.has(id)) ? 'at least ' : ''}${able.length} can approve`,
    };
  const unable = candidates
    .filter((id) => statuses.has(id) && statuses.get(id) !== 'ok')
    .map((id) => `${id} is ${NOT_ELIGIBLE[statuses.get(id) as Exclude<ApproverStatus, 'ok'>]}`);
  const where = rule.name === defaultRule ? 'BREAKGLASS_APPROVERS' : `policy rule ${rule.name}`;
  return {
    name,
    status: 'fail',
    detail: `${able.length === 0 ? 'nobody' : `only ${able.join(', ')}`} can approve${unable.length ? ` (${unable.join('; ')})` : ''}: two different people must`,
    fix: `add approvers to ${where}: at least two people who are neither guests, deactivated nor bots`,
  };
}

const HOME_SETTING = `${APP_SETTINGS} → App Home → Show Tabs → Home Tab on (manifest.yml: features.app_home.home_tab_enabled: true)`;

/**
 * Slack has no method that says whether the Home tab is on, but views.publish
 * of a home view answers `not_enabled` when it is off (views.publish reference).
 * Without anyone to publish to, it is a manual check.
 */
export function homeCheck(answer: SlackAnswer<string> | { skipped: string }): DoctorCheck {
  const name = 'App Home';
  if ('skipped' in answer)
    return {
      name,
      status: 'warn',
      detail: `not checked: ${answer.skipped}`,
      fix: `check by hand: ${HOME_SETTING}`,
    };
  if (answer.ok)
    return { name, status: 'pass', detail: `the Home tab is enabled (published to ${answer.value})` };
  if (answer.error === 'not_enabled')
    return {
      name,
      status: 'fail',
      detail: 'the Home tab is disabled: approvers cannot see what waits for them',
      fix: `enable the Home tab: ${HOME_SETTING}`,
    };
  return {
    name,
    status: 'warn',
    detail: `could not check: views.publish answered ${answer.error}`,
    fix: commonFix(answer) ?? `check by hand: ${HOME_SETTING}`,
  };
}
