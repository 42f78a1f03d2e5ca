/**
 * Approver routing at run time: an account's OUs are read only when a rule
 * needs them, and a submission waits for them at most the lookup timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkPolicy, type DefaultRule } from '../../src/domain/policy.js';
import { PolicyRouting, RoutingTimeout } from '../../src/workflow/policy-routing.js';

const BY_ACCOUNT = '111111111111';
const UNDER_OU = '222222222222';
const OU = 'ou-abcd-12345678';

const DEFAULTS: DefaultRule = {
  approvers: ['UDEFAULT1', 'UDEFAULT2'],
  requesters: [],
  durationsSeconds: [1800],
  tasks: ['password-recovery'],
};

function policy() {
  const checked = checkPolicy({
    version: 1,
    rules: [
      { name: 'direct', match: { accounts: [BY_ACCOUNT] }, approvers: { users: ['UDIRECT01', 'UDIRECT02'] } },
      {
        name: 'team',
        match: { ous: [OU] },
        approvers: { users: ['UTEAM0001', 'UTEAM0002'] },
        requesters: { users: ['UTEAMREQ1'] },
        durations: ['2h'],
      },
    ],
  });
  if (!checked.policy) throw new Error(checked.problems.join('; '));
  return checked.policy;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PolicyRouting', () => {
  it('routes by account without reading OUs, and by OU after reading them', async () => {
    const asked: string[] = [];
    const routing = new PolicyRouting(policy(), DEFAULTS, async (id) => {
      asked.push(id);
      return id === UNDER_OU ? [OU, 'r-root'] : ['r-root'];
    });
    expect(routing.needsOus(BY_ACCOUNT)).toBe(false);
    expect(routing.needsOus(UNDER_OU)).toBe(true);
    expect(await routing.ruleFor(BY_ACCOUNT)).toMatchObject({
      name: 'direct',
      approvers: ['UDIRECT01', 'UDIRECT02'],
    });
    expect(asked).toEqual([]);
    expect(await routing.ruleFor(UNDER_OU)).toMatchObject({
      name: 'team',
      matched: { kind: 'ou', id: OU },
      durationsSeconds: [7200],
    });
    expect(await routing.ruleFor('333333333333')).toMatchObject({
      name: 'default',
      approvers: DEFAULTS.approvers,
    });
    expect(asked).toEqual([UNDER_OU, '333333333333']);
  });

  it('offers every duration some rule allows, and knows everyone who approves or may request', () => {
    const routing = new PolicyRouting(policy(), DEFAULTS, async () => []);
    expect(routing.choices).toEqual({ durationsSeconds: [1800, 7200], tasks: ['password-recovery'] });
    expect(routing.everyone.approvers).toEqual(
      expect.arrayContaining(['UDEFAULT1', 'UDIRECT01', 'UTEAM0001', 'UTEAM0002']),
    );
    // The default rule lets anyone request: so does the routing as a whole.
    expect(routing.everyone.requesters).toEqual([]);
  });

  it('gives up on OUs not known within the timeout, and leaves no timer behind when they are', async () => {
    vi.useFakeTimers();
    const never = new PolicyRouting(policy(), DEFAULTS, () => new Promise<string[]>(() => {}), 1500);
    const late = never.ruleFor(UNDER_OU);
    const failed = expect(late).rejects.toThrow(
      new RoutingTimeout(`the OUs of ${UNDER_OU} were not known within 1500 ms`),
    );
    await vi.advanceTimersByTimeAsync(1499);
    let settled = false;
    late
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await failed;
    await late.catch((error: unknown) => {
      expect(error).toBeInstanceOf(RoutingTimeout);
      expect((error as Error).name).toBe('RoutingTimeout');
    });

    const quick = new PolicyRouting(policy(), DEFAULTS, async () => [OU]);
    expect((await quick.ruleFor(UNDER_OU)).name).toBe('team');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits 1.5 s by default', async () => {
    vi.useFakeTimers();
    const routing = new PolicyRouting(policy(), DEFAULTS, () => new Promise<string[]>(() => {}));
    const late = routing.ruleFor(UNDER_OU);
    late.catch(() => {});
    await vi.advanceTimersByTimeAsync(1500);
    await expect(late).rejects.toThrow('within 1500 ms');
  });

  it('passes on a lookup that fails', async () => {
    const routing = new PolicyRouting(policy(), DEFAULTS, async () => {
      throw new Error('AccessDenied: organizations:ListParents');
    });
    await expect(routing.ruleFor(UNDER_OU)).rejects.toThrow('ListParents');
  });
});
