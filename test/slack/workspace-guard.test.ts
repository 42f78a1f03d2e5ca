import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { foreignTeam, InstalledWorkspace, teamsOf } from '../../src/slack/listeners/workspace-guard.js';

const HOME = 'T0TEAM';

describe('foreignTeam', () => {
  it.each([
    ['a command of the workspace', { team_id: HOME, command: '/breakglass' }, undefined],
    ['a command of another', { team_id: 'TOTHER', command: '/breakglass' }, 'TOTHER'],
    ['a click of the workspace', { team: { id: HOME }, user: { team_id: HOME } }, undefined],
    ['a click by a Slack Connect user', { team: { id: HOME }, user: { team_id: 'TOTHER' } }, 'TOTHER'],
    ['a click in another workspace', { team: { id: 'TOTHER' }, user: { team_id: HOME } }, 'TOTHER'],
    ['an org-wide click (team null)', { team: null, user: { team_id: HOME } }, undefined],
    [
      'a modal installed elsewhere',
      {
        team: { id: HOME },
        user: { team_id: HOME },
        view: { team_id: HOME, app_installed_team_id: 'TOTHER' },
      },
      'TOTHER',
    ],
    ['an event of the workspace', { team_id: HOME, authorizations: [{ team_id: HOME }] }, undefined],
    ['an event authorized elsewhere', { team_id: HOME, authorizations: [{ team_id: 'TOTHER' }] }, 'TOTHER'],
    ['a request naming no workspace', { user: { id: 'U1' } }, 'none'],
    ['not an object', 'payload=…', 'none'],
  ])('%s', (_what, body, expected) => {
    expect(foreignTeam(body, HOME)).toBe(expected);
  });

  it('lists each team once', () => {
    expect(teamsOf({ team: { id: HOME }, user: { team_id: HOME }, view: { team_id: 'T2' } })).toEqual([
      HOME,
      'T2',
    ]);
  });
});

describe('InstalledWorkspace', () => {
  it('asks auth.test once, and again after a failure (refusing meanwhile)', async () => {
    const answers: (() => Promise<{ team_id?: string }>)[] = [
      () => Promise.reject(new Error('fetch failed')),
      () => Promise.resolve({ team_id: HOME }),
    ];
    let calls = 0;
    const workspace = new InstalledWorkspace(() => {
      calls += 1;
      return (answers.shift() ?? (() => Promise.resolve({ team_id: 'TWRONG' })))();
    }, silentLogger);
    expect(await workspace.id()).toBeUndefined();
    const [a, b] = await Promise.all([workspace.id(), workspace.id()]);
    expect([a, b]).toEqual([HOME, HOME]);
    expect(await workspace.id()).toBe(HOME);
    expect(calls).toBe(2);
  });
});
