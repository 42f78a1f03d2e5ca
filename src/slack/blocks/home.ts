/**
 * The App Home tab: what the viewer can act on, what is open, what happened.
 * An approver sees every request and the last setup check; anyone else only
 * their own requests. Pure.
 */
import type { HomeView, KnownBlock } from '@slack/types';
import type { DoctorResult } from '../../domain/doctor.js';
import type { BreakglassRequest } from '../../domain/request.js';
import type { Overview } from '../../workflow/workflow.js';
import { ACTIONS } from '../ids.js';
import { escapeMrkdwn } from '../text.js';
import { doctorHomeBlocks } from './doctor.js';
import { button, context, header, mrkdwnSection } from './kit.js';
import { requestSummary, statusLine } from './request-message.js';

/**
 * "Done, clean up now" beside an open window, only where the viewer may end it:
 * their own, or one whose rule they approve under.
 */
function done(r: BreakglassRequest, mayEnd: readonly string[]) {
  return r.state === 'active' && mayEnd.includes(r.id)
    ? button({ actionId: ACTIONS.done, text: 'Done, clean up now', value: r.id, style: 'primary' })
    : undefined;
}

/**
 * `doctor`: the doctor's last result (cached: rendering never runs a check),
 * shown to approvers only, after what they act on. `notice`: what became of the
 * viewer's last click on the Home (a Home click has no response_url, so the
 * answer is shown at the top of the republished tab).
 */
export function homeView(
  overview: Overview,
  options: { doctor?: { last: DoctorResult | undefined }; notice?: string } = {},
): HomeView {
  const { doctor, notice } = options;
  const section = (title: string, requests: BreakglassRequest[], empty: string): KnownBlock[] => [
    header(title),
    ...(requests.length
      ? requests
          .slice(0, 10)
          .map((r) => mrkdwnSection(`*${requestSummary(r)}*\n${statusLine(r)}`, done(r, overview.mayEnd)))
      : [context(empty)]),
    { type: 'divider' },
  ];
  const top: KnownBlock[] = notice ? [mrkdwnSection(escapeMrkdwn(notice)), { type: 'divider' }] : [];
  const ask = 'Type `/breakglass` to ask for root access.';
  if (!overview.isApprover) {
    return {
      type: 'home',
      blocks: [
        ...top,
        ...section('Your open root windows', overview.active, 'You have no root access open.'),
        ...section('Your recent requests', overview.recent, `No requests of yours yet. ${ask}`),
      ],
    };
  }
  return {
    type: 'home',
    blocks: [
      ...top,
      ...section('Waiting for your approval', overview.toApprove, 'Nothing to approve.'),
      ...section('Open root windows', overview.active, 'No root access is open.'),
      ...section('Recent requests', overview.recent, `No requests yet. ${ask}`),
      ...(doctor ? doctorHomeBlocks(doctor.last) : []),
    ],
  };
}
