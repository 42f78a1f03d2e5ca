/**
 * What start-up checks outside the process before anything is announced: that
 * Slack accepts the bot token (`auth.test`), that the AWS SDK finds
 * credentials, and then that every approver rule relying on a user group
 * reaches two people. A problem is one plain line saying what to do, listed with the
 * configuration's own problems.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { WebClient } from '@slack/web-api';
import { silentLogger } from './log.js';
import { boltLogger } from './slack/bolt-logger.js';
import { toDeliveryError } from './slack/delivery-errors.js';
import { mayActFor } from './slack/people.js';

/** Each check gives up after this long: a start-up never hangs on it. */
export const STARTUP_CHECK_TIMEOUT_MS = 5_000;

/** Who the token is, from auth.test. */
export interface SlackIdentity {
  /** the workspace the app is installed in */
  teamId: string | undefined;
  botUserId: string | undefined;
  /** the bot's id (B…), which Bolt needs beside the user id to skip its own auth.test */
  botId: string | undefined;
}

export type SlackTokenCheck =
  | { kind: 'ok'; identity: SlackIdentity }
  /** Slack refused the token: it will refuse every call, so the bot must not start. */
  | { kind: 'refused'; problem: string }
  /**
   * Slack did not answer (outage, timeout, rate limit): the bot starts anyway,
   * because cleanups must never wait on Slack, and learns its workspace later.
   */
  | { kind: 'unreachable'; reason: string };

const REINSTALL =
  'reinstall the app to the workspace (api.slack.com/apps → your app → Install App) and set SLACK_BOT_TOKEN to the new Bot User OAuth Token (xoxb-…)';

/** The remedy for each way Slack refuses a token. */
const TOKEN_REMEDIES: Record<string, string> = {
  invalid_auth: `Slack does not know SLACK_BOT_TOKEN (invalid_auth): it is mistyped, from another app or workspace, or the app was uninstalled; copy the Bot User OAuth Token from the app's OAuth & Permissions page, or ${REINSTALL}`,
  token_revoked: `SLACK_BOT_TOKEN has been revoked (token_revoked): ${REINSTALL}`,
  account_inactive: `SLACK_BOT_TOKEN belongs to a deactivated workspace or app user (account_inactive): ${REINSTALL} in an active workspace`,
  not_authed:
    "Slack received no bot token (not_authed): set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)",
  token_expired: `SLACK_BOT_TOKEN has expired (token_expired): the app has token rotation on, which the bot does not support; turn it off and ${REINSTALL}`,
};

/** Asks Slack who the token is, once, with no retries and a time limit. */
export async function checkSlackToken(
  token: string,
  apiUrl: string,
  timeoutMs = STARTUP_CHECK_TIMEOUT_MS,
): Promise<SlackTokenCheck> {
  const client = new WebClient(token, {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    // What matters is returned; the client's own lines are not wanted here.
    logger: boltLogger(silentLogger),
  });
  try {
    const answer = await client.auth.test();
    return {
      kind: 'ok',
      identity: { teamId: answer.team_id || undefined, botUserId: answer.user_id, botId: answer.bot_id },
    };
  } catch (error) {
    const failure = toDeliveryError(error);
    if (failure.failure !== 'permanent') return { kind: 'unreachable', reason: failure.code };
    return {
      kind: 'refused',
      problem:
        TOKEN_REMEDIES[failure.code] ??
        `Slack refused SLACK_BOT_TOKEN (${failure.code}): check the token and SLACK_API_URL, or ${REINSTALL}`,
    };
  }
}

const NO_CREDENTIALS =
  'no AWS credentials found: set AWS_PROFILE (a profile in ~/.aws/config, e.g. after `aws sso login`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role (ECS task role, EC2 instance profile); or set DRY_RUN=1 to try the bot without AWS';

/**
 * Resolves the SDK's default credential chain (environment, profiles, SSO,
 * web identity, ECS and EC2 metadata) the way every client of the bot will.
 * Undefined when credentials were found, else the problem line.
 */
