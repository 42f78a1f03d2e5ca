/** The fake's external file upload flow, driven by the real WebClient (files.uploadV2). */
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from './server.js';

let slack: FakeSlack;
let client: WebClient;

beforeEach(async () => {
  slack = await FakeSlack.start();
  client = new WebClient('xoxb-test-files', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
});
afterEach(() => slack.close());

describe('fake Slack files', () => {
  it('takes files.uploadV2: the bytes at the upload URL, shared as a reply in the thread', async () => {
    const post = await client.chat.postMessage({ channel: 'C1', text: 'parent' });
    await client.filesUploadV2({
      channel_id: 'C1',
      thread_ts: String(post.ts),
      content: 'a,b\n1,2\n',
      filename: 'r.csv',
      title: 'Report',
    });
    const [file] = [...slack.files.values()];
    expect(file).toMatchObject({
      filename: 'r.csv',
      length: 8,
      completed: true,
      channel: 'C1',
      threadTs: post.ts,
    });
    expect(file?.content?.toString()).toBe('a,b\n1,2\n');
    const replies = await client.conversations.replies({ channel: 'C1', ts: String(post.ts) });
    expect(
      replies.messages?.some((m) => (m as { files?: { title: string }[] }).files?.[0]?.title === 'Report'),
    ).toBe(true);
  });

  it('refuses what Slack refuses: no length, an unknown or un-uploaded file, a missing scope', async () => {
    await expect(client.files.getUploadURLExternal({ filename: 'x.csv', length: 0 })).rejects.toMatchObject({
      data: { error: 'missing_argument' },
    });
    const url = await client.files.getUploadURLExternal({ filename: 'x.csv', length: 3 });
    await expect(
      client.files.completeUploadExternal({ files: [{ id: String(url.file_id) }], channel_id: 'C1' }),
    ).rejects.toMatchObject({ data: { error: 'file_not_found' } });
    await expect(client.files.completeUploadExternal({ files: [{ id: 'FNOPE' }] })).rejects.toMatchObject({
      data: { error: 'file_not_found' },
    });
    slack.missingScopes.add('files:write');
    await expect(client.files.getUploadURLExternal({ filename: 'x.csv', length: 3 })).rejects.toMatchObject({
      data: { error: 'missing_scope' },
    });
  });

  it('refuses sharing into a channel the bot is not in', async () => {
    slack.failChannel('C2', 'not_in_channel');
    await expect(
      client.filesUploadV2({ channel_id: 'C2', content: 'x', filename: 'x.csv', title: 'x' }),
    ).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
  });

  it('refuses sharing a file into a channel the bot is not a member of', async () => {
    slack.notMemberOf.add('C3');
    await expect(
      client.filesUploadV2({ channel_id: 'C3', content: 'x', filename: 'x.csv', title: 'x' }),
    ).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    expect([...slack.files.values()].some((f) => f.channel === 'C3')).toBe(false);
  });

  it('answers message_not_found to chat.update of a message it never posted', async () => {
    await expect(client.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
  });
});
