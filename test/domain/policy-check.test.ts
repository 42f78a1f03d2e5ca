/** Checking a policy document: the exact line a person sees for each mistake in the file. */
import { describe, expect, it } from 'vitest';
import { checkPolicy } from '../../src/domain/policy.js';

const TWO_USERS = { users: ['UA00000001', 'UB00000001'] };

/** A rule the checker accepts, with some of its fields replaced. */
function rule(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'prod', match: { ous: ['ou-ab12-prod0001'] }, approvers: TWO_USERS, ...fields };
}

const LONG_NAME = 'p'.repeat(65);
const RULE_NAME_RULE = 'is not a rule name (letters, digits, _ . -; at most 64)';
const ACCOUNT_IN_QUOTES =
  'is not a 12-digit account id; write account ids in quotes ("012345678901"): YAML reads unquoted digits as a number and drops leading zeros';

describe('the document as a whole', () => {
  it.each([
    ['no "rules:" key', {}, 'rules: missing: the file needs a "rules:" list'],
    ['"rules:" not a list', { rules: 'prod' }, 'rules: must be a list of rules'],
    [
      'an empty "rules:" list',
      { rules: [] },
      'rules: list at least one rule (without rules, unset BREAKGLASS_POLICY)',
    ],
    ['a version other than 1', { version: 2, rules: [rule()] }, 'version: version must be 1'],
    ['one unknown key', { rule: [], rules: [rule()] }, 'unknown key "rule"'],
    ['two unknown keys', { rule: [], approvers: {}, rules: [rule()] }, 'unknown keys "rule", "approvers"'],
    ['a list instead of a mapping', [rule()], 'Invalid input: expected object, received array'],
    ['no document at all', undefined, 'missing'],
  ])('%s: one line, and no policy', (_, data, line) => {
    expect(checkPolicy(data)).toEqual({ problems: [line], warnings: [] });
  });

  it('accepts "version: 1"', () => {
    expect(checkPolicy({ version: 1, rules: [rule()] }).problems).toEqual([]);
  });
});

describe('one rule', () => {
  it.each([
    // what is wrong, the rule, the lines
    [
      'every required key missing',
      {},
      ['rules[0].name: missing', 'rules[0].match: missing', 'rules[0].approvers: missing'],
    ],
    ['a null rule', null, ['rules[0]: Invalid input: expected object, received null']],
    ['an unknown key', rule({ approver: {} }), ['rules[0] (prod): unknown key "approver"']],
    [
      'unknown keys under match',
      rule({ match: { account: ['111111111111'], ou: ['ou-ab12-prod0001'] } }),
      ['rules[0] (prod).match: unknown keys "account", "ou"'],
    ],
    [
      'a match listing nothing',
      rule({ match: {} }),
      ['rules[0] (prod).match: list accounts or ous; a rule that matches nothing never applies'],
    ],
    [
      'empty requesters',
      rule({ requesters: { users: [] } }),
      [
        'rules[0] (prod).requesters: list users or groups, or leave requesters out to use BREAKGLASS_REQUESTERS',
      ],
    ],
    [
      'no durations',
      rule({ durations: [] }),
      ['rules[0] (prod).durations: list at least one duration, or leave durations out'],
    ],
    ['no tasks', rule({ tasks: [] }), ['rules[0] (prod).tasks: list at least one task, or leave tasks out']],
    [
      'a duration it cannot read',
      rule({ durations: ['1h', 'forever'] }),
      ['rules[0] (prod).durations[1]: "forever" is not a duration such as 15m, 1h or 1h30m'],
    ],
    [
      'a task that does not exist',
      rule({ tasks: ['unlock-s3', 'unlock-ec2'] }),
      [
        'rules[0] (prod).tasks[1]: "unlock-ec2" is not a task; tasks are password-recovery, unlock-s3, unlock-sqs, delete-credentials',
      ],
    ],
  ])('%s', (_, item, lines) => {
    expect(checkPolicy({ rules: [item] })).toEqual({ problems: lines, warnings: [] });
  });

  it.each([
    // the name, the line
    ['-prod', `rules[0] (-prod).name: "-prod" ${RULE_NAME_RULE}`],
    ['prod eu', `rules[0] (prod eu).name: "prod eu" ${RULE_NAME_RULE}`],
    [LONG_NAME, `rules[0].name: "${LONG_NAME}" ${RULE_NAME_RULE}`],
    [['prod'], 'rules[0].name: Invalid input: expected string, received array'],
    [
      'Default',
      'rules[0] (Default).name: "default" is the rule of BREAKGLASS_APPROVERS; choose another name',
    ],
  ])('name %j', (name, line) => {
    expect(checkPolicy({ rules: [rule({ name })] }).problems).toEqual([line]);
  });

  it('names the rule in the line up to 64 characters, the longest name it accepts', () => {
    const name = 'p'.repeat(64);
    expect(checkPolicy({ rules: [rule({ name, approvers: { users: ['UA00000001'] } })] }).problems).toEqual([
      `rules[0] (${name}).approvers: only one approver (UA00000001): two different people must approve; add a second user or a user group`,
    ]);
  });

  it.each([
    // the id as written, the line
    [12345678901, `rules[0] (prod).match.accounts[0]: 12345678901 ${ACCOUNT_IN_QUOTES}`],
    ['12345', 'rules[0] (prod).match.accounts[0]: "12345" is not a 12-digit account id'],
    ['a111111111111', 'rules[0] (prod).match.accounts[0]: "a111111111111" is not a 12-digit account id'],
    ['1111111111112', 'rules[0] (prod).match.accounts[0]: "1111111111112" is not a 12-digit account id'],
  ])('account %j', (id, line) => {
    expect(checkPolicy({ rules: [rule({ match: { accounts: [id] } })] }).problems).toEqual([line]);
  });

  it.each(['xr-ab12', 'r-ab12-extra', 'r-ab', 'ou-ab12', 'Ou-ab12-prod0001'])('OU %j', (id) => {
    expect(checkPolicy({ rules: [rule({ match: { ous: [id] } })] }).problems).toEqual([
      `rules[0] (prod).match.ous[0]: "${id}" is not an OU id (ou-…) or a root id (r-…)`,
    ]);
  });

  it.each([
    // where, a good id first, then the bad one, what it is not
    ['users', 'WA00000003', '@UA00000001', 'a Slack user id (U… or W…)'],
    ['users', 'WA00000003', 'UA00000001 (alice)', 'a Slack user id (U… or W…)'],
    ['users', 'WA00000003', 'SG00000001', 'a Slack user id (U… or W…)'],
    ['groups', 'SG00000003', 'subteam^SG00000001', 'a Slack user-group id (S…)'],
    ['groups', 'SG00000003', 'SG00000001 (on-call)', 'a Slack user-group id (S…)'],
    ['groups', 'SG00000003', 'UA00000001', 'a Slack user-group id (S…)'],
  ])('approvers.%s [%j, %j]', (key, good, bad, what) => {
    const approvers = { users: ['UA00000001', 'UB00000001'], groups: ['SG00000002'], [key]: [good, bad] };
    expect(checkPolicy({ rules: [rule({ approvers })] }).problems).toEqual([
      `rules[0] (prod).approvers.${key}[1]: "${bad}" is not ${what}`,
    ]);
  });
});

