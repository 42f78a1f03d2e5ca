import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { RequestEffects } from '../../src/store/store.js';
import { newRequestId, UPDATE_MESSAGE, WorkflowCore } from '../../src/workflow/core.js';
import type { Accounts, RootTasks } from '../../src/workflow/ports.js';
import { requestFixture } from '../support/fixtures.js';
import { SETTINGS, staticAuthorizer } from '../support/workflow-env.js';

/** A store that loses the next `losses` compare-and-sets, as if another replica wrote first. */
class ContendedStore extends SqliteStore {
  losses = 0;
  updates = 0;
  override async updateRequest(
    id: string,
    expectedVersion: number,
    next: BreakglassRequest,
    effects?: RequestEffects,
  ): Promise<boolean> {
    this.updates += 1;
    if (this.losses > 0) {
      this.losses -= 1;
      return false;
    }
    return super.updateRequest(id, expectedVersion, next, effects);
  }
}

const unused = () => Promise.reject(new Error('not used by these tests'));
const noTasks: RootTasks = {
  auditRootCredentials: unused,
  allowPasswordRecovery: unused,
  deleteRootCredentials: unused,
  unlockS3BucketPolicy: unused,
  unlockSqsQueuePolicy: unused,
  readPolicy: unused,
};
const noAccounts: Accounts = { targetable: unused, find: unused };

let store: ContendedStore;
let core: WorkflowCore;
const clock = { now: 1_000_000 };
const woken = { jobs: 0, outbox: 0 };
beforeEach(() => {
  store = new ContendedStore(join(mkdtempSync(join(tmpdir(), 'bg-core-')), 'db.sqlite'));
  woken.jobs = 0;
  woken.outbox = 0;
  core = new WorkflowCore({
    store,
    tasks: noTasks,
    accounts: noAccounts,
    auth: staticAuthorizer,
    log: silentLogger,
    settings: SETTINGS,
    now: () => clock.now,
    wake: () => {
      woken.jobs += 1;
    },
    wakeOutbox: () => {
      woken.outbox += 1;
    },
  });
});
afterEach(() => store.close());

describe('newRequestId', () => {
  it('is BG- and six characters that cannot be misread (no I, O, 0 or 1)', () => {
    const ids = Array.from({ length: 500 }, newRequestId);
    for (const id of ids) expect(id).toMatch(/^BG-[A-HJ-NP-Z2-9]{6}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every character of the alphabet turns up.
    expect(new Set(ids.flatMap((id) => [...id.slice(3)])).size).toBe(32);
  });
});

describe('WorkflowCore.mutate', () => {
  beforeEach(() => store.createRequest(requestFixture('BG-1')));

  it('writes a decision with its effects and returns the new version', async () => {
    const result = await core.mutate('BG-1', (r) => ({
      next: { ...r, state: 'denied' },
      effects: { notify: [UPDATE_MESSAGE] },
      value: 'done',
    }));
    expect(result).toMatchObject({ ok: true, value: 'done', changed: true, stored: { version: 2 } });
    expect(await store.getRequest('BG-1')).toMatchObject({ version: 2, request: { state: 'denied' } });
    expect((await store.listDeliveries('BG-1')).map((d) => d.delivery)).toEqual([{ to: 'update' }]);
  });

  it('changes nothing for an unchanged or refused decision, or a missing request', async () => {
    expect(await core.mutate('BG-1', () => ({ unchanged: 7 }))).toMatchObject({
      ok: true,
      value: 7,
      changed: false,
      stored: { version: 1 },
    });
    expect(await core.mutate('BG-1', () => ({ refuse: 'no' }))).toEqual({ ok: false, reason: 'no' });
    expect(await core.mutate('BG-9', () => ({ unchanged: 1 }))).toEqual({
      ok: false,
      reason: 'there is no request BG-9',
    });
    expect(store.updates).toBe(0);
  });

  it('refuses, as a bug, a change of state the state machine does not allow', async () => {
    await expect(core.mutate('BG-1', (r) => ({ next: { ...r, state: 'closed' }, value: 0 }))).rejects.toThrow(
      'bug: BG-1 cannot go from pending to closed',
    );
    // The same state is no transition.
    expect((await core.mutate('BG-1', (r) => ({ next: { ...r, justification: 'y' }, value: 0 }))).ok).toBe(
      true,
    );
  });

  it('decides again on fresh state after losing a race, up to eight times', async () => {
    store.losses = 7;
    let decisions = 0;
    const won = await core.mutate('BG-1', (r) => {
      decisions += 1;
      return { next: { ...r, state: 'denied' }, value: decisions };
    });
    expect(won).toMatchObject({ ok: true, value: 8 });
    expect(store.updates).toBe(8);

    await store.createRequest(requestFixture('BG-2'));
    store.losses = 8;
    store.updates = 0;
    const lost = await core.mutate('BG-2', (r) => ({ next: { ...r, state: 'denied' }, value: 0 }));
    expect(lost).toEqual({ ok: false, reason: 'the request is changing too fast; try again' });
    expect(store.updates).toBe(8);
    expect((await store.getRequest('BG-2'))?.request.state).toBe('pending');
  });

  it('wakes the scheduler for a job due now, and the outbox for notices', async () => {
    const write = (effects: RequestEffects) =>
      core.mutate('BG-1', (r) => ({
        next: { ...r, justification: String(Math.random()) },
        effects,
        value: 0,
      }));
    await write({ schedule: [{ kind: 'nudge', dueAt: clock.now + 1 }] });
    await write({ notify: [] });
    expect(woken).toEqual({ jobs: 0, outbox: 0 });
    await write({
      schedule: [
        { kind: 'nudge', dueAt: clock.now + 1 },
        { kind: 'expire', dueAt: clock.now },
      ],
    });
    expect(woken).toEqual({ jobs: 1, outbox: 0 });
    await write({ schedule: [{ kind: 'preview', dueAt: clock.now - 5 }], notify: [UPDATE_MESSAGE] });
    expect(woken).toEqual({ jobs: 2, outbox: 1 });
    await write({});
    expect(woken).toEqual({ jobs: 2, outbox: 1 });
  });
});

describe('WorkflowCore: create, notify, audit', () => {
  it('stores a new request with its effects and wakes what they need', async () => {
    await core.create(requestFixture('BG-3'), {
      schedule: [{ kind: 'preview', dueAt: clock.now }],
      notify: [{ to: 'post' }],
    });
    expect((await store.pendingJobs('BG-3')).map((j) => j.kind)).toEqual(['preview']);
    expect(woken).toEqual({ jobs: 1, outbox: 1 });
    await core.notify('BG-3', [
      { to: 'dm', userId: 'U1', notice: { kind: 'nudge', request: requestFixture('BG-3') } },
    ]);
    expect((await store.listDeliveries('BG-3')).map((d) => d.delivery.to)).toEqual(['post', 'dm']);
    expect(woken.outbox).toBe(2);
  });

  it('appends audit entries at the current time, with a copy of their details', async () => {
    const details = { a: 1 };
    await core.audit('BG-3', 'U1', 'requested', details);
    await core.audit('BG-3', 'scheduler', 'reminded');
    expect(await store.listAudit('BG-3')).toEqual([
      { at: clock.now, requestId: 'BG-3', actor: 'U1', action: 'requested', details: { a: 1 } },
      { at: clock.now, requestId: 'BG-3', actor: 'scheduler', action: 'reminded' },
    ]);
  });
});
