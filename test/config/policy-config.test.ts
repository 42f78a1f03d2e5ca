/** BREAKGLASS_POLICY at start-up: checked with the environment, every problem one line, exit 1, no stack trace. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  BREAKGLASS_CHANNEL_ID: 'C0123ABCD',
  BREAKGLASS_APPROVERS: 'U0123AAAA, S0123GGGG',
};

const dir = mkdtempSync(join(tmpdir(), 'bg-policy-config-'));
function policyFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const GOOD = `rules:
  - name: production
    match: { ous: [ou-ab12-prod1234] }
    approvers: { users: [U0PROD0001], groups: [S0PROD0001] }
    durations: [15m]
`;

const BAD = `rules:
  - name: production
    match: { ous: [ou-ab12-prod1234] }
    approvers: { users: [U0PROD0001] }
  - name: sandbox
    match: { accounts: ["123456789012"] }
    approvers: { users: [U0SAND0001, U0SAND0002] }
    tasks: [unlock-s3]
`;

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('BREAKGLASS_POLICY', () => {
  it('is optional: without it there is no policy and the configured approvers decide', () => {
    expect(loadConfig(VALID).policy).toBeUndefined();
  });

  it('loads a good file, and passes on its warnings', () => {
    const file = policyFile('good.yaml', GOOD);
    const config = loadConfig({ ...VALID, BREAKGLASS_POLICY: file });
    expect(config.policy?.rules.map((r) => [r.name, r.ous, r.durationsSeconds])).toEqual([
      ['production', ['ou-ab12-prod1234'], [900]],
    ]);
    expect(config.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^BREAKGLASS_POLICY ${file}: rules\\[0\\] \\(production\\)\\.approvers: one user .* S0PROD0001`,
        ),
      ),
    ]);
  });

  it("lists the file's problems with the environment's, one line each naming the rule", () => {
    const file = policyFile('bad.yaml', BAD);
    expect(problemsOf({ ...VALID, BREAKGLASS_TASKS: 'password-recovery', BREAKGLASS_POLICY: file })).toEqual([
      `BREAKGLASS_POLICY ${file}: rules[0] (production).approvers: only one approver (U0PROD0001): two different people must approve; add a second user or a user group`,
    ]);
    // Fixed, the file is checked against the tasks the bot offers.
    const fixed = policyFile('fixed.yaml', BAD.replace('[U0PROD0001]', '[U0PROD0001, U0PROD0002]'));
    expect(problemsOf({ ...VALID, BREAKGLASS_TASKS: 'password-recovery', BREAKGLASS_POLICY: fixed })).toEqual(
      [
        `BREAKGLASS_POLICY ${fixed}: rules[1] (sandbox).tasks: unlock-s3 not offered by BREAKGLASS_TASKS (password-recovery)`,
      ],
    );
    // A broken environment does not hide the file's problems.
    const both = problemsOf({ ...VALID, BREAKGLASS_TICK: 'x', BREAKGLASS_POLICY: file });
    expect(both).toHaveLength(2);
    expect(both.join('\n')).toContain('BREAKGLASS_TICK');
    expect(both.join('\n')).toContain('only one approver');
  });

  it('names a file that cannot be read', () => {
    const file = join(dir, 'missing.yaml');
    expect(problemsOf({ ...VALID, BREAKGLASS_POLICY: file })).toEqual([
      `BREAKGLASS_POLICY ${file}: cannot read the policy file (no such file)`,
    ]);
  });

  it('stops `npm start` with exit 1, one line per problem and no stack trace', () => {
    const file = policyFile('start.yaml', `${BAD}  - name: broken\n    match: nothing\n`);
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...VALID, BREAKGLASS_POLICY: file },
    });
    expect(result.status).toBe(1);
    // Slack and AWS problems of this environment are listed too; the file's are these.
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('config: '));
    expect(lines).toEqual([
      `config: BREAKGLASS_POLICY ${file}: rules[0] (production).approvers: only one approver (U0PROD0001): two different people must approve; add a second user or a user group`,
      `config: BREAKGLASS_POLICY ${file}: rules[2] (broken).match: Invalid input: expected object, received string`,
      `config: BREAKGLASS_POLICY ${file}: rules[2] (broken).approvers: missing`,
    ]);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
