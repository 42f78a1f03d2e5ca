/**
 * Builds the bot's Doctor from its configuration: the AWS checks through the
 * listeners' AWS limit (skipped in DRY_RUN, which touches no AWS), the Slack
 * checks with the bot's own bounded client, every rule's approvers (the
 * default rule and the policy file's), and the App Home published as the bot
 * publishes it.
 */
import type { WebClient } from '@slack/web-api';
import type { AwsClients } from '../../aws/clients.js';
import { runDoctor } from '../../aws/doctor.js';
import type { OrganizationDirectory } from '../../aws/organization.js';
import type { AppConfig } from '../../config/app-config.js';
import type { DoctorCheck } from '../../domain/doctor.js';
import { DEFAULT_RULE_NAME } from '../../domain/policy.js';
import type { ApproverRule } from '../../domain/slack-doctor.js';
import type { Logger } from '../../log.js';
import type { SlackDeps } from '../deps.js';
import { publishHome } from '../home-tab.js';
import { Doctor } from './doctor.js';
import { MANIFEST_BOT_SCOPES } from './manifest-scopes.js';
import { runSlackDoctor } from './slack-checks.js';

/** The default rule (BREAKGLASS_APPROVERS), then each rule of the policy file. */
export function approverRules(config: Pick<AppConfig, 'approvers' | 'policy'>): ApproverRule[] {
  return [
    { name: DEFAULT_RULE_NAME, approvers: config.approvers },
    ...(config.policy?.rules ?? []).map((r) => ({ name: r.name, approvers: r.approvers })),
  ];
}

export const DRY_RUN_AWS: DoctorCheck = {
  name: 'AWS checks',
  status: 'warn',
  detail: 'skipped: DRY_RUN is on, the bot calls no AWS',
  fix: 'unset DRY_RUN (and run doctor again) before relying on the bot',
};

export function botDoctor(options: {
  config: AppConfig;
  clients: AwsClients;
  organization: OrganizationDirectory;
  slack: WebClient;
  deps: SlackDeps;
  log: Logger;
}): Doctor {
  const { config, clients, organization, slack, deps, log } = options;
  return new Doctor({
    aws: () =>
      config.dryRun ? Promise.resolve([DRY_RUN_AWS]) : deps.limitAws(() => runDoctor(clients, organization)),
    slack: (homeUser) =>
      runSlackDoctor({
        client: slack,
        channelId: config.channelId,
        rules: approverRules(config),
        defaultRule: DEFAULT_RULE_NAME,
        scopes: MANIFEST_BOT_SCOPES,
        publishHome: (user) => publishHome(slack, deps, user),
        ...(homeUser ? { homeUser } : {}),
      }),
    log,
  });
}