export async function checkAwsCredentials(
  region: string,
  profile: string | undefined,
  timeoutMs = STARTUP_CHECK_TIMEOUT_MS,
): Promise<string | undefined> {
  const sts = new STSClient({ region });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const found = await Promise.race([sts.config.credentials(), timeout]);
    if (found === 'timeout') {
      return `no AWS credentials found within ${timeoutMs / 1000} s (the SDK's chain did not finish: is the instance metadata service slow?): ${NO_CREDENTIALS.slice(NO_CREDENTIALS.indexOf('set '))}`;
    }
    return undefined;
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    const none = /from any providers/i.test(message);
    if (profile) {
      const detail = none ? '' : ` (${message.replace(/\.$/, '')})`;
      return `no AWS credentials found for AWS_PROFILE "${profile}"${detail}: check that ~/.aws/config (or AWS_CONFIG_FILE) has this profile, and for SSO run \`aws sso login --profile ${profile}\`; or set DRY_RUN=1 to try the bot without AWS`;
    }
    if (none) return NO_CREDENTIALS;
    return `AWS credentials could not be loaded: ${message}; fix the profile or credentials named, or set DRY_RUN=1 to try the bot without AWS`;
  } finally {
    clearTimeout(timer);
    sts.destroy();
  }
}

/** An approver rule to check: its name, where it comes from, its approvers (U…/W… users, S… groups). */
export interface ApproverRule {
  /** e.g. `the rule "default" (BREAKGLASS_APPROVERS)` */
  label: string;
  approvers: readonly string[];
}

export interface ApproverReachCheck {
  /** rules that cannot reach two distinct people, one line each naming the rule and its groups */
  problems: string[];
  /** rules that could not be checked (Slack did not answer) */
  warnings: string[];
}

type Lookup<T> = { ok: true; value: T } | { ok: false; permanent: boolean; code: string };

/**
 * For every rule whose approvers include a user group: the group's members from
 * usergroups.users.list, then users.info until two distinct full members
 * (guests, deactivated users and bots do not count, as at every click) are
 * found. Fewer than two is a problem; a lookup Slack did not answer is a
 * warning, never a problem (the bot must still start and clean up).
 */
export async function checkApproverReach(
  token: string,
  apiUrl: string,
  rules: readonly ApproverRule[],
  timeoutMs = STARTUP_CHECK_TIMEOUT_MS,
): Promise<ApproverReachCheck> {
  const client = new WebClient(token, {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    logger: boltLogger(silentLogger),
  });
  const ask = async <T>(call: () => Promise<T>): Promise<Lookup<T>> => {
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      const failure = toDeliveryError(error);
      return { ok: false, permanent: failure.failure === 'permanent', code: failure.code };
    }
  };
  const groups = new Map<string, Promise<Lookup<string[]>>>();
  const members = new Map<string, Promise<Lookup<boolean>>>();
  const groupMembers = (id: string) => {
    let hit = groups.get(id);
    if (!hit) {
      hit = ask(async () => (await client.usergroups.users.list({ usergroup: id })).users ?? []);
      groups.set(id, hit);
    }
    return hit;
  };
  const fullMember = (id: string) => {
    let hit = members.get(id);
    if (!hit) {
      hit = ask(async () => mayActFor((await client.users.info({ user: id })).user));
      members.set(id, hit);
    }
    return hit;
  };

  const problems: string[] = [];
  const warnings: string[] = [];
  for (const rule of rules) {
    const groupIds = rule.approvers.filter((id) => id.startsWith('S'));
    if (!groupIds.length) continue; // users alone are checked with the configuration
    const unknown: string[] = [];
    const groupNotes: string[] = [];
    const candidates = rule.approvers.filter((id) => !id.startsWith('S'));
    for (const group of groupIds) {
      const listed = await groupMembers(group);
      if (listed.ok) {
        candidates.push(...listed.value);
        groupNotes.push(
          `user group ${group} has ${listed.value.length} member${listed.value.length === 1 ? '' : 's'}`,
        );
      } else if (listed.permanent) {
        groupNotes.push(`user group ${group} cannot be read (${listed.code})`);
      } else unknown.push(`usergroups.users.list ${group}: ${listed.code}`);
    }
    const people: string[] = [];
    for (const id of new Set(candidates)) {
      if (people.length >= 2) break;
      const full = await fullMember(id);
      if (full.ok && full.value) people.push(id);
      else if (!full.ok && !full.permanent) unknown.push(`users.info ${id}: ${full.code}`);
    }
    if (people.length >= 2) continue;
    if (unknown.length) {
      warnings.push(
        `could not check that ${rule.label} reaches two different approvers (Slack did not answer: ${unknown[0]}); checked again at every click`,
      );
      continue;
    }
    const who = people.length ? `only one person who may approve (${people[0]})` : 'nobody who may approve';
    problems.push(
      `${rule.label} reaches ${who}: ${groupNotes.join('; ')} (guests, deactivated users and bots do not count); two different people must approve, so add members to the group or list more approvers`,
    );
  }
  return { problems, warnings };
}
