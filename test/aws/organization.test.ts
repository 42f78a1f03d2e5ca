import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrganizationDirectory } from '../../src/aws/organization.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

let env: FakeAwsEnv;
const clock = { now: 0 };
let directory: OrganizationDirectory;
beforeEach(async () => {
  env = await startFakeAwsEnv();
  seedMembers(env.fake, 45, 0);
  directory = new OrganizationDirectory(env.clients.organizations, { ttlMs: 1000, now: () => clock.now });
});
afterEach(() => env.close());

describe('OrganizationDirectory', () => {
  it('reads every page once and shares one request between concurrent callers', async () => {
    const [a, b] = await Promise.all([directory.listAccounts(), directory.listAccounts()]);
    expect(a).toHaveLength(46);
    expect(b).toBe(a);
    expect(env.fake.callsOf('ListAccounts')).toHaveLength(3);
  });

  it('serves the last list while refreshing it after the TTL, and then the new one', async () => {
    await directory.listAccounts();
    env.fake.addAccount(memberId(99), { name: 'new-account' });
    clock.now += 1001;
    const stale = await directory.search('new-account');
    expect(stale).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect((await directory.search('new-account')).map((a) => a.id)).toEqual([memberId(99)]);
    expect(env.fake.callsOf('ListAccounts')).toHaveLength(6);
  });

  it('tells onAccounts of the first listing and of each refresh, with the new accounts', async () => {
    const told: string[][] = [];
    const watched = new OrganizationDirectory(env.clients.organizations, {
      ttlMs: 1000,
      now: () => clock.now,
      onAccounts: (accounts) => told.push(accounts.map((a) => a.id)),
    });
    await watched.listAccounts();
    await watched.listAccounts();
    expect(told).toHaveLength(1);
    env.fake.addAccount(memberId(98), { name: 'another' });
    clock.now += 1001;
    await watched.listAccounts();
    await expect.poll(() => told.length).toBe(2);
    expect(told[1]).toContain(memberId(98));
  });

  it('does not cache a failure', async () => {
    env.fake.failNext('ListAccounts', 'AccessDeniedException', { status: 400 });
    await expect(directory.listAccounts()).rejects.toThrow(/ListAccounts/);
    expect(await directory.listAccounts()).toHaveLength(46);
  });

  it('finds accounts by name or id for the typeahead, members only, sorted by name', async () => {
    const hits = await directory.search('workload-001');
    expect(hits.map((a) => a.name)).toEqual([
      'workload-0010',
      'workload-0011',
      'workload-0012',
      'workload-0013',
      'workload-0014',
      'workload-0015',
      'workload-0016',
      'workload-0017',
      'workload-0018',
      'workload-0019',
    ]);
    expect(await directory.search('111111111111')).toEqual([]);
  });
});
