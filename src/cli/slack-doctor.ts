/**
 * The Slack side of `breakglass doctor`, when SLACK_BOT_TOKEN is set: the same
 * checks the bot runs (src/slack/doctor/slack-checks.ts) from the bot's
 * environment. The CLI publishes no Home tab, so that one is a manual check.
 */
import { WebClient } from '@slack/web-api';
import { ConfigError, loadConfig } from '../config/app-config.js';
import type { DoctorCheck } from '../domain/doctor.js';
import { DEFAULT_RULE_NAME } from '../domain/policy.js';
import { MANIFEST_BOT_SCOPES } from '../slack/doctor/manifest-scopes.js';
import { runSlackDoctor } from '../slack/doctor/slack-checks.js';
import { approverRules } from '../slack/doctor/wiring.js';

export const SLACK_SKIPPED: DoctorCheck = {
  name: 'Slack checks',
  status: 'warn',
  detail: 'skipped: SLACK_BOT_TOKEN is not set',
  fix: "set SLACK_BOT_TOKEN, BREAKGLASS_CHANNEL_ID and BREAKGLASS_APPROVERS as the bot has them to check Slack's side too",
};

export async function cliSlackChecks(env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  if (!env.SLACK_BOT_TOKEN) return [SLACK_SKIPPED];
  let config: ReturnType<typeof loadConfig>;
  try {
    // The CLI receives no Slack requests: a signing secret is not needed to check Slack.
    config = loadConfig({ SLACK_SIGNING_SECRET: 'not-used-by-the-cli', ...env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [
      {
        name: 'Slack configuration',
        status: 'fail',
        detail: error.problems.join('; '),
        fix: 'fix the variables named, as the bot has them',
      },
    ];
  }
  const client = new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
  return runSlackDoctor({
    client,
    channelId: config.channelId,
    rules: approverRules(config),
    defaultRule: DEFAULT_RULE_NAME,
    scopes: MANIFEST_BOT_SCOPES,
  });
}
