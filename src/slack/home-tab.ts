/**
 * Publishes a person's App Home tab: their overview and, for approvers, the
 * doctor's last result (cached; publishing never runs a check or calls AWS).
 */
import type { WebClient } from '@slack/web-api';
import { homeView } from './blocks/home.js';
import type { SlackDeps } from './deps.js';

export async function publishHome(
  client: WebClient,
  deps: Pick<SlackDeps, 'workflow' | 'doctor'>,
  userId: string,
  /** what became of the viewer's last click on the Home, shown at its top */
  notice?: string,
): Promise<void> {
  const overview = await deps.workflow.overview(userId);
  await client.views.publish({
    user_id: userId,
    view: homeView(overview, {
      ...(deps.doctor ? { doctor: { last: deps.doctor.last } } : {}),
      ...(notice ? { notice } : {}),
    }),
  });
}
