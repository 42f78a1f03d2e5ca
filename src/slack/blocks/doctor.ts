/**
 * The doctor's result in Slack: the same lines as the CLI (src/domain/doctor.ts),
 * escaped, in code blocks split over sections within Block Kit's limits. Pure.
 */
import type { KnownBlock } from '@slack/types';
import {
  type DoctorCheck,
  type DoctorResult,
  doctorLine,
  doctorSummary,
  worstFirst,
} from '../../domain/doctor.js';
import { clipMrkdwn, escapeMrkdwn, slackTime, splitMrkdwn } from '../text.js';
import { context, header, LIMITS, mrkdwnSection } from './kit.js';

/** Well under the ~13k characters where Slack starts refusing long messages (msg_blocks_too_long). */
const MESSAGE_TEXT_BUDGET = 11_000;
const FENCE = '```';

/** The lines, escaped, in code blocks of at most one section each, at most `budget` characters in all. */
function lineSections(checks: readonly DoctorCheck[], budget: number): KnownBlock[] {
  const text = clipMrkdwn(
    worstFirst(checks)
      .map((c) => escapeMrkdwn(doctorLine(c)))
      .join('\n'),
    budget,
  );
  return splitMrkdwn(text, LIMITS.sectionText - 2 * FENCE.length - 2).map((piece) =>
    mrkdwnSection(`${FENCE}\n${piece}${FENCE}`),
  );
}

export function doctorMessage(result: DoctorResult): { text: string; blocks: KnownBlock[] } {
  const summary = `Doctor: ${doctorSummary(result.checks)}`;
  return {
    text: summary,
    blocks: [
      mrkdwnSection(`*${summary}*`),
      ...lineSections(result.checks, MESSAGE_TEXT_BUDGET),
      context(`Checked ${slackTime(result.at)}. Each FAIL and WARN line says its fix.`),
    ],
  };
}

/** The App Home section for approvers: the last result and when it ran, problems only (passes counted). */
export function doctorHomeBlocks(result: DoctorResult | undefined): KnownBlock[] {
  const again = 'Run `/breakglass doctor` to check again.';
  if (!result) return [header('Setup check'), context(`The doctor has not finished a run yet. ${again}`)];
  const problems = result.checks.filter((c) => c.status !== 'pass');
  return [
    header('Setup check'),
    mrkdwnSection(`*Doctor: ${doctorSummary(result.checks)}*, last run ${slackTime(result.at)}.`),
    ...(problems.length ? lineSections(problems, LIMITS.sectionText * 2) : []),
    context(again),
  ];
}
