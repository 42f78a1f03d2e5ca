import { describe, expect, it } from 'vitest';
import { type DoctorCheck, doctorLine, doctorSummary, worstFirst } from '../../src/domain/doctor.js';
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

const TOKEN_FIX =
  "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (reinstall the app if it was removed)";
const HOME_SETTING =
  'https://api.slack.com/apps → App Home → Show Tabs → Home Tab on (manifest.yml: features.app_home.home_tab_enabled: true)';
const grant = (scopes: string) =>
  `add to the app's bot scopes (manifest.yml) and reinstall the app to grant: ${scopes}`;

describe('slack doctor verdicts, whole', () => {
  it.each<[string, () => DoctorCheck, DoctorCheck]>([
    [
      'accepted, bot and workspace named',
      () => tokenCheck({ ok: true, value: { user: 'bg', team: 'Acme' } }),
      { name: 'Slack bot token', status: 'pass', detail: 'accepted (bot @bg, workspace Acme)' },
    ],
    [
      'accepted, workspace only',
      () => tokenCheck({ ok: true, value: { team: 'Acme' } }),
      { name: 'Slack bot token', status: 'pass', detail: 'accepted (workspace Acme)' },
    ],
    [
      'accepted, nothing named',
      () => tokenCheck({ ok: true, value: {} }),
      { name: 'Slack bot token', status: 'pass', detail: 'accepted' },
    ],
    ...['invalid_auth', 'not_authed', 'token_revoked', 'account_inactive'].map(
      (error): [string, () => DoctorCheck, DoctorCheck] => [
        error,
        () => tokenCheck({ ok: false, error }),
        { name: 'Slack bot token', status: 'fail', detail: `Slack answered ${error}`, fix: TOKEN_FIX },
      ],
    ),
    [
      'a missing scope Slack does not name',
      () => tokenCheck({ ok: false, error: 'missing_scope' }),
      {
        name: 'Slack bot token',
        status: 'fail',
        detail: 'Slack answered missing_scope',
        fix: grant('the scope Slack names'),
      },
    ],
    [
      'unreachable',
      () => tokenCheck({ ok: false, error: 'fetch_failed' }),
      {
        name: 'Slack bot token',
        status: 'fail',
        detail: 'Slack answered fetch_failed',
        fix: 'check that Slack can be reached at SLACK_API_URL, then run doctor again',
      },
    ],
  ])('token: %s', (_, check, expected) => expect(check()).toEqual(expected));

  it.each<[string, () => DoctorCheck, DoctorCheck]>([
    [
      'a member',
      () => channelCheck('C1', { ok: true, value: { name: 'ops', isMember: true } }, 'bg'),
      { name: 'Bot in the approvals channel', status: 'pass', detail: 'the bot is in #ops (C1)' },
    ],
    [
      'not a member',
      () => channelCheck('C1', { ok: true, value: { isMember: false } }, 'bg'),
      {
        name: 'Bot in the approvals channel',
        status: 'fail',
        detail: 'the bot is not in C1 (C1): it cannot post requests there',
        fix: 'invite the bot: /invite @bg in C1',
      },
    ],
    [
      'not found',
      () => channelCheck('C1', { ok: false, error: 'channel_not_found' }, 'bg'),
      {
        name: 'Bot in the approvals channel',
        status: 'fail',
        detail:
          'Slack finds no channel C1 the bot can see (a private channel is invisible until the bot is invited)',
        fix: "set BREAKGLASS_CHANNEL_ID to the approvals channel's id (channel details, at the bottom); for a private channel, first invite the bot: /invite @bg",
      },
    ],
    [
      'another error',
      () => channelCheck('C1', { ok: false, error: 'ratelimited' }, 'bg'),
      {
        name: 'Bot in the approvals channel',
        status: 'fail',
        detail: 'conversations.info answered ratelimited',
        fix: 'run doctor again; if it persists, check the channel in Slack',
      },
    ],
  ])('channel: %s', (_, check, expected) => expect(check()).toEqual(expected));

  it.each<[string, () => DoctorCheck, DoctorCheck]>([
    [
      'no header',
      () => scopesCheck(undefined, ['a']),
      {
        name: 'Granted scopes',
        status: 'warn',
        detail: 'Slack did not say which scopes the token has',
        fix: "compare the app's Bot Token Scopes (https://api.slack.com/apps → OAuth & Permissions) with manifest.yml",
      },
    ],
    [
      'some missing',
      () => scopesCheck(['a'], ['a', 'b', 'c']),
      {
        name: 'Granted scopes',
        status: 'fail',
        detail: 'the token lacks b, c (manifest.yml asks for a, b, c)',
        fix: grant('b, c'),
      },
    ],
    [
      'exactly the manifest',
      () => scopesCheck(['b', 'a'], ['a', 'b']),
      { name: 'Granted scopes', status: 'pass', detail: 'all 2 scopes of manifest.yml' },
    ],
    [
      'more than the manifest',
      () => scopesCheck(['a', 'x', '', 'y'], ['a']),
      {
        name: 'Granted scopes',
        status: 'pass',
        detail: 'all 1 scopes of manifest.yml (also granted, unused: x, y)',
      },
    ],
  ])('scopes: %s', (_, check, expected) => expect(check()).toEqual(expected));

  it.each<[string, () => DoctorCheck, DoctorCheck]>([
    [
      'two members',
      () => groupCheck('SG', { ok: true, value: ['U1', 'U2'] }, rules, 'default'),
      { name: 'Approver group SG', status: 'pass', detail: '2 members' },
    ],
    [
      'no members',
      () => groupCheck('SG', { ok: true, value: [] }, rules, 'default'),
      {
        name: 'Approver group SG',
        status: 'fail',
        detail: 'user group SG (named in BREAKGLASS_APPROVERS, policy rule prod) has no members',
        fix: 'user group SG has no members: add approvers to it in Slack',
      },
    ],
    [
      'unknown, named in no rule',
      () => groupCheck('SX', { ok: false, error: 'no_such_subteam' }, rules, 'default'),
      {
        name: 'Approver group SX',
        status: 'fail',
        detail: 'Slack knows no user group SX (named in the approvers)',
        fix: "correct the user-group id in the approvers (a user group's id starts with S)",
      },
    ],
    [
      'a missing scope',
      () =>
        groupCheck('SP', { ok: false, error: 'missing_scope', needed: 'usergroups:read' }, rules, 'default'),
      {
        name: 'Approver group SP',
        status: 'fail',
        detail: 'usergroups.users.list answered missing_scope',
        fix: grant('usergroups:read'),
      },
    ],
    [
      'another error',
      () => groupCheck('SP', { ok: false, error: 'ratelimited' }, rules, 'default'),
      {
        name: 'Approver group SP',
        status: 'fail',
        detail: 'usergroups.users.list answered ratelimited',
        fix: 'run doctor again; if it persists, check user group SP in Slack',
      },
    ],
  ])('group: %s', (_, check, expected) => expect(check()).toEqual(expected));

  const statuses = new Map<string, ApproverStatus>([
    ['UA', 'ok'],
    ['UB', 'ok'],
    ['UG', 'guest'],
    ['UD', 'deactivated'],
    ['UBOT', 'bot'],
    ['UX', 'unknown'],
  ]);
  it.each<[string, () => DoctorCheck, DoctorCheck]>([
    [
      'two can',
      () => approversCheck({ name: 'prod', approvers: [] }, ['UA', 'UB'], statuses, 'default'),
      { name: 'Two approvers (rule prod)', status: 'pass', detail: '2 can approve' },
    ],
    [
      'one can, nobody else listed',
      () => approversCheck({ name: 'prod', approvers: [] }, ['UA'], statuses, 'default'),
      {
        name: 'Two approvers (rule prod)',
        status: 'fail',
        detail: 'only UA can approve: two different people must',
        fix: 'add approvers to policy rule prod: at least two people who are neither guests, deactivated nor bots',
      },
    ],
    [
      'nobody can',
      () =>
        approversCheck({ name: 'default', approvers: [] }, ['UG', 'UD', 'UBOT', 'UX'], statuses, 'default'),
      {
        name: 'Two approvers (rule default)',
        status: 'fail',
        detail:
          'nobody can approve (UG is a guest; UD is deactivated; UBOT is a bot; UX is unknown to Slack): two different people must',
        fix: 'add approvers to BREAKGLASS_APPROVERS: at least two people who are neither guests, deactivated nor bots',
      },
    ],
  ])('approvers: %s', (_, check, expected) => expect(check()).toEqual(expected));

  it.each<[string, () => DoctorCheck, DoctorCheck]>([
    [
      'nobody to publish to',
      () => homeCheck({ skipped: 'no approver to publish to' }),
      {
        name: 'App Home',
        status: 'warn',
        detail: 'not checked: no approver to publish to',
        fix: `check by hand: ${HOME_SETTING}`,
      },
    ],
    [
      'published',
      () => homeCheck({ ok: true, value: 'UA' }),
      { name: 'App Home', status: 'pass', detail: 'the Home tab is enabled (published to UA)' },
    ],
    [
      'not enabled',
      () => homeCheck({ ok: false, error: 'not_enabled' }),
      {
        name: 'App Home',
        status: 'fail',
        detail: 'the Home tab is disabled: approvers cannot see what waits for them',
        fix: `enable the Home tab: ${HOME_SETTING}`,
      },
    ],
    [
      'a revoked token',
      () => homeCheck({ ok: false, error: 'token_revoked' }),
      {
        name: 'App Home',
        status: 'warn',
        detail: 'could not check: views.publish answered token_revoked',
        fix: TOKEN_FIX,
      },
    ],
    [
      'another error',
      () => homeCheck({ ok: false, error: 'ratelimited' }),
      {
        name: 'App Home',
        status: 'warn',
        detail: 'could not check: views.publish answered ratelimited',
        fix: `check by hand: ${HOME_SETTING}`,
      },
    ],
  ])('home: %s', (_, check, expected) => expect(check()).toEqual(expected));
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
  it.each<[string, DoctorCheck['status'][], string]>([
    ['warnings only', ['warn', 'pass', 'warn'], '2 warnings, 1 passed'],
    ['one warning', ['pass', 'warn'], '1 warning, 1 passed'],
    ['failures only', ['fail'], '1 failed'],
    ['a failure and a warning', ['warn', 'fail'], '1 failed, 1 warning'],
  ])('summarizes %s', (_, statuses, summary) => {
    const built: DoctorCheck[] = statuses.map((status, i) => ({ name: `c${i}`, status, detail: '' }));
    expect(doctorSummary(built)).toBe(summary);
  });
  it('keeps the order of many checks of one status', () => {
    const many: DoctorCheck[] = ['a', 'b', 'c', 'd', 'e'].map((name) => ({
      name,
      status: 'warn',
      detail: '',
    }));
    expect(worstFirst([{ name: 'p', status: 'pass', detail: '' }, ...many]).map((c) => c.name)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'p',
    ]);
  });
  it('marks each status', () => {
    expect(
      ['pass', 'warn', 'fail'].map((status) => doctorLine({ name: 'n', status, detail: 'd' } as DoctorCheck)),
    ).toEqual(['PASS  n: d', 'WARN  n: d', 'FAIL  n: d']);
  });
});
