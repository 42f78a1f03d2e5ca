/** Extension buttons, the decline modal and the replacement messages: within Slack's limits, escaped, bound to the ask. */
import { describe, expect, it } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import {
  approvedReplacement,
  askedInGrant,
  askedReplacement,
  declinedReplacement,
  declineExtensionModal,
  extensionAskButtons,
  finishedReplacement,
  parseDeclineMetadata,
  parseExtensionValue,
  withdrawnInGrant,
  withdrawnReplacement,
} from '../../src/slack/blocks/extension.js';
import { renderNotice } from '../../src/slack/blocks/notices.js';
import { blockProblems, viewProblems } from '../fakes/slack/block-kit.js';
import { requestFixture } from '../support/fixtures.js';

const HOSTILE = '&<>|<!channel><@U123><!subteam^S1><https://evil.example|x>*_~`';
const r: BreakglassRequest = requestFixture('BG-ABCDEFGH', {
  accountName: HOSTILE.repeat(10),
  state: 'active',
  grantedAt: 0,
  windowEndsAt: 1_800_000,
  extensionRequest: { seconds: 1800, at: 1, nonce: 'nonce-1234567890' },
});
const value = { id: r.id, seconds: 1800, nonce: 'nonce-1234567890' };

describe('extension button values', () => {
  it('round-trip the ask, and refuse what we never render', () => {
    expect(parseExtensionValue(JSON.stringify(value))).toEqual(value);
    for (const bad of [
      r.id,
      '',
      '{}',
      '{"id":"BG-1","seconds":"1800","nonce":"n"}',
      '{"id":"BG-1","seconds":1800}',
    ])
      expect(parseExtensionValue(bad)).toBeUndefined();
  });

  it('put the whole ask on Approve and Decline', () => {
    const block = extensionAskButtons(value);
    expect(blockProblems([block], 'message')).toEqual([]);
    const buttons = 'elements' in block ? block.elements : [];
    expect(buttons.map((b) => ('value' in b ? JSON.parse(String(b.value)) : undefined))).toEqual([
      value,
      value,
    ]);
  });
});

describe('replacements and the decline modal', () => {
  const long = HOSTILE.repeat(100);
  const replacements = [
    finishedReplacement(r, long),
    askedReplacement(r),
    approvedReplacement(r, 'UAPPROVERA1', 1800),
    declinedReplacement(r, 'UAPPROVERA1', 1800, long),
    withdrawnReplacement(r, 1800),
  ];
  it.each(replacements.map((m, i) => [i, m] as const))(
    '#%i stays within limits and escapes',
    (_i, message) => {
      expect(blockProblems(message.blocks, 'message')).toEqual([]);
      expect(message.text).not.toContain('<!channel>');
      expect(message.text).not.toContain('<@U123>');
    },
  );

  it('carries the ask and its response_url through the decline modal', () => {
    const metadata = { ...value, responseUrl: `https://hooks.slack.com/actions/T0/1/${'x'.repeat(200)}` };
    const modal = declineExtensionModal(metadata);
    expect(viewProblems(modal)).toEqual([]);
    expect(parseDeclineMetadata(modal.private_metadata ?? '')).toEqual(metadata);
    expect(parseDeclineMetadata(JSON.stringify(value))).toBeUndefined();
  });
});

describe('an extension asked for from the grant DM', () => {
  const ctx = { approverIds: ['UA'], durationsSeconds: [1800, 3600], pendingTtlSeconds: 3600 };
  const { extensionRequest: _, ...granted } = r;
  const dm = renderNotice({ kind: 'granted', request: granted, rootEmail: 'root@example.com' }, ctx);
  const original = { text: dm.text, blocks: dm.blocks ?? [] };
  const ids = (blocks: unknown[]) => JSON.stringify(blocks).match(/"action_id":"[a-z_]+"/g);

  it('keeps the sign-in steps and turns only the controls into the ask, with Done and Withdraw', () => {
    const asked = askedInGrant(original, r);
    expect(blockProblems(asked.blocks, 'message')).toEqual([]);
    expect(asked.text).toBe(dm.text);
    expect(asked.blocks[0]).toEqual(dm.blocks?.[0]);
    expect(JSON.stringify(asked.blocks)).toContain('root@example.com');
    expect(JSON.stringify(asked.blocks)).toContain('You asked the approvers for 30m more');
    expect(ids(asked.blocks)).toEqual(['"action_id":"bg_done"', '"action_id":"bg_extend_withdraw"']);
  });

  it('keeps them again when the ask is withdrawn from there, and offers Done', () => {
    const withdrawn = withdrawnInGrant(askedInGrant(original, r), granted, 1800);
    expect(blockProblems(withdrawn.blocks, 'message')).toEqual([]);
    expect(withdrawn.blocks[0]).toEqual(dm.blocks?.[0]);
    expect(JSON.stringify(withdrawn.blocks)).toContain('You withdrew your ask for 30m more');
    expect(JSON.stringify(withdrawn.blocks)).not.toContain('You asked the approvers');
    expect(ids(withdrawn.blocks)).toEqual(['"action_id":"bg_done"']);
  });
});
