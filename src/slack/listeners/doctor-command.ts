/**
 * `/breakglass doctor`: for requesters and approvers (others refused, as for
 * audit). The command is acked before this runs; the AWS checks go through the
 * listeners' AWS limit; the answer is ephemeral, only the asker sees it.
 */
import type { RespondFn } from '@slack/bolt';
import { doctorMessage } from '../blocks/doctor.js';
import type { SlackDeps } from '../deps.js';
import { withLookupNote } from '../lookup-note.js';

export const DOCTOR_REFUSAL = 'Only break-glass requesters and approvers can run the doctor.';

export async function doctorCommand(userId: string, respond: RespondFn, deps: SlackDeps): Promise<void> {
  const reply = (message: { text: string; blocks?: ReturnType<typeof doctorMessage>['blocks'] }) =>
    respond({ response_type: 'ephemeral', ...message });
  if (!(await deps.people.isApprover(userId)) && !(await deps.people.mayRequest(userId))) {
    await reply({ text: withLookupNote(deps.people, userId, DOCTOR_REFUSAL) });
    return;
  }
  if (!deps.doctor) {
    await reply({ text: 'The doctor is not available in this deployment.' });
    return;
  }
  await reply({ text: 'Checking AWS and Slack…' });
  const result = await deps.doctor.run(userId);
  await reply(doctorMessage(result));
}
