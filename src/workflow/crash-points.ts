/**
 * Test-only crash points at the step boundaries of execute and cleanup: with
 * BREAKGLASS_TEST_CRASH_AT=<point> the process kills itself (SIGKILL, no
 * cleanup handlers) when it reaches that point, so the fault-matrix tests can
 * prove that a restart finishes every step. Unset in production: a no-op.
 */
export const CRASH_POINTS = [
  'execute:before-task',
  'execute:after-task',
  'cleanup:before-delete',
  'cleanup:after-delete',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export function crashAt(point: CrashPoint, armed: string | undefined): void {
  if (armed === point) process.kill(process.pid, 'SIGKILL');
}
