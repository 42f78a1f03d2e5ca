/** Approver routing, pure: checking a policy document, matching an account, and what a rule allows. */
import { describe, expect, it } from 'vitest';
import {
  approverReach,
  checkPolicy,
  checkPolicyAgainst,
  type DefaultRule,
  describeRoute,
  effectiveRule,
  everyone,
  matchRule,
  needsAncestors,
  offeredChoices,
  type Policy,
  type PolicyRule,
  refusedChoice,
  routeOf,
} from '../../src/domain/policy.js';

const DEFAULTS: DefaultRule = {
  approvers: ['UDEFAULT01', 'SDEFAULT01'],
  requesters: [],
  durationsSeconds: [1800, 3600],
  tasks: ['password-recovery', 'unlock-s3', 'unlock-sqs', 'delete-credentials'],
};

const POLICY: Policy = {
  rules: [
    {
      name: 'payments',
      accounts: ['111111111111'],
      ous: [],
      approvers: ['UPAY000001', 'UPAY000002'],
      durationsSeconds: [900],
      tasks: ['password-recovery'],
    },
    {
      name: 'team',
      accounts: [],
      ous: ['ou-ab12-team0001'],
      approvers: ['UTEAM00001', 'UTEAM00002'],
      requesters: ['UREQ000001'],
    },
    { name: 'production', accounts: [], ous: ['ou-ab12-prod0001'], approvers: ['UPROD00001', 'SPROD00001'] },
    { name: 'everything', accounts: [], ous: ['r-ab12'], approvers: ['UROOT00001', 'UROOT00002'] },
  ],
};

describe('matching an account', () => {
  it.each([
    // account, ancestors nearest first, rule, matched
    ['111111111111', ['ou-ab12-team0001', 'ou-ab12-prod0001', 'r-ab12'], 'payments', 'account 111111111111'],
    ['222222222222', ['ou-ab12-team0001', 'ou-ab12-prod0001', 'r-ab12'], 'team', 'ou ou-ab12-team0001'],
    ['222222222222', ['ou-ab12-other001', 'ou-ab12-prod0001', 'r-ab12'], 'production', 'ou ou-ab12-prod0001'],
    ['222222222222', ['ou-ab12-other001', 'r-ab12'], 'everything', 'ou r-ab12'],
    ['222222222222', ['ou-cd34-other001', 'r-cd34'], undefined, undefined],
    ['222222222222', [], undefined, undefined],
  ])('%s under %j: rule %s', (account, ancestors, rule, matched) => {
    const hit = matchRule(POLICY, account, ancestors);
    expect(hit?.rule.name).toBe(rule);
    expect(hit ? `${hit.matched.kind} ${hit.matched.id}` : undefined).toBe(matched);
  });

  it('the account rule wins over the rule of its own OU', () => {
    expect(matchRule(POLICY, '111111111111', ['ou-ab12-prod0001'])?.rule.name).toBe('payments');
  });

  it('asks for the OUs only when no rule lists the account and some rule lists OUs', () => {
    expect(needsAncestors(POLICY, '111111111111')).toBe(false);
    expect(needsAncestors(POLICY, '222222222222')).toBe(true);
    expect(needsAncestors({ rules: POLICY.rules.slice(0, 1) }, '222222222222')).toBe(false);
  });
});

