import { describe, expect, it } from 'vitest';
import { CHANNEL_TARGET, type Delivery, deliveryTarget, describeDelivery } from '../../src/domain/notice.js';
import { requestFixture } from '../support/fixtures.js';

const notice = { kind: 'reminder', request: requestFixture('BG-1') } as const;

describe('deliveries', () => {
  it.each<[Delivery, string, string]>([
    [{ to: 'post' }, CHANNEL_TARGET, 'post request message'],
    [{ to: 'update' }, CHANNEL_TARGET, 'update request message'],
    [{ to: 'thread', notice }, CHANNEL_TARGET, 'thread reminder'],
    [{ to: 'channel', notice }, CHANNEL_TARGET, 'channel reminder'],
    [{ to: 'dm', userId: 'U7', notice }, 'U7', 'dm reminder'],
  ])('%j goes to %s and is logged as %j', (delivery, target, description) => {
    expect(deliveryTarget(delivery)).toBe(target);
    expect(describeDelivery(delivery)).toBe(description);
  });
});