describe('rules together', () => {
  it('refuses two rules with the same name, whatever the case', () => {
    const checked = checkPolicy({
      rules: [rule({ name: 'prod' }), rule({ name: 'Prod', match: { ous: ['ou-ab12-prod0002'] } })],
    });
    expect(checked.problems).toEqual([
      'rules[1] (Prod).name: rules[0] has the same name; rule names must be unique',
    ]);
  });

  it.each([
    ['account', { accounts: ['111111111111'] }, '111111111111'],
    ['OU', { ous: ['ou-ab12-prod0001'] }, 'ou-ab12-prod0001'],
    ['OU', { ous: ['r-ab12'] }, 'r-ab12'],
  ])('refuses an %s listed by two rules, naming the first', (what, match, id) => {
    const checked = checkPolicy({
      rules: [
        rule({
          name: 'first',
          match: { accounts: ['222222222222'], ous: ['ou-ab12-prod0009'], ...match },
        }),
        rule({ name: 'second', match: { ous: ['ou-ab12-prod0008'], ...match } }),
      ],
    });
    expect(checked.problems).toEqual([
      `rules[1] (second).match: ${what} ${id} is already matched by rule "first"; list it in one rule only`,
    ]);
  });

  it('names the rule a problem is in, not the rule at the same position in a list', () => {
    const checked = checkPolicy({
      rules: [
        rule({ name: 'first', approvers: { users: ['UA00000001', 'bob'] } }),
        rule({ name: 'second', match: { ous: ['ou-ab12-prod0002'] } }),
      ],
    });
    expect(checked.problems).toEqual([
      'rules[0] (first).approvers.users[1]: "bob" is not a Slack user id (U… or W…)',
    ]);
  });
});

describe('a rule that relies on a user group', () => {
  const GROUP_NOTE =
    'whether two different people can approve is known only to Slack and is checked when someone approves; make sure the group has at least';

  it.each([
    [{ groups: ['SG00000001'] }, `user group SG00000001: ${GROUP_NOTE} two members`],
    [
      { groups: ['SG00000001', 'SG00000002'] },
      `user groups SG00000001, SG00000002: ${GROUP_NOTE} two members`,
    ],
    [
      { users: ['UA00000001'], groups: ['SG00000001'] },
      `one user (UA00000001) and user group SG00000001: ${GROUP_NOTE} one other member`,
    ],
  ])('%j is accepted with a warning', (approvers: { users?: string[]; groups: string[] }, warning) => {
    const checked = checkPolicy({ rules: [rule({ approvers })] });
    expect(checked.problems).toEqual([]);
    expect(checked.policy?.rules[0]?.approvers).toEqual([...(approvers.users ?? []), ...approvers.groups]);
    expect(checked.warnings).toEqual([`rules[0] (prod).approvers: ${warning}`]);
  });
});

describe('a good rule, normalized', () => {
  it('keeps only what the file says: no accounts, no users, own requesters, no durations or tasks', () => {
    const checked = checkPolicy({
      rules: [
        {
          name: 'team',
          match: { ous: ['r-ab12', 'ou-ab12-team0001', 'r-ab12'] },
          approvers: { groups: ['SG00000001', 'SG00000002'] },
          requesters: { users: ['UR00000001'], groups: ['SR00000001', 'SR00000001'] },
        },
      ],
    });
    expect(checked.problems).toEqual([]);
    expect(checked.policy).toEqual({
      rules: [
        {
          name: 'team',
          accounts: [],
          ous: ['r-ab12', 'ou-ab12-team0001'],
          approvers: ['SG00000001', 'SG00000002'],
          requesters: ['UR00000001', 'SR00000001'],
        },
      ],
    });
    expect(Object.keys(checked.policy?.rules[0] ?? {})).toEqual([
      'name',
      'accounts',
      'ous',
      'approvers',
      'requesters',
    ]);
  });

  it('takes the accounts alone when the rule lists no OUs', () => {
    const checked = checkPolicy({ rules: [rule({ match: { accounts: ['111111111111'] } })] });
    expect(checked.policy?.rules[0]).toEqual({
      name: 'prod',
      accounts: ['111111111111'],
      ous: [],
      approvers: ['UA00000001', 'UB00000001'],
    });
  });
});
