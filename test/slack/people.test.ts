/** Who a list of user and group ids names, through the real WebClient and the fake Slack. */
import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SlackPeople } from '../../src/slack/people.js';
import { FakeSlack } from '../fakes/slack/server.js';

let slack: FakeSlack;
let people: SlackPeople;
beforeAll(async () => {
  slack = await FakeSlack.start();
  const client = new WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });
  people = new SlackPeople(client, [], [], silentLogger);
});
afterAll(() => slack.close());

describe('the people a list names', () => {
  it('are its users and the members of its groups, each once', async () => {
    slack.groups.set('SOPS0001', ['UANNA0001', 'UBEN00001']);
    slack.groups.set('SSEC0001', ['UBEN00001', 'UCARL0001']);
    expect((await people.people(['UANNA0001', 'SOPS0001', 'SSEC0001'])).sort()).toEqual([
      'UANNA0001',
      'UBEN00001',
      'UCARL0001',
    ]);
  });

  it('leave out guests and deactivated users, who approve nothing', async () => {
    slack.groups.set('SMIX0001', ['UGUEST001', 'UGONE0001', 'UDANA0001']);
    slack.guests.set('UGUEST001', 'multi-channel');
    slack.deactivated.add('UGONE0001');
    expect(await people.people(['SMIX0001'])).toEqual(['UDANA0001']);
  });

  it('leave out a group Slack does not know (its members cannot be counted on)', async () => {
    expect(await people.people(['UANNA0001', 'SGONE0001'])).toEqual(['UANNA0001']);
  });
});

describe('a check Slack could not answer', () => {
  it('is a "no" that says so, until a check of the same user gets an answer', async () => {
    slack.groups.set('SAPPR0001', ['UERIN0001']);
    slack.down();
    try {
      expect(await people.isApprover('UERIN0001', ['SAPPR0001'])).toBe(false);
      expect(people.couldNotCheck('UERIN0001')).toBe(true);
      expect(people.couldNotCheck('UOTHER001')).toBe(false);
    } finally {
      slack.up();
    }
    expect(await people.isApprover('UERIN0001', ['SAPPR0001'])).toBe(true);
    expect(people.couldNotCheck('UERIN0001')).toBe(false);
  });

  it('is not said when Slack answered: an unknown group is a plain "no"', async () => {
    expect(await people.isApprover('UFRED0001', ['SNONE0001'])).toBe(false);
    expect(people.couldNotCheck('UFRED0001')).toBe(false);
  });

  it('is said for a guest check Slack did not answer, too', async () => {
    slack.down();
    try {
      expect(await people.mayRequest('UGWEN0001', [])).toBe(false);
    } finally {
      slack.up();
    }
    expect(people.couldNotCheck('UGWEN0001')).toBe(true);
    expect(await people.mayRequest('UGWEN0001', [])).toBe(true);
    expect(people.couldNotCheck('UGWEN0001')).toBe(false);
  });
});
