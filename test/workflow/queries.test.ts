/**
 * What people are told when Slack refuses a notice for good, and what the
 * workflow answers when asked (App Home, status, list), through the workflow
 * with the fake AWS.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RootTaskError } from '../../src/aws/errors.js';
import { OrganizationDirectory } from '../../src/aws/organization.js';
import type { Delivery } from '../../src/domain/notice.js';
import { DeliveryError } from '../../src/workflow/delivery-error.js';
import { organizationAccounts } from '../../src/workflow/organization-accounts.js';
import { memberId } from '../fakes/aws/sample-org.js';
import { hardeningFixture, requestFixture } from '../support/fixtures.js';
import {
  APPROVER_A,
  APPROVER_B,
  OUTSIDER,
  REQUESTER,
  SETTINGS,
  startWorkflowEnv,
  type WorkflowEnv,
} from '../support/workflow-env.js';
import { approveByBoth, currentRequest, submitRequest } from '../support/workflow-flows.js';

const ACCOUNT = memberId(2);
let env: WorkflowEnv;
beforeEach(async () => {
  env = await startWorkflowEnv();
});
afterEach(() => env.close());

const trail = async (id: string) =>
  (await env.store.listAudit(id)).map((e) => [e.actor, e.action, e.details]);

describe('notices Slack refuses for good', () => {
  it('audits the refusal with what was refused and why', async () => {
    env.announcer.refuse.set('dm:granted', 'cannot_dm_bot');
    const r = await submitRequest(env, ACCOUNT);
    await approveByBoth(env, r);
    expect((await trail(r.id)).filter(([, action]) => action === 'notice undeliverable')).toEqual([
      ['outbox', 'notice undeliverable', { what: 'dm granted', slackError: 'cannot_dm_bot' }],
    ]);
    // The requester could not be told by DM: the thread is told instead.
    expect(env.announcer.said.at(-1)).toMatchObject({ to: 'thread', kind: 'not-delivered' });
  });

  it('does not cancel a request that was already decided when its post was refused', async () => {
    env.announcer.refuse.set('post', 'not_in_channel');
    const result = await env.workflow.actions.submit({
      requesterId: REQUESTER,
      accountId: ACCOUNT,
      task: 'password-recovery',
      durationSeconds: 3600,
      justification: 'x',
    });
    if (!result.ok || !('request' in result)) throw new Error('not submitted');
    const id = result.request.id;
    expect((await env.workflow.actions.cancel(id, REQUESTER)).ok).toBe(true);
    await env.runDue();
    const stored = (await currentRequest(env, id)).request;
    expect(stored.state).toBe('cancelled');
    expect(stored).not.toHaveProperty('cancelReason');
    const actions = (await trail(id)).map(([, action]) => action);
    expect(actions).toContain('notice undeliverable');
    expect(actions).not.toContain('cancelled: not shown');
    expect(env.announcer.said.filter((s) => s.kind === 'not-delivered')).toEqual([]);
  });

  it('cancels a pending request whose post was refused, and audits why', async () => {
    env.announcer.refuse.set('post', 'channel_not_found');
    const r = await submitRequest(env, ACCOUNT);
    expect((await currentRequest(env, r.id)).request).toMatchObject({
      state: 'cancelled',
      cancelReason: 'Slack refused to post it to the approvals channel (channel_not_found)',
    });
    expect((await trail(r.id)).map(([actor, action]) => `${actor}:${action}`)).toContain(
      'outbox:cancelled: not shown',
    );
  });

  it('does not chase a refused update of the request message once the request is past pending', async () => {
    const r = await submitRequest(env, ACCOUNT);
    env.announcer.refuse.set('update', 'invalid_blocks');
    await approveByBoth(env, r);
    expect(env.announcer.said.filter((s) => s.kind === 'not-delivered')).toEqual([]);
    expect((await currentRequest(env, r.id)).request.state).toBe('active');
  });

  it('cancels a bulk hardening whose message Slack refuses, DMs its requester, and DMs a refused summary', async () => {
    const pending = hardeningFixture('BH-1', {
      requesterId: REQUESTER,
      createdAt: 0,
      preview: 'ready',
      contentHash: 'H',
    });
    const row = { accountId: ACCOUNT, name: 'acct', state: 'pending' as const, attempts: 0 };
    await env.store.createHardening(pending, [row]);
    const refused = (id: string, delivery: Delivery) =>
      env.workflow.undeliverable(
        { id: '1', requestId: id, delivery, attempts: 1, createdAt: 0 },
        new DeliveryError('permanent', 'not_in_channel'),
      );
    await refused('BH-1', { to: 'harden-post' });
    expect((await env.store.getHardening('BH-1'))?.hardening.state).toBe('cancelled');
    await env.store.createHardening({ ...pending, id: 'BH-2', state: 'closed' }, [row]);
    await refused('BH-2', { to: 'harden-summary' });
    const dms = async (id: string) =>
      (await env.store.listDeliveries(id))
        .filter((d) => d.delivery.to === 'harden-dm')
        .map((d) => d.delivery);
    expect(await dms('BH-1')).toEqual([{ to: 'harden-dm', userId: REQUESTER, slackError: 'not_in_channel' }]);
    expect(await dms('BH-2')).toEqual([{ to: 'harden-dm', userId: REQUESTER, slackError: 'not_in_channel' }]);
    // A refused DM is not escalated again.
    await refused('BH-2', { to: 'harden-dm', userId: REQUESTER, slackError: 'not_in_channel' });
    expect(await dms('BH-2')).toHaveLength(1);
  });

  it('tells nobody about a notice of a request that no longer exists', async () => {
    await env.workflow.undeliverable(
      {
        id: '1',
        requestId: 'BG-GONE',
        delivery: { to: 'channel', notice: { kind: 'nudge', request: requestFixture('BG-GONE') } },
        attempts: 1,
        createdAt: 0,
      },
      new DeliveryError('permanent', 'is_archived'),
    );
    expect(await env.store.listDeliveries('BG-GONE')).toEqual([]);
  });
});

describe('queries', () => {
  it("shows an approver what awaits them: others' pending requests they have not approved", async () => {
    const later = (overrides = {}) => {
      env.clock.now += 1000;
      return submitRequest(env, ACCOUNT, overrides);
    };
    const mine = await later({ requesterId: APPROVER_A });
    const approved = await later();
    await env.workflow.actions.approve(approved.id, APPROVER_A, approved.contentHash);
    const waiting = await later();
    const active = await later();
    await approveByBoth(env, active);
    const denied = await later();
    await env.workflow.actions.deny(denied.id, APPROVER_B, 'no ticket');
    const cleaning = await later();
    const executing = await later();
    await approveByBoth(env, cleaning);
    await approveByBoth(env, executing, false);
    await env.workflow.actions.finish(cleaning.id, REQUESTER);
    expect((await currentRequest(env, cleaning.id)).request.state).toBe('cleaning');
    expect((await currentRequest(env, executing.id)).request.state).toBe('executing');

    const home = await env.workflow.overview(APPROVER_A);
    expect(home.toApprove.map((r) => r.id)).toEqual([waiting.id]);
    expect(home.active.map((r) => r.id)).toEqual([executing.id, cleaning.id, active.id]);
    expect(home.recent.map((r) => r.id)).toEqual([
      executing.id,
      cleaning.id,
      denied.id,
      active.id,
      waiting.id,
      approved.id,
      mine.id,
    ]);
    expect((await env.workflow.overview(APPROVER_B)).toApprove.map((r) => r.id)).toEqual([
      waiting.id,
      approved.id,
      mine.id,
    ]);
    expect((await env.workflow.overview(OUTSIDER)).toApprove).toEqual([]);
  });

  it('lists the newest requests, fifteen unless told, and finds one however it is typed', async () => {
    for (let i = 0; i < 16; i++) {
      env.clock.now += 1000;
      await env.workflow.actions.submit({
        requesterId: REQUESTER,
        accountId: ACCOUNT,
        task: 'password-recovery',
        durationSeconds: 3600,
        justification: `request ${i}`,
      });
    }
    const listed = await env.workflow.list();
    expect(listed).toHaveLength(15);
    expect(listed[0]?.justification).toBe('request 15');
    expect(await env.workflow.list(3)).toHaveLength(3);
    expect((await env.workflow.overview(REQUESTER)).recent).toEqual(listed.slice(0, 10));
    const id = listed[0]?.id ?? '';
    expect((await env.workflow.get(`  ${id.toLowerCase()} `))?.request.id).toBe(id);
    expect(env.workflow.settings).toEqual(SETTINGS);
  });
});

describe('organizationAccounts', () => {
  it('says which accounts may be targeted, and why not', async () => {
    const accounts = organizationAccounts(env.aws.organization);
    expect(await accounts.targetable(ACCOUNT)).toMatchObject({ ok: true, account: { id: ACCOUNT } });
    const refused = await accounts.targetable('999999999999');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toMatch(/999999999999/);
    expect((await accounts.find(ACCOUNT))?.name).toBe('workload-0002');
    expect(await accounts.find('999999999999')).toBeUndefined();
  });

  it('lets an unexpected failure through instead of calling it a refusal', async () => {
    class Broken extends OrganizationDirectory {
      override async assertTargetable(): Promise<never> {
        throw new TypeError('cannot read properties of undefined');
      }
    }
    const broken = new Broken(env.aws.clients);
    await expect(organizationAccounts(broken).targetable(ACCOUNT)).rejects.toThrow(TypeError);
    class Refusing extends OrganizationDirectory {
      override async assertTargetable(): Promise<never> {
        throw new RootTaskError('invalid-input', 'that account is suspended');
      }
    }
    const refusing = new Refusing(env.aws.clients);
    expect(await organizationAccounts(refusing).targetable(ACCOUNT)).toEqual({
      ok: false,
      reason: 'that account is suspended',
    });
  });
});
