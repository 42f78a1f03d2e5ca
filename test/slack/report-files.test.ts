/** The report announcer's file delivery against the fake Slack: a retry finds a file already shared in a long thread. */
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackReportAnnouncer } from '../../src/slack/report-announcer.js';
import { FakeSlack } from '../fakes/slack/server.js';

let slack: FakeSlack;
let client: WebClient;

beforeEach(async () => {
  slack = await FakeSlack.start();
  client = new WebClient('xoxb-test-files', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
});
afterEach(() => slack.close());

describe('report files', () => {
  it('does not upload again on a retry when the file is in the thread after more replies than one page', async () => {
    const since = Date.now();
    const parent = await client.chat.postMessage({ channel: 'C1', text: 'summary' });
    const threadTs = String(parent.ts);
    // Progress and drift replies fill the thread beyond one page of conversations.replies.
    for (let i = 0; i < 230; i++)
      await client.chat.postMessage({ channel: 'C1', thread_ts: threadTs, text: `r${i}` });
    const reports = new SlackReportAnnouncer(client, 'C1');
    const file = { filename: 'a.csv', title: 'Org-wide audit OA-1: every account', content: 'a\n1\n' };
    await reports.uploadFile({ channel: 'C1', threadTs }, file, {
      id: 'n1',
      requestId: 'OA-1',
      since,
      retry: false,
    });
    // The answer was lost: the outbox retries the same notice.
    await reports.uploadFile({ channel: 'C1', threadTs }, file, {
      id: 'n1',
      requestId: 'OA-1',
      since,
      retry: true,
    });
    expect(slack.callsOf('files.completeUploadExternal').filter((c) => c.outcome?.ok)).toHaveLength(1);
    const looks = slack.callsOf('conversations.replies');
    expect(looks.length).toBeGreaterThan(1);
    expect(looks.every((c) => c.args.oldest !== undefined)).toBe(true);
  }, 60_000);
});
