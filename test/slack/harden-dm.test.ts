/** What a bulk hardening's requester is told by DM when the channel refused its message or summary. */
import { describe, expect, it } from 'vitest';
import type { HardenAccount, Hardening } from '../../src/domain/harden.js';
import { hardeningDm } from '../../src/slack/blocks/harden.js';
import { refuseMessageBlocks } from '../fakes/slack/block-kit.js';
import { hardeningFixture } from '../support/fixtures.js';

const base = hardeningFixture('BH-1', {
  requesterId: 'UREQ',
  createdAt: 0,
  state: 'cancelled',
  accounts: 3,
  preview: 'ready',
  contentHash: 'H',
});
const done = (accountId: string): HardenAccount => ({
  accountId,
  name: accountId,
  state: 'done',
  attempts: 1,
});
const view = (h: Hardening, accounts: HardenAccount[] = []) => ({
  stored: { hardening: h, version: 1 },
  accounts,
});

describe('the DM to a bulk hardening requester', () => {
  it('says a cancelled request was never seen, nothing was deleted, and what to check', () => {
    const dm = hardeningDm(view(base), 'not_in_channel');
    expect(dm.text).toBe(
      'Your request BH-1 to delete root credentials from 3 accounts was cancelled: Slack refused to show it in the approvals channel (not_in_channel), so nobody could approve it. Nothing was deleted. Once the bot can post there (`/breakglass doctor` checks it), ask again.',
    );
    expect(refuseMessageBlocks(dm.blocks)).toBeUndefined();
  });

  it('carries the summary of a closed request, and why it is here', () => {
    const closed = { ...base, state: 'closed' as const, approvals: [{ userId: 'UA', at: 1 }] };
    const dm = hardeningDm(view(closed, [done('1'), done('2'), done('3')]), 'is_archived');
    expect(dm.text).toBe(
      "Bulk hardening BH-1 closed: 3 of 3 accounts verified clean. Slack refused to post this summary in the approvals channel (is_archived); `breakglass history --request BH-1` lists every account's result.",
    );
  });

  it('escapes what Slack answered', () => {
    expect(hardeningDm(view(base), '<!channel>&').text).toContain('(&lt;!channel&gt;&amp;)');
  });

  it('names the accounts given up, whose root credentials were left in place', () => {
    const closed: Hardening = { ...base, state: 'closed', givenUp: { userId: 'UA', at: 1, accounts: ['2'] } };
    const failed: HardenAccount = { accountId: '2', name: '2', state: 'failed', attempts: 3 };
    expect(hardeningDm(view(closed, [done('1'), failed]), 'is_archived').text).toContain(
      'Bulk hardening BH-1 closed: 1 of 2 accounts verified clean, 1 given up (root credentials left in place on 2).',
    );
  });
});
