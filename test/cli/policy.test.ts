/** `breakglass policy check <file>`: a good file, each kind of bad file, and a rule with one approver. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';
import { type Recorded, recordingIo } from './recording-io.js';

const dir = mkdtempSync(join(tmpdir(), 'bg-policy-cli-'));
let n = 0;
function policyFile(text: string): string {
  const file = join(dir, `policy-${++n}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function check(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; io: Recorded }> {
  const io = recordingIo();
  const code = await runCli(['policy', 'check', file], io, () =>
    createCliContext({ AWS_REGION: 'us-east-1', ...env }),
  );
  return { code, io };
}

const GOOD = `# Production OUs need the platform leads; the sandbox account anyone on call.
version: 1
rules:
  - name: payments-prod
    match: { accounts: ["012345678901"] }
    approvers: { users: [U0PAYLEAD1, U0PAYLEAD2] }
    durations: [15m]
    tasks: [password-recovery]
  - name: production
    match:
      ous: [ou-ab12-prod1234, ou-ab12-core5678]
    approvers:
      users: [U0PLATFORM1, U0PLATFORM2]
      groups: [S0SECURITY1]
    requesters: { groups: [S0ONCALL01] }
    durations: [15m, 1h]
`;

describe('breakglass policy check', () => {
  it('accepts a good file, exit 0, and lists its rules', async () => {
    const file = policyFile(GOOD);
    const { code, io } = await check(file);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([
      `${file}: valid, 2 rules (first match wins: account, then nearest OU, then BREAKGLASS_APPROVERS)`,
      '  payments-prod: accounts 012345678901; approvers 2 users; requesters BREAKGLASS_REQUESTERS; durations 15m; tasks password-recovery',
      '  production: OUs ou-ab12-prod1234, ou-ab12-core5678; approvers 2 users + 1 group; requesters 1 listed; durations 15m, 1h; tasks BREAKGLASS_TASKS',
      '  accounts and OUs: not checked against AWS Organizations (skipped: no AWS credentials found); the bot checks them at start-up',
    ]);
  });

  describe('with AWS credentials', () => {
    let aws: FakeAwsEnv | undefined;
    afterEach(async () => {
      await aws?.close();
      aws = undefined;
    });

    async function withOrganization(): Promise<FakeAwsEnv> {
      aws = await startFakeAwsEnv();
      aws.fake.addAccount('012345678901');
      aws.fake.placeIn('ou-ab12-core5678', 'ou-ab12-prod1234');
      return aws;
    }

    it('checks that the accounts and OUs exist in the organization', async () => {
      await withOrganization();
      const file = policyFile(GOOD);
      const { code, io } = await check(file, process.env);
      expect(io.stderr).toEqual([]);
      expect(code).toBe(0);
      expect(io.stdout.at(-1)).toBe('  accounts and OUs: checked against AWS Organizations');
    });

    it('refuses an OU or an account that does not exist, exit 1', async () => {
      const fake = await withOrganization();
      fake.fake.org.parents.clear();
      fake.fake.placeIn('ou-ab12-prod1234', 'r-fake');
      const file = policyFile(GOOD.replace('"012345678901"', '"012345678902"'));
      const { code, io } = await check(file, process.env);
      expect(code).toBe(1);
      const fallsTo = 'a mistyped id never matches, so these accounts would be decided by the default rule';
      expect(io.stderr).toEqual([
        `error: ${file}: rules[0] (payments-prod).match.accounts: 012345678902 is not an account of the organization; ${fallsTo}`,
        `error: ${file}: rules[1] (production).match.ous: ou-ab12-core5678 is not an OU of the organization; ${fallsTo}`,
        `${file}: 2 problems; the bot would refuse to start with this file`,
      ]);
      expect(io.stdout).toEqual([]);
    });
  });

  it("accepts the README's example for an OU layout, warning about the group-only rule", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const example = readme.match(/```yaml\n(# \/etc\/breakglass\/policy\.yaml\n[\s\S]*?)```/)?.[1];
    expect(example).toBeDefined();
    const file = policyFile(example ?? '');
    const { code, io } = await check(file);
    expect(code).toBe(0);
    expect(io.stdout[0]).toBe(
      `${file}: valid, 3 rules (first match wins: account, then nearest OU, then BREAKGLASS_APPROVERS)`,
    );
    expect(io.stderr).toEqual([
      expect.stringMatching(/^warning: .*rules\[2\] \(sandbox\)\.approvers: user group S0ONCALL01/),
    ]);
  });

  it('refuses a rule with one approver, exit 1', async () => {
    const file = policyFile(
      'rules:\n  - name: solo\n    match: { ous: [ou-ab12-prod1234] }\n    approvers: { users: [U0ALONE01, U0ALONE01] }\n',
    );
    const { code, io } = await check(file);
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      `error: ${file}: rules[0] (solo).approvers: only one approver (U0ALONE01): two different people must approve; add a second user or a user group`,
      `${file}: 1 problem; the bot would refuse to start with this file`,
    ]);
    expect(io.stdout).toEqual([]);
  });

  it('accepts a rule whose approvers are a group, with a warning that Slack decides', async () => {
    const file = policyFile(
      'rules:\n  - name: grouped\n    match: { ous: [r-ab12] }\n    approvers: { users: [U0ONE0001], groups: [S0TEAM001] }\n',
    );
    const { code, io } = await check(file);
    expect(code).toBe(0);
    expect(io.stderr).toEqual([
      `warning: ${file}: rules[0] (grouped).approvers: one user (U0ONE0001) and user group S0TEAM001: whether two different people can approve is known only to Slack and is checked when someone approves; make sure the group has at least one other member`,
    ]);
  });

  it.each([
    [
      'a YAML syntax error',
      'rules:\n  - name: a\n   match: [\n',
      [/^:3:1: YAML: Sequence item without - indicator$/, /^:4:1: YAML: Flow sequence/],
    ],
    ['a key given twice', 'rules:\n  - name: a\n    name: b\n', [/^:3:5: YAML: Map keys must be unique$/]],
    ['an empty file', '', [/the policy file is empty/]],
    ['no rules', 'rules: []\n', [/^: rules: list at least one rule/]],
    ['an unknown top-level key', 'rule:\n  - name: a\n', [/^: rules: missing/, /^: unknown key "rule"$/]],
    [
      'a misspelt key in a rule',
      'rules:\n  - name: prod\n    match: { ous: [ou-ab12-prod1234] }\n    approver: { users: [U0A000001, U0B000001] }\n',
      [/rules\[0\] \(prod\)\.approvers: /, /rules\[0\] \(prod\): unknown key "approver"/],
    ],
    [
      'bad ids, durations and tasks',
      'rules:\n  - name: prod\n    match: { accounts: ["12345"], ous: [prod] }\n    approvers: { users: [alice, U0B000001], groups: [U0C000001] }\n    durations: [15 minutes]\n    tasks: [audit]\n',
      [
        /rules\[0\] \(prod\)\.match\.accounts\[0\]: "12345" is not a 12-digit account id/,
        /rules\[0\] \(prod\)\.match\.ous\[0\]: "prod" is not an OU id/,
        /rules\[0\] \(prod\)\.approvers\.users\[0\]: "alice" is not a Slack user id/,
        /rules\[0\] \(prod\)\.approvers\.groups\[0\]: "U0C000001" is not a Slack user-group id/,
        /rules\[0\] \(prod\)\.durations\[0\]: "15 minutes" is not a duration/,
        /rules\[0\] \(prod\)\.tasks\[0\]: "audit" is not a task/,
      ],
    ],
    [
      'an unquoted account id that lost its leading zero',
      'rules:\n  - name: prod\n    match: { accounts: [012345678901] }\n    approvers: { users: [U0A000001, U0B000001] }\n',
      [/accounts\[0\]: 12345678901 is not a 12-digit account id; write account ids in quotes/],
    ],
    [
      'duplicate names, an OU in two rules, a rule matching nothing and the reserved name',
      [
        'rules:',
        '  - name: prod',
        '    match: { ous: [ou-ab12-prod1234] }',
        '    approvers: { users: [U0A000001, U0B000001] }',
        '  - name: PROD',
        '    match: { ous: [ou-ab12-prod1234] }',
        '    approvers: { users: [U0A000001, U0B000001] }',
        '  - name: default',
        '    match: {}',
        '    approvers: { users: [U0A000001, U0B000001] }',
        '',
      ].join('\n'),
      [
        /rules\[1\] \(PROD\)\.name: rules\[0\] has the same name/,
        /rules\[1\] \(PROD\)\.match: OU ou-ab12-prod1234 is already matched by rule "prod"/,
        /rules\[2\] \(default\)\.name: "default" is the rule of BREAKGLASS_APPROVERS/,
        /rules\[2\] \(default\)\.match: list accounts or ous/,
      ],
    ],
    [
      'no approvers at all',
      'rules:\n  - name: prod\n    match: { ous: [ou-ab12-prod1234] }\n    approvers: {}\n',
      [/rules\[0\] \(prod\)\.approvers: no approvers/],
    ],
  ])('refuses %s, one line per problem, exit 1', async (_name, text, expected) => {
    const file = policyFile(text);
    const { code, io } = await check(file);
    expect(code).toBe(1);
    const errors = io.stderr.filter((l) => l.startsWith('error: '));
    expect(errors).toHaveLength(expected.length);
    expected.forEach((pattern, i) => {
      expect(errors[i]?.startsWith(`error: ${file}`)).toBe(true);
      expect(errors[i]?.slice(`error: ${file}`.length)).toMatch(pattern);
    });
    expect(io.stderr.at(-1)).toMatch(/the bot would refuse to start with this file$/);
    expect(io.stdout).toEqual([]);
  });

  it('refuses a missing file', async () => {
    const file = join(dir, 'missing.yaml');
    const { code, io } = await check(file);
    expect(code).toBe(1);
    expect(io.stderr[0]).toBe(`error: ${file}: cannot read the policy file (no such file)`);
  });

  it('checks the tasks against BREAKGLASS_TASKS when it is set', async () => {
    const file = policyFile(GOOD);
    const { code, io } = await check(file, { BREAKGLASS_TASKS: 'delete-credentials' });
    expect(code).toBe(1);
    expect(io.stderr[0]).toBe(
      `error: ${file}: rules[0] (payments-prod).tasks: password-recovery not offered by BREAKGLASS_TASKS (delete-credentials)`,
    );
  });

  it('needs a file argument (usage, exit 2)', async () => {
    const io = recordingIo();
    expect(await runCli(['policy', 'check'], io, () => createCliContext({}))).toBe(2);
    expect(io.stderr.join('')).toMatch(/missing required argument 'file'/);
  });
});
