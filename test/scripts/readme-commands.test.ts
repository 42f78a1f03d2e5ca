/** The README's first command and the sandbox must keep working: run them as a user would. */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

it('npm run demo walks through request, approvals, grant, reminder and verified cleanup', () => {
  const result = spawnSync('npm', ['run', '-s', 'demo'], { encoding: 'utf8', env, timeout: 90_000 });
  expect(result.status).toBe(0);
  const out = result.stdout;
  expect(out).toContain('only alice sees                Not approved: you cannot approve your own request.');
  expect(out).toMatch(/DM to alice +:unlock: Root password recovery is enabled/);
  expect(out).toMatch(/DM to alice +:alarm_clock: Your root window/);
  expect(out).toContain('password: no, access keys: 0, signing certificates: 0, MFA devices: 0');
  expect(out).toContain(
    'requested (alice) -> previewed (scheduler) -> approved (bob) -> approved (carol) -> executed (scheduler)',
  );
}, 100_000);

it('npm run sandbox -- audit --all audits the fake organization', () => {
  const result = spawnSync('npm', ['run', '-s', 'sandbox', '--', 'audit', '--all', '--csv'], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  expect(result.status).toBe(0);
  expect(result.stdout.trim().split('\n')).toHaveLength(51);
  expect(result.stderr).toContain('50 accounts audited');
}, 70_000);
