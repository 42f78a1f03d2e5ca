import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { RootTaskError } from '../../aws/errors.js';
import { describeAudit } from '../../aws/root-task-text.js';
import { checkAccountId } from '../../domain/aws-identifiers.js';
import { formatDuration } from '../../domain/durations.js';
import { RateLimiter, type RateRule } from '../../domain/rate-limit.js';
import { afterPendingAcks } from '../ack-first.js';
import { requestModal } from '../blocks/modals.js';
import { recordLines, requestSummary, statusLine } from '../blocks/request-message.js';
import type { SlackDeps } from '../deps.js';
import { COMMAND } from '../ids.js';
import { withLookupNote } from '../lookup-note.js';
import { escapeMrkdwn } from '../text.js';
import { auditAllReply } from './audit-all.js';
import { doctorCommand } from './doctor-command.js';
import { hardenCommandReply } from './harden.js';
import { openThenCheck } from './open-first.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export const HELP = [
  '*`/breakglass`* opens a request for root access to a member account (two approvers needed).',
  "*`/breakglass status [id]`* shows a request (default: your latest; approvers see anyone's).",
  '*`/breakglass list`* lists recent requests (yours; approvers see all).',
  '*`/breakglass cancel <id>`* withdraws a pending request, or ends an open root window now (cleanup runs).',
  '*`/breakglass audit <account-id>`* shows the root credentials of an account (read-only, only you see it).',
  '*`/breakglass doctor`* checks the AWS and Slack setup and says how to fix what fails (only you see it).',
  '*`/breakglass audit all`* audits every account; the summary and a CSV go to the approvals channel.',
  '*`/breakglass harden <account-id…>|all-present`* asks two approvers to delete root credentials from those accounts (all-present: what the last org-wide audit found).',
  '*`/breakglass help`* shows this.',
].join('\n');

/**
 * `/breakglass audit` per person: who has root credentials where is sensitive
 * and each audit opens a root session, so one person cannot sweep the
 * organization from Slack (operators have the CLI).
 */
export const AUDIT_RATE: RateRule = { limit: 5, windowMs: 10 * 60_000 };

export const NOT_A_REQUESTER =
  'You may not request break-glass access: only people on the requesters list may, and guests never. Ask an approver.';

export function registerCommands(app: App, deps: SlackDeps): void {
  const audits = new RateLimiter(AUDIT_RATE);
  app.command(COMMAND, (args) => breakglassCommand(args, deps, audits));
}

export async function breakglassCommand(
  args: CommandArgs,
  deps: SlackDeps,
  audits: RateLimiter,
): Promise<void> {
  const { ack, command, respond, client } = args;
  await ack();
  await afterPendingAcks();
  const [sub = '', ...rest] = command.text.trim().split(/\s+/).filter(Boolean);
  const reply = (text: string) => respond({ response_type: 'ephemeral', text });
  switch (sub.toLowerCase()) {
    case '': {
      // The trigger id expires 3 s after the command, and mayRequest may look up a user
      // group (slow, low tier): open the modal first, then check.
      await openThenCheck({
        client,
        triggerId: command.trigger_id,
        view: requestModal(deps.workflow.choices()),
        allowed: () => deps.people.mayRequest(command.user_id),
        refusal: {
          title: 'Break-glass request',
          text: () => withLookupNote(deps.people, command.user_id, NOT_A_REQUESTER),
        },
        tell: reply,
        log: deps.log,
      });
      return;
    }
    case 'status': {
      // Someone else's request is "not found" to a non-approver: the answer never tells whether an id exists.
      const id = rest[0];
      const request = id
        ? await deps.workflow.visibleRequest(command.user_id, id)
        : await deps.workflow.latestOf(command.user_id);
      await reply(
        request
          ? `*${requestSummary(request)}*\n${statusLine(request)}\n${recordLines(request)}`
          : `No request ${id ? escapeMrkdwn(id) : 'of yours'} found.`,
      );
      return;
    }
    case 'list': {
      const { isApprover, requests } = await deps.workflow.visibleList(command.user_id, 15);
      await reply(
        requests.length
          ? requests.map((r) => `• *${requestSummary(r)}*: ${statusLine(r)}`).join('\n')
          : isApprover
            ? 'No requests yet.'
            : 'You have no requests yet.',
      );
      return;
    }
    case 'cancel': {
      if (!rest[0]) {
        await reply('Usage: `/breakglass cancel <id>`, e.g. `/breakglass cancel BG-7K2M9Q`.');
        return;
      }
      const id = rest[0].toUpperCase();
      if (!(await deps.workflow.visibleRequest(command.user_id, id))) {
        await reply(`No request ${escapeMrkdwn(rest[0])} found.`);
        return;
      }
      const result = await deps.workflow.actions.cancel(id, command.user_id);
      await reply(escapeMrkdwn(result.text));
      return;
    }
    case 'audit': {
      if (!rest[0]) {
        await reply('Usage: `/breakglass audit <12-digit account id>` or `/breakglass audit all`.');
        return;
      }
      // Read-only, but who has root credentials where is sensitive: requesters and approvers only.
      const user = command.user_id;
      if (!(await deps.people.isApprover(user)) && !(await deps.people.mayRequest(user))) {
        await reply(
          withLookupNote(deps.people, user, 'Only break-glass requesters and approvers can audit accounts.'),
        );
        return;
      }
      if (rest[0].toLowerCase() === 'all') {
        await reply(await auditAllReply(deps, user));
        return;
      }
      const account = checkAccountId(rest[0]);
      if (!account.ok) {
        await reply(escapeMrkdwn(account.reason));
        return;
      }
      const allowed = audits.take(user);
      if (!allowed.ok) {
        const wait = formatDuration(Math.ceil((allowed.retryAt - Date.now()) / 1000));
        // Slack shows <!date^…> in the reader's time zone; the fallback is UTC.
        const at = `<!date^${Math.ceil(allowed.retryAt / 1000)}^{time}|${new Date(allowed.retryAt).toISOString().slice(11, 16)} UTC>`;
        await reply(
          `You have run ${AUDIT_RATE.limit} audits in the last ${formatDuration(AUDIT_RATE.windowMs / 1000)}, the most allowed. Try again in ${wait} (at ${at}).`,
        );
        return;
      }
      await reply(`Auditing root credentials of \`${account.value}\`…`);
      try {
        const audit = await deps.limitAws(() => deps.tasks.auditRootCredentials(account.value));
        await reply(`Root credentials of \`${audit.accountId}\`: ${escapeMrkdwn(describeAudit(audit))}.`);
      } catch (error) {
        const e = error instanceof RootTaskError ? error : new RootTaskError('unexpected', String(error));
        await reply(
          `Audit failed: ${escapeMrkdwn(e.message)}${e.kind === 'invalid-input' ? '' : `\n*What to do:* ${escapeMrkdwn(e.remediation)}`}`,
        );
      }
      return;
    }
    case 'harden':
      await reply(await hardenCommandReply(deps, command.user_id, rest, command.trigger_id));
      return;
    case 'doctor':
      await doctorCommand(command.user_id, respond, deps);
      return;
    default:
      await reply(sub.toLowerCase() === 'help' ? HELP : `Unknown command \`${escapeMrkdwn(sub)}\`.\n${HELP}`);
  }
}
