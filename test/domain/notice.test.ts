import { describe, expect, it } from 'vitest';
import type { DriftAlert } from '../../src/domain/drift.js';
import {
  CHANNEL_TARGET,
  type Delivery,
  type DriftResolution,
  deliveryTarget,
  describeDelivery,
  REPLY_TARGET,
} from '../../src/domain/notice.js';
import { requestFixture } from '../support/fixtures.js';

const notice = { kind: 'reminder', request: requestFixture('BG-1') } as const;
const reply = { url: 'https://hooks.slack.test/x', expiresAt: 0, text: 'ok' };
const alert = { kind: 'new', accountId: '200000000001' } as DriftAlert;
const resolved = { accountId: '200000000002', alertRunId: 'OA-1' } as DriftResolution;

describe('deliveries', () => {
  it.each<[Delivery, string, string]>([
    [{ to: 'post' }, CHANNEL_TARGET, 'post request message'],
    [{ to: 'update' }, CHANNEL_TARGET, 'update request message'],
    [{ to: 'thread', notice }, CHANNEL_TARGET, 'thread reminder'],
    [{ to: 'channel', notice }, CHANNEL_TARGET, 'channel reminder'],
    [{ to: 'dm', userId: 'U7', notice }, 'U7', 'dm reminder'],
    [{ to: 'reply', reply: { ...reply, replaceOriginal: false } }, REPLY_TARGET, 'reply to a click'],
    [
      { to: 'reply', reply: { ...reply, replaceOriginal: true } },
      REPLY_TARGET,
      'reply replacing the message clicked',
    ],
    [{ to: 'audit-post' }, CHANNEL_TARGET, 'post org-wide audit summary'],
    [{ to: 'audit-update' }, CHANNEL_TARGET, 'update org-wide audit summary'],
    [
      { to: 'file', file: { source: 'org-audit-csv', filename: 'a.csv', title: 'A' } },
      CHANNEL_TARGET,
      'file a.csv',
    ],
    [{ to: 'drift-alert', alert }, CHANNEL_TARGET, 'drift alert (new) for 200000000001'],
    [{ to: 'drift-resolved', resolved }, CHANNEL_TARGET, 'drift resolved for 200000000002'],
    [{ to: 'harden-post' }, CHANNEL_TARGET, 'post bulk hardening message'],
    [{ to: 'harden-update' }, CHANNEL_TARGET, 'update bulk hardening message'],
    [{ to: 'harden-summary' }, CHANNEL_TARGET, 'bulk hardening summary'],
  ])('%j goes to %s and is logged as %j', (delivery, target, description) => {
    expect(deliveryTarget(delivery)).toBe(target);
    expect(describeDelivery(delivery)).toBe(description);
  });
});
