import { describe, expect, it } from 'vitest';
import { doctorLine, doctorSummary, worstFirst } from '../../src/domain/doctor.js';
import {
  type ApproverStatus,
  approverCandidates,
  approversCheck,
  channelCheck,
  groupCheck,
  homeCheck,
  scopesCheck,
  tokenCheck,
} from '../../src/domain/slack-doctor.js';

const rules = [
  { name: 'default', approvers: ['UA', 'SG'] },
  { name: 'prod', approvers: ['SG', 'SP'] },
];

describe('slack doctor verdicts', () => {
  it('channel: member passes; not a member, not found and a missing scope fail with their fix', () => {
    expect(channelCheck('C1', { ok: true, value: { name: 'ops', isMember: true } }, 'bg').status).toBe(
      'pass',
    );
    expect(channelCheck('C1', { ok: true, value: { name: 'ops', isMember: false } }, 'bg')).toMatchObject({
      status: 'fail',
      fix: 'invite the bot: /invite @bg in #ops',
    });
    expect(channelCheck('C1', { ok: true, value: { isMember: false } }, 'bg').fix).toBe(
      'invite the bot: /invite @bg in C1',
    );
    expect(channelCheck('C1', { ok: false, error: 'channel_not_found' }, 'bg').fix).toMatch(
      /^set BREAKGLASS_CHANNEL_ID .* invite the bot: \/invite @bg$/,
    );
    expect(channelCheck('G1', { ok: false, error: 'missing_scope', needed: 'groups:read' }, 'bg').fix).toBe(
      "add to the app's bot scopes (manifest.yml) and reinstall the app to grant: groups:read",
    );
    expect(channelCheck('C1', { ok: false, error: 'invalid_auth' }, 'bg').fix).toMatch(/SLACK_BOT_TOKEN/);
  });

  it('scopes: every manifest scope granted passes (extras named); a missing one fails; no header warns', () => {
    expect(scopesCheck(['a', 'b', 'x'], ['a', 'b'])).toMatchObject({
      status: 'pass',
      detail: 'all 2 scopes of manifest.yml (also granted, unused: x)',
    });
    expect(scopesCheck(['a'], ['a', 'b', 'c'])).toMatchObject({
      status: 'fail',
      fix: "add to the app's bot scopes (manifest.yml) and reinstall the app to grant: b, c",
    });
    expect(scopesCheck(undefined, ['a']).status).toBe('warn');
    expect(scopesCheck([], ['a']).status).toBe('fail');
  });

  it('groups: members pass; empty, unknown and refused fail, naming where the group is listed', () => {
    expect(groupCheck('SG', { ok: true, value: ['U1'] }, rules, 'default')).toMatchObject({
      status: 'pass',
      detail: '1 member',
    });
    const empty = groupCheck('SG', { ok: true, value: [] }, rules, 'default');
    expect(empty).toMatchObject({
      status: 'fail',
      fix: 'user group SG has no members: add approvers to it in Slack',
    });
    expect(empty.detail).toContain('BREAKGLASS_APPROVERS, policy rule prod');
    expect(groupCheck('SP', { ok: false, error: 'no_such_subteam' }, rules, 'default').fix).toBe(
      "correct the user-group id in policy rule prod (a user group's id starts with S)",
    );
    expect(groupCheck('SP', { ok: false, error: 'ratelimited' }, rules, 'default').status).toBe('fail');
  });

  it('approvers: users then resolved group members, each once', () => {
    const groups = new Map([
      ['SG', { ok: true as const, value: ['UB', 'UA'] }],
      ['SP', { ok: false as const, error: 'no_such_subteam' }],
    ]);
    expect(approverCandidates(rules[0] ?? { name: '', approvers: [] }, groups)).toEqual(['UA', 'UB']);
    expect(approverCandidates(rules[1] ?? { name: '', approvers: [] }, groups)).toEqual(['UB', 'UA']);
  });

  it('approvers: two who can pass; guests, deactivated users, bots and unknowns do not count', () => {
    const statuses = new Map<string, ApproverStatus>([
      ['UA', 'ok'],
      ['UB', 'guest'],
      ['UC', 'deactivated'],
      ['UD', 'ok'],
    ]);
    const rule = { name: 'prod', approvers: [] };
    expect(approversCheck(rule, ['UA', 'UD'], statuses, 'default')).toMatchObject({
      status: 'pass',
      detail: '2 can approve',
    });
    expect(approversCheck(rule, ['UA', 'UD', 'UE'], statuses, 'default').detail).toBe(
      'at least 2 can approve',
    );
    const one = approversCheck(rule, ['UA', 'UB', 'UC'], statuses, 'default');
    expect(one).toMatchObject({ status: 'fail' });
    expect(one.detail).toBe(
      'only UA can approve (UB is a guest; UC is deactivated): two different people must',
    );
    expect(one.fix).toMatch(/^add approvers to policy rule prod:/);
    const none = approversCheck({ name: 'default', approvers: [] }, [], statuses, 'default');
    expect(none.detail).toMatch(/^nobody can approve/);
    expect(none.fix).toMatch(/^add approvers to BREAKGLASS_APPROVERS/);
  });

  it('home: published passes, not_enabled fails with the setting, anything else or nobody is a manual check', () => {
    expect(homeCheck({ ok: true, value: 'UA' }).status).toBe('pass');
    expect(homeCheck({ ok: false, error: 'not_enabled' })).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/^enable the Home tab: .*home_tab_enabled: true/),
    });
    expect(homeCheck({ ok: false, error: 'ratelimited' }).status).toBe('warn');
    expect(homeCheck({ skipped: 'nobody' })).toMatchObject({
      status: 'warn',
      fix: expect.stringMatching(/^check by hand/),
    });
  });

  it('token: accepted names the bot; refused says which token to set', () => {
    expect(tokenCheck({ ok: true, value: { user: 'bg', team: 'Acme' } }).detail).toBe(
      'accepted (bot @bg, workspace Acme)',
    );
    expect(tokenCheck({ ok: false, error: 'token_revoked' }).fix).toMatch(/^set SLACK_BOT_TOKEN/);
  });
});

describe('doctor rendering', () => {
  const checks = [
    { name: 'A', status: 'pass' as const, detail: 'ok' },
    { name: 'B', status: 'fail' as const, detail: 'bad', fix: 'do x' },
    { name: 'C', status: 'warn' as const, detail: 'hm' },
    { name: 'D', status: 'fail' as const, detail: 'worse', fix: 'do y' },
  ];
  it('one line per check, the fix on its own line', () => {
    expect(doctorLine(checks[1] ?? checks[0] ?? { name: '', status: 'pass', detail: '' })).toBe(
      'FAIL  B: bad\n      fix: do x',
    );
    expect(doctorLine({ name: 'A', status: 'pass', detail: 'ok' }, (m) => `[${m}]`)).toBe('[PASS]  A: ok');
  });
  it('summarizes failures first and orders worst first, stable within a status', () => {
    expect(doctorSummary(checks)).toBe('2 failed, 1 warning, 1 passed');
    expect(doctorSummary([checks[0] ?? { name: '', status: 'pass', detail: '' }])).toBe('all 1 passed');
    expect(worstFirst(checks).map((c) => c.name)).toEqual(['B', 'D', 'C', 'A']);
  });
});
