/**
 * Runs the Slack side of the doctor against the real Web API: auth.test (the
 * token, and its granted scopes from the x-oauth-scopes header), conversations.info
 * (the bot in the approvals channel), usergroups.users.list for every approver
 * group of every rule, users.info until each rule has two people who can
 * approve, and views.publish of a real home view (Slack answers `not_enabled`
 * when the Home tab is off). The verdicts are src/domain/slack-doctor.ts.
 */
import type { WebClient } from '@slack/web-api';
import type { DoctorCheck } from '../../domain/doctor.js';
import {
  type ApproverRule,
  type ApproverStatus,
  approverCandidates,
  approversCheck,
  channelCheck,
  groupCheck,
  homeCheck,
  type SlackAnswer,
  scopesCheck,
  tokenCheck,
} from '../../domain/slack-doctor.js';

export interface SlackDoctorInputs {
  client: WebClient;
  channelId: string;
  /** the default rule first (named `defaultRule`), then the policy file's */
  rules: readonly ApproverRule[];
  defaultRule: string;
  /** the manifest's bot scopes */
  scopes: readonly string[];
  /**
   * Publishes the Home tab of this user (their real home view). Absent: the
   * Home tab is a manual check.
   */
  publishHome?: (userId: string) => Promise<void>;
  /** whose Home tab to publish (the person who asked); default: the first person who can approve */
  homeUser?: string;
}

/** What a call answered, Slack's error instead of a throw. */
export async function answerOf<T>(call: () => Promise<T>): Promise<SlackAnswer<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    const e = error as { code?: string; message?: string; data?: { error?: string; needed?: string } };
    return {
      ok: false,
      error: e.data?.error ?? e.code ?? e.message ?? String(error),
      ...(e.data?.needed ? { needed: e.data.needed } : {}),
    };
  }
}

export async function runSlackDoctor(inputs: SlackDoctorInputs): Promise<DoctorCheck[]> {
  const { client } = inputs;
  const auth = await answerOf(() => client.auth.test());
  const token = tokenCheck(
    auth.ok ? { ok: true, value: { team: auth.value.team, user: auth.value.user } } : auth,
  );
  if (!auth.ok) return [token];
  const botName = auth.value.user ?? 'breakglass';
  const checks: DoctorCheck[] = [token, scopesCheck(auth.value.response_metadata?.scopes, inputs.scopes)];

  const channel = await answerOf(() => client.conversations.info({ channel: inputs.channelId }));
  checks.push(
    channelCheck(
      inputs.channelId,
      channel.ok
        ? {
            ok: true,
            value: {
              isMember: channel.value.channel?.is_member === true,
              ...(channel.value.channel?.name ? { name: channel.value.channel.name } : {}),
            },
          }
        : channel,
      botName,
    ),
  );

  const groups = new Map<string, SlackAnswer<readonly string[]>>();
  for (const id of new Set(inputs.rules.flatMap((r) => r.approvers.filter((a) => a.startsWith('S'))))) {
    const answer = await answerOf(() => client.usergroups.users.list({ usergroup: id }));
    const members: SlackAnswer<readonly string[]> = answer.ok
      ? { ok: true, value: answer.value.users ?? [] }
      : answer;
    groups.set(id, members);
    checks.push(groupCheck(id, members, inputs.rules, inputs.defaultRule));
  }

  const statuses = new Map<string, ApproverStatus>();
  const statusOf = async (user: string): Promise<ApproverStatus> => {
    const known = statuses.get(user);
    if (known) return known;
    const answer = await answerOf(() => client.users.info({ user }));
    const u = answer.ok ? answer.value.user : undefined;
    const status: ApproverStatus = !u
      ? 'unknown'
      : u.deleted
        ? 'deactivated'
        : u.is_bot
          ? 'bot'
          : u.is_restricted || u.is_ultra_restricted
            ? 'guest'
            : 'ok';
    statuses.set(user, status);
    return status;
  };
  let firstApprover: string | undefined;
  for (const rule of inputs.rules) {
    const candidates = approverCandidates(rule, groups);
    let able = 0;
    // Stop at two: a large group need not be looked up person by person.
    for (const user of candidates) {
      if (able >= 2) break;
      if ((await statusOf(user)) === 'ok') {
        able += 1;
        firstApprover ??= user;
      }
    }
    checks.push(approversCheck(rule, candidates, statuses, inputs.defaultRule));
  }

  const homeUser = inputs.homeUser ?? firstApprover;
  const { publishHome } = inputs;
  checks.push(
    homeCheck(
      !publishHome
        ? { skipped: 'the CLI does not publish Home tabs' }
        : !homeUser
          ? { skipped: 'nobody to publish a Home tab to' }
          : await answerOf(async () => {
              await publishHome(homeUser);
              return homeUser;
            }),
    ),
  );
  return checks;
}
