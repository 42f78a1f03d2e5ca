/** The policy file's accounts and OUs against the fake organization: unknown ids are problems, unreadable ones warnings. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPolicyTargets } from '../../src/aws/policy-targets.js';
import { checkPolicy, type Policy } from '../../src/domain/policy.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

let env: FakeAwsEnv;
beforeEach(async () => {
  env = await startFakeAwsEnv({ maxAttempts: 1 });
  seedMembers(env.fake, 2, 0);
  env.fake.placeIn(memberId(1), 'ou-ab12-prod1234');
});
afterEach(() => env.close());

function policy(rules: string): Policy {
  const checked = checkPolicy({
    rules: JSON.parse(rules) as unknown[],
  });
  if (!checked.policy) throw new Error(checked.problems.join('\n'));
  return checked.policy;
}

const check = (p: Policy) =>
  checkPolicyTargets(p, env.clients.organizations, () => env.organization.listAccounts());

const APPROVERS = { users: ['U0AAAA1', 'U0BBBB2'] };

describe('checkPolicyTargets', () => {
  it('accepts accounts, OUs and the root that exist', async () => {
    const p = policy(
      JSON.stringify([
        {
          name: 'a',
          match: { accounts: [memberId(2)], ous: ['ou-ab12-prod1234', 'r-fake'] },
          approvers: APPROVERS,
        },
      ]),
    );
    expect(await check(p)).toEqual({ problems: [], warnings: [] });
  });

  it('lists every unknown account, OU and root, one line each naming the rule', async () => {
    const p = policy(
      JSON.stringify([
        { name: 'prod', match: { ous: ['ou-ab12-prod1243', 'ou-ab12-prod1234'] }, approvers: APPROVERS },
        { name: 'one', match: { accounts: ['299999999999'], ous: ['r-ab12'] }, approvers: APPROVERS },
      ]),
    );
    const { problems, warnings } = await check(p);
    expect(warnings).toEqual([]);
    expect(problems).toEqual([
      'rules[1] (one).match.accounts: 299999999999 is not an account of the organization; a mistyped id never matches, so these accounts would be decided by the default rule',
      'rules[0] (prod).match.ous: ou-ab12-prod1243 is not an OU of the organization; a mistyped id never matches, so these accounts would be decided by the default rule',
      'rules[1] (one).match.ous: r-ab12 is not the root of the organization (r-fake); a mistyped id never matches, so these accounts would be decided by the default rule',
    ]);
  });

  it('warns, naming the missing permission, when an OU cannot be read', async () => {
    env.fake.failNext('DescribeOrganizationalUnit', 'AccessDeniedException', { status: 400 });
    const p = policy(
      JSON.stringify([{ name: 'prod', match: { ous: ['ou-ab12-prod1234'] }, approvers: APPROVERS }]),
    );
    const { problems, warnings } = await check(p);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^rules\[0\] \(prod\)\.match\.ous: ou-ab12-prod1234 not checked: .*AccessDenied.*needs organizations:DescribeOrganizationalUnit/,
      ),
    ]);
  });
});
