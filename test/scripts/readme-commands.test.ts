/** The README's first command and the sandbox must keep working: run them as a user would. */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** The demo's output with wrapped continuation lines joined (the time and place columns are 39 wide). */
function demo(...flags: string[]): { status: number | null; out: string; flat: string } {
  const args = ['run', '-s', 'demo', ...(flags.length ? ['--', ...flags] : [])];
  const result = spawnSync('npm', args, { encoding: 'utf8', env, timeout: 90_000 });
  const out = result.stdout;
  return { status: result.status, out, flat: out.replace(/\n {39}(?:[+-] )?/g, ' ') };
}

it('npm run demo walks through request, approvals, grant, reminder and verified cleanup', () => {
  const { status, out, flat } = demo();
  expect(status).toBe(0);
  expect(out).toContain('Windows are shortened for the demo: durations 8s,16s');
  expect(out).toContain('only alice sees                Not approved: you cannot approve your own request.');
  // What approvers see: the justification exactly as typed, Approve behind its confirmation, Deny.
  expect(out).toContain('Billing console locked for the root user only. <!channel> please');
  expect(flat).toMatch(
    /\[ Approve \] \(primary\) +asks first: "Approve BG-\w+\?" +Allow root password recovery/,
  );
  expect(out).toContain('[ Deny ] (danger)');
  expect(out).toMatch(/DM to alice +:unlock: Root password recovery is enabled/);
  expect(out).toMatch(/DM to alice +:alarm_clock: Your root window/);
  expect(out).toContain('[ Done, clean up now ] (primary)');
  expect(out).toContain('password: no, access keys: 0, signing certificates: 0, MFA devices: 0');
  expect(out).toContain(
    'requested (alice) -> previewed (scheduler) -> approved (bob) -> approved (carol) -> executed (scheduler)',
  );
}, 100_000);

it('npm run demo -- --deny: the channel message and the requester both show the denial and its reason', () => {
  const { status, out, flat } = demo('--deny');
  expect(status).toBe(0);
  expect(out).toMatch(/modal opens +┌─ modal: Deny request/);
  expect(out).toMatch(
    /#breakglass \(message updated\) +[^\n]*\n(?: {39}[-+] [^\n]*\n)*? {39}\+ :no_entry: Denied by @carol: No incident ticket yet: open one first\./,
  );
  expect(flat).toMatch(
    /DM to alice +:no_entry: Your request BG-\w+ .*Denied by @carol: No incident ticket yet: open one first\./,
  );
  expect(out).toContain('requested (alice) -> previewed (scheduler) -> approved (bob) -> denied (carol)');
  expect(out).not.toContain('executed');
}, 100_000);

it('npm run demo -- --fail: the grant is refused by an SCP; failed first, then what cleanup did', () => {
  const { status, out, flat } = demo('--fail');
  expect(status).toBe(0);
  expect(flat).toMatch(
    /#breakglass \(message updated\) +- :gear: .* :x: Failed: iam:CreateLoginProfile .*explicit deny in a service control policy\. Nothing was granted, so there was nothing to clean up\./,
  );
  expect(out).not.toContain(':lock:');
  expect(flat).toMatch(
    /DM to alice +:x: Allow root password recovery .* failed: .*What to do: A service control policy/,
  );
  expect(out).toContain('password: no, access keys: 0, signing certificates: 0, MFA devices: 0');
  expect(out).toContain('approved (carol) -> execution failed (scheduler)');
}, 100_000);

it('npm run demo refuses an unknown flag', () => {
  const result = spawnSync('npm', ['run', '-s', 'demo', '--', '--denied'], { encoding: 'utf8', env });
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('unknown option --denied');
});

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
