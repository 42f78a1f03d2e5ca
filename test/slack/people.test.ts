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