describe('the effective rule', () => {
  it('fills what a rule leaves out from the default rule', () => {
    const team = effectiveRule(POLICY, DEFAULTS, '222222222222', ['ou-ab12-team0001']);
    expect(team).toEqual({
      name: 'team',
      matched: { kind: 'ou', id: 'ou-ab12-team0001' },
      approvers: ['UTEAM00001', 'UTEAM00002'],
      requesters: ['UREQ000001'],
      durationsSeconds: [1800, 3600],
      tasks: DEFAULTS.tasks,
    });
    expect(routeOf(team)).toEqual({
      rule: 'team',
      matched: { kind: 'ou', id: 'ou-ab12-team0001' },
      approvers: ['UTEAM00001', 'UTEAM00002'],
      durationsSeconds: [1800, 3600],
    });
  });

  it('is the default rule when nothing matches, or without a policy', () => {
    for (const policy of [POLICY, undefined]) {
      const rule = effectiveRule(policy, DEFAULTS, '999999999999', ['r-zz99']);
      expect(rule).toEqual({ name: 'default', ...DEFAULTS });
      expect(routeOf(rule)).toEqual({
        rule: 'default',
        approvers: DEFAULTS.approvers,
        durationsSeconds: [1800, 3600],
      });
    }
  });

  it('takes the requesters from BREAKGLASS_REQUESTERS when the rule has none, or nothing matches', () => {
    const defaults = { ...DEFAULTS, requesters: ['UREQ000002'] };
    expect(effectiveRule(POLICY, defaults, '111111111111', []).requesters).toEqual(['UREQ000002']);
    expect(effectiveRule(POLICY, defaults, '999999999999', []).requesters).toEqual(['UREQ000002']);
    expect(effectiveRule(undefined, defaults, '999999999999', []).requesters).toEqual(['UREQ000002']);
  });

  it('refuses a task or duration the rule does not allow, naming the rule', () => {
    const payments = effectiveRule(POLICY, DEFAULTS, '111111111111', []);
    expect(refusedChoice(payments, { task: 'password-recovery', durationSeconds: 900 })).toBeUndefined();
    expect(refusedChoice(payments, { task: 'password-recovery', durationSeconds: 3600 })).toEqual({
      field: 'duration',
      reason: 'Rule "payments" allows 15m for this account.',
    });
    expect(refusedChoice(payments, { task: 'unlock-s3' })).toEqual({
      field: 'task',
      reason: 'Rule "payments" allows only password-recovery for this account.',
    });
  });

  it('lists everything the rule allows when refusing, and checks no duration when none is chosen', () => {
    const rule = effectiveRule(undefined, DEFAULTS, '999999999999', []);
    expect(refusedChoice(rule, { task: 'unlock-s3' })).toBeUndefined();
    expect(
      refusedChoice({ ...rule, tasks: ['unlock-s3', 'unlock-sqs'] }, { task: 'password-recovery' }),
    ).toEqual({
      field: 'task',
      reason: 'Rule "default" allows only unlock-s3, unlock-sqs for this account.',
    });
    expect(refusedChoice(rule, { task: 'unlock-s3', durationSeconds: 900 })).toEqual({
      field: 'duration',
      reason: 'Rule "default" allows 30m, 1h for this account.',
    });
  });
});

describe('what the modal and the listings use', () => {
  it('offers every duration and task some rule allows, in order', () => {
    expect(offeredChoices(POLICY, { ...DEFAULTS, tasks: ['delete-credentials'] })).toEqual({
      durationsSeconds: [900, 1800, 3600],
      tasks: ['password-recovery', 'delete-credentials'],
    });
    expect(offeredChoices(undefined, DEFAULTS)).toEqual({
      durationsSeconds: DEFAULTS.durationsSeconds,
      tasks: DEFAULTS.tasks,
    });
  });

  it('counts everyone approving under some rule; requesters are open when any rule is', () => {
    const all = everyone(POLICY, DEFAULTS);
    expect(all.approvers).toEqual([
      'UDEFAULT01',
      'SDEFAULT01',
      'UPAY000001',
      'UPAY000002',
      'UTEAM00001',
      'UTEAM00002',
      'UPROD00001',
      'SPROD00001',
      'UROOT00001',
      'UROOT00002',
    ]);
    expect(all.requesters).toEqual([]);
    expect(everyone(POLICY, { ...DEFAULTS, requesters: ['UREQ000002'] }).requesters).toEqual([
      'UREQ000002',
      'UREQ000001',
    ]);
  });

  it('without a policy, lists the default approvers and requesters', () => {
    expect(everyone(undefined, { ...DEFAULTS, requesters: ['UREQ000002'] })).toEqual({
      approvers: ['UDEFAULT01', 'SDEFAULT01'],
      requesters: ['UREQ000002'],
    });
  });

  it('describes the route in one short line', () => {
    expect(
      describeRoute({
        rule: 'prod',
        matched: { kind: 'ou', id: 'ou-ab12-prod0001' },
        approvers: [],
        durationsSeconds: [],
      }),
    ).toBe('Rule: prod (OU ou-ab12-prod0001)');
    expect(
      describeRoute({
        rule: 'all',
        matched: { kind: 'ou', id: 'r-ab12' },
        approvers: [],
        durationsSeconds: [],
      }),
    ).toBe('Rule: all (root r-ab12)');
    expect(
      describeRoute({
        rule: 'pay',
        matched: { kind: 'account', id: '111111111111' },
        approvers: [],
        durationsSeconds: [],
      }),
    ).toBe('Rule: pay (account 111111111111)');
    expect(describeRoute({ rule: 'default', approvers: [], durationsSeconds: [] })).toBe(
      'Rule: default (BREAKGLASS_APPROVERS)',
    );
  });
});

