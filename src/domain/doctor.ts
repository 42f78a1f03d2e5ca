/**
 * The doctor's verdicts and their one rendering: a check is pass, warn or fail,
 * and anything but a pass names the exact fix. The CLI prints these lines (in
 * colour on a terminal), Slack shows the same lines escaped (src/slack/blocks/doctor.ts).
 * Pure.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** what fixes a warn or fail: a command, or the exact step to take */
  fix?: string;
}

/** One run of the doctor: when it ran and what it found. */
export interface DoctorResult {
  /** epoch ms */
  at: number;
  checks: DoctorCheck[];
}

export const MARKS: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' };

/**
 * `PASS  name: detail`, and for a warn or fail with a fix a second line
 * `      fix: …`. `mark` dresses the mark (the CLI paints it).
 */
export function doctorLine(check: DoctorCheck, mark: (text: string) => string = (text) => text): string {
  const fix = check.fix ? `\n      fix: ${check.fix}` : '';
  return `${mark(MARKS[check.status])}  ${check.name}: ${check.detail}${fix}`;
}

/** "2 failed, 1 warning, 9 passed": failures first, zero counts left out (all passed: "all 9 passed"). */
export function doctorSummary(checks: readonly DoctorCheck[]): string {
  const count = (status: CheckStatus) => checks.filter((c) => c.status === status).length;
  const failed = count('fail');
  const warned = count('warn');
  const passed = count('pass');
  if (!failed && !warned) return `all ${passed} passed`;
  return [
    failed ? `${failed} failed` : '',
    warned ? `${warned} warning${warned === 1 ? '' : 's'}` : '',
    passed ? `${passed} passed` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** Worst first (fail, warn, pass), keeping the order of checks within each status. */
export function worstFirst(checks: readonly DoctorCheck[]): DoctorCheck[] {
  const rank: Record<CheckStatus, number> = { fail: 0, warn: 1, pass: 2 };
  return checks
    .map((check, i) => ({ check, i }))
    .sort((a, b) => rank[a.check.status] - rank[b.check.status] || a.i - b.i)
    .map(({ check }) => check);
}
