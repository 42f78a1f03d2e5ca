/**
 * An account's OUs up to the root, through the fake's ListParents: one call per
 * level, shared between accounts of one OU, cached (stale answers served while a
 * refresh runs), failures not; pages followed; no root reached is an error.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrganizationParents } from '../../src/aws/organization-parents.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

let env: FakeAwsEnv;
const clock = { now: 0 };
let parents: OrganizationParents;
const CHAIN = ['ou-ab12-team0001', 'ou-ab12-prod0001', 'r-fake'];
beforeEach(async () => {
  clock.now = 0;
  env = await startFakeAwsEnv();
  seedMembers(env.fake, 3, 0);
  env.fake.placeIn('ou-ab12-team0001', 'ou-ab12-prod0001');
  env.fake.placeIn(memberId(1), 'ou-ab12-team0001');
  env.fake.placeIn(memberId(3), 'ou-ab12-team0001');
  parents = new OrganizationParents(env.clients.organizations, { ttlMs: 1000, now: () => clock.now });
});
afterEach(() => env.close());

const listParentsCalls = () => env.fake.callsOf('ListParents').length;

describe('OrganizationParents', () => {
  it('walks from the account up to the root, nearest first, and caches each level', async () => {
    expect(await parents.ancestors(memberId(1))).toEqual(CHAIN);
    expect(await parents.ancestors(memberId(2))).toEqual(['r-fake']);
    expect(listParentsCalls()).toBe(4);
    // Another account of the same OU reads only its own parent.
    expect(await parents.ancestors(memberId(3))).toEqual(CHAIN);
    expect(listParentsCalls()).toBe(5);
    await parents.ancestors(memberId(1));
    expect(listParentsCalls()).toBe(5);
  });

  it('serves the last answer after the TTL while a refresh runs, then the refreshed one', async () => {
    await parents.ancestors(memberId(1));
    env.fake.placeIn(memberId(1), 'ou-ab12-prod0001');
    clock.now += 1001;
    expect(await parents.ancestors(memberId(1))).toEqual(CHAIN);
    await expect.poll(() => listParentsCalls()).toBeGreaterThanOrEqual(4);
    await expect.poll(() => parents.ancestors(memberId(1))).toEqual(['ou-ab12-prod0001', 'r-fake']);
  });

  it('does not serve an answer older than two TTLs: it reads again', async () => {
    await parents.ancestors(memberId(2));
    clock.now += 2001;
    env.fake.failNext('ListParents', 'AccessDeniedException', { status: 400 });
    await expect(parents.ancestors(memberId(2))).rejects.toThrow();
  });

  it('does not cache a failure', async () => {
    env.fake.failNext('ListParents', 'AccessDeniedException', { status: 400 });
    await expect(parents.ancestors(memberId(1))).rejects.toThrow();
    expect(await parents.ancestors(memberId(1))).toEqual(CHAIN);
  });

  it('follows NextToken past an empty first page instead of stopping short of the root', async () => {
    env.fake.options.listParentsEmptyFirstPage = true;
    expect(await parents.ancestors(memberId(1))).toEqual(CHAIN);
    expect(listParentsCalls()).toBe(6);
    expect(env.fake.refused).toEqual([]);
  });

  it('warms the cache of many accounts so that later lookups make no call', async () => {
    expect(await parents.warm([memberId(1), memberId(2), memberId(3), '999999999999'])).toEqual({
      failed: ['999999999999'],
    });
    const calls = listParentsCalls();
    for (const n of [1, 2, 3]) await parents.ancestors(memberId(n));
    expect(listParentsCalls()).toBe(calls);
  });
});
