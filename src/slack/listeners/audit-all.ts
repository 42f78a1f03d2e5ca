/**
 * `/breakglass audit all`: starts the org-wide audit (its summary and CSV go to
 * the approvals channel through the outbox), or tells the asker which audit is
 * running and when it should finish; a second request starts nothing.
 */
import { formatDuration } from '../../domain/durations.js';
import type { SlackDeps } from '../deps.js';
import { mention, slackTime } from '../text.js';

export async function auditAllReply(deps: SlackDeps, userId: string, now = Date.now()): Promise<string> {
  const result = await deps.workflow.orgAudits.start(userId);
  if (result.started) {
    return `Auditing every member account (audit ${result.run.id}). Progress and the summary are posted in the approvals channel, with the full result as a CSV file in its thread.`;
  }
  const run = result.running;
  const progress =
    run.total !== undefined
      ? `${run.done.toLocaleString('en-US')} of ${run.total.toLocaleString('en-US')} accounts audited`
      : `${run.done.toLocaleString('en-US')} accounts audited so far (the account list is still being read)`;
  const finish =
    result.finishAt !== undefined
      ? `it should finish around ${slackTime(result.finishAt)} (in about ${formatDuration(Math.max(1, Math.ceil((result.finishAt - now) / 1000)))})`
      : 'its finish time is known once the account list has been read and the first accounts audited';
  const who = run.scheduled ? 'the scheduled drift check' : `asked by ${mention(run.requestedBy)}`;
  const where = run.scheduled
    ? 'Its summary is posted in the approvals channel only if it finds drift to alert.'
    : 'Its summary is in the approvals channel.';
  return `An org-wide audit is already running (${run.id}, ${who} at ${slackTime(run.startedAt)}): ${progress}; ${finish}. ${where} Nothing new was started.`;
}
