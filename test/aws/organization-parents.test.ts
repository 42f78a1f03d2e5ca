/** An account's OUs up to the root, through the fake's ListParents: one call per level, cached, failures not. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrganizationParents } from '../../src/aws/organization-parents.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

let env: FakeAwsEnv;
const clock = { now: 0 };
let parents: OrganizationParents;
beforeEach(async () => {
  env = await startFakeAwsEnv();
  seedMembers(env.fake, 3, 0);
  env.fake.placeIn('ou-ab12-team0001', 'ou-ab12-prod0001');
  env.fake.placeIn(memberId(1), 'ou-ab12-team0001');
  parents = new OrganizationParents(env.clients.organizations, { ttlMs: 1000, now: () => clock.now });
});
afterEach(() => env.close());

describe('OrganizationParents', () => {
  it('walks from the account up to the root, nearest first, and caches the answer', async () => {
    expect(await parents.ancestors(memberId(1))).toEqual(['ou-ab12-team0001', 'ou-ab12-prod0001', 'r-fake']);
    expect(await parents.ancestors(memberId(2))).toEqual(['r-fake']);
    expect(env.fake.callsOf('ListParents')).toHaveLength(4);
    await parents.ancestors(memberId(1));
    expect(env.fake.callsOf('ListParents')).toHaveLength(4);
    clock.now += 1001;
    await parents.ancestors(memberId(1));
    expect(env.fake.callsOf('ListParents')).toHaveLength(7);
  });

  it('does not cache a failure', async () => {
    env.fake.failNext('ListParents', 'AccessDeniedException', { status: 400 });
    await expect(parents.ancestors(memberId(1))).rejects.toThrow();
    expect(await parents.ancestors(memberId(1))).toEqual(['ou-ab12-team0001', 'ou-ab12-prod0001', 'r-fake']);
  });
});