describe('checking a policy document', () => {
  it('normalizes a good one: ids deduplicated, durations sorted, tasks in the order Slack shows them', () => {
    const checked = checkPolicy({
      rules: [
        {
          name: 'prod',
          match: { accounts: ['111111111111', 222222222222, '111111111111'], ous: ['ou-ab12-prod0001'] },
          approvers: { users: ['UA00000001', 'UB00000001', 'UA00000001'], groups: ['SG00000001'] },
          durations: ['1h', '15m', '1h'],
          tasks: ['delete-credentials', 'password-recovery'],
        },
      ],
    });
    expect(checked).toEqual({
      policy: {
        rules: [
          {
            name: 'prod',
            accounts: ['111111111111', '222222222222'],
            ous: ['ou-ab12-prod0001'],
            approvers: ['UA00000001', 'UB00000001', 'SG00000001'],
            durationsSeconds: [900, 3600],
            tasks: ['password-recovery', 'delete-credentials'],
          },
        ],
      },
      problems: [],
      warnings: [],
    });
  });

  it('lists the problems of every rule, even when another rule is malformed', () => {
    const checked = checkPolicy({
      rules: [
        { name: 'broken', match: 'everything', approvers: { users: ['UA00000001', 'UB00000001'] } },
        { name: 'solo', match: { ous: ['ou-ab12-prod0001'] }, approvers: { users: ['UA00000001'] } },
        'not a rule',
      ],
    });
    expect(checked.policy).toBeUndefined();
    expect(checked.problems).toEqual([
      'rules[0] (broken).match: Invalid input: expected object, received string',
      'rules[1] (solo).approvers: only one approver (UA00000001): two different people must approve; add a second user or a user group',
      'rules[2]: Invalid input: expected object, received string',
    ]);
  });

  it('knows two distinct users reach two approvers, and a group only maybe', () => {
    expect(approverReach(['UA00000001', 'UB00000001'])).toEqual({});
    expect(approverReach(['UA00000001', 'UA00000001']).problem).toMatch(/only one approver/);
    expect(approverReach([]).problem).toMatch(/no approvers/);
    expect(approverReach(['SG00000001']).warning).toMatch(/at least two members$/);
    expect(approverReach(['UA00000001', 'SG00000001']).warning).toMatch(/at least one other member$/);
  });

  it("refuses a rule's task that BREAKGLASS_TASKS does not offer", () => {
    expect(checkPolicyAgainst(POLICY, { tasks: ['delete-credentials'] })).toEqual([
      'rules[0] (payments).tasks: password-recovery not offered by BREAKGLASS_TASKS (delete-credentials)',
    ]);
    expect(checkPolicyAgainst(POLICY, DEFAULTS)).toEqual([]);
    const s3: PolicyRule = {
      name: 's3',
      accounts: [],
      ous: ['r-ab12'],
      approvers: [],
      tasks: ['unlock-s3', 'unlock-sqs'],
    };
    expect(
      checkPolicyAgainst({ rules: [s3] }, { tasks: ['password-recovery', 'delete-credentials'] }),
    ).toEqual([
      'rules[0] (s3).tasks: unlock-s3, unlock-sqs not offered by BREAKGLASS_TASKS (password-recovery, delete-credentials)',
    ]);
  });
});
