/**
 * What the workflow facade answers people (App Home, list, status) and what it
 * offers (the modal's choices, who approves), over a real SQLite store: each
 * viewer sees what they may, and may end only the windows they may.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkPolicy } from '../../src/domain/policy.js';
import type { BreakglassRequest } from '../../src/domain/request.js';
import { PolicyRouting } from '../../src/workflow/policy-routing.js';
import type { Authorizer } from '../../src/workflow/ports.js';
import { mayView } from '../../src/workflow/workflow.js';
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

const OTHER = 'UOTHERREQ1';
let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Approver lists are honoured: a request routed to B alone is B's to decide. */
const listAuth: Authorizer = {
  isApprover: async (userId, approvers = [APPROVER_A, APPROVER_B]) => approvers.includes(userId),
  mayRequest: async (userId) => userId !== OUTSIDER,
};

const ROUTE_B = { rule: 'payments', approvers: [APPROVER_B], durationsSeconds: [3600] };

function request(id: string, at: number, overrides: Partial<BreakglassRequest>): BreakglassRequest {
  return requestFixture(id, { createdAt: at, accountId: memberId(1), ...overrides });
}

async function seed(e: WorkflowEnv) {
  const put = (r: BreakglassRequest) => e.store.createRequest(r);
  await put(request('BG-MINEACT', 1, { requesterId: REQUESTER, state: 'active' }));
  await put(request('BG-MINEEXE', 2, { requesterId: REQUESTER, state: 'executing' }));
  await put(request('BG-OTHRACT', 3, { requesterId: OTHER, state: 'active' }));
  await put(request('BG-OTHRCLN', 4, { requesterId: OTHER, state: 'cleaning' }));
  await put(request('BG-ROUTEDB', 5, { requesterId: OTHER, state: 'active', route: ROUTE_B }));
  await put(request('BG-PENDALL', 6, { requesterId: OTHER, state: 'pending' }));
  await put(request('BG-PENDBOB', 7, { requesterId: OTHER, state: 'pending', route: ROUTE_B }));
  await put(request('BG-MINEPND', 8, { requesterId: REQUESTER, state: 'pending' }));
}

const ids = (rs: readonly BreakglassRequest[]) => rs.map((r) => r.id);

describe('the App Home', () => {
  it('shows a requester their own requests only, and lets them end their own active window', async () => {
    env = await startWorkflowEnv({ auth: listAuth });
    await seed(env);
    const home = await env.workflow.overview(REQUESTER);
    expect(home.isApprover).toBe(false);
    expect(home.toApprove).toEqual([]);
    expect(ids(home.active)).toEqual(['BG-MINEEXE', 'BG-MINEACT']);
    expect(ids(home.recent)).toEqual(['BG-MINEPND', 'BG-MINEEXE', 'BG-MINEACT']);
    // Executing is no window to end yet.
    expect(home.mayEnd).toEqual(['BG-MINEACT']);
  });

  it('shows an approver every open window and what their rule lets them decide and end', async () => {
    env = await startWorkflowEnv({ auth: listAuth });
    await seed(env);
    const a = await env.workflow.overview(APPROVER_A);
    expect(a.isApprover).toBe(true);
    expect(ids(a.active)).toEqual(['BG-ROUTEDB', 'BG-OTHRCLN', 'BG-OTHRACT', 'BG-MINEEXE', 'BG-MINEACT']);
    // B's rule decides BG-PENDBOB and BG-ROUTEDB: not A's to approve or end.
    expect(ids(a.toApprove)).toEqual(['BG-MINEPND', 'BG-PENDALL']);
    expect(a.mayEnd).toEqual(['BG-OTHRACT', 'BG-MINEACT']);
    const b = await env.workflow.overview(APPROVER_B);
    expect(ids(b.toApprove)).toEqual(['BG-MINEPND', 'BG-PENDBOB', 'BG-PENDALL']);
    expect(b.mayEnd).toEqual(['BG-ROUTEDB', 'BG-OTHRACT', 'BG-MINEACT']);
  });
});

describe('lists and lookups', () => {
  it('lists everything for an approver and only their own for anyone else', async () => {
    env = await startWorkflowEnv();
    await seed(env);
    const approver = await env.workflow.visibleList(APPROVER_A, 3);
    expect(approver).toEqual({
      isApprover: true,
      requests: [
        expect.objectContaining({ id: 'BG-MINEPND' }),
        expect.objectContaining({ id: 'BG-PENDBOB' }),
        expect.objectContaining({ id: 'BG-PENDALL' }),
      ],
    });
    const own = await env.workflow.visibleList(REQUESTER);
    expect(own.isApprover).toBe(false);
    expect(ids(own.requests)).toEqual(['BG-MINEPND', 'BG-MINEEXE', 'BG-MINEACT']);
    expect(ids((await env.workflow.visibleList(OTHER)).requests)).toHaveLength(5);
    expect(ids((await env.workflow.visibleList(OTHER, 2)).requests)).toEqual(['BG-PENDBOB', 'BG-PENDALL']);
  });

  it("finds a user's latest request, and none for someone who never asked", async () => {
    env = await startWorkflowEnv();
    await seed(env);
    expect((await env.workflow.latestOf(REQUESTER))?.id).toBe('BG-MINEPND');
    expect((await env.workflow.latestOf(OTHER))?.id).toBe('BG-PENDBOB');
    expect(await env.workflow.latestOf(APPROVER_A)).toBeUndefined();
  });

  it("shows a request to its requester and approvers, and never says whether someone else's exists", async () => {
    env = await startWorkflowEnv();
    await seed(env);
    expect((await env.workflow.visibleRequest(REQUESTER, ' bg-mineact '))?.id).toBe('BG-MINEACT');
    expect((await env.workflow.visibleRequest(APPROVER_A, 'BG-MINEACT'))?.id).toBe('BG-MINEACT');
    expect(await env.workflow.visibleRequest(REQUESTER, 'BG-OTHRACT')).toBeUndefined();
    expect(await env.workflow.visibleRequest(REQUESTER, 'BG-NOTHERE')).toBeUndefined();
    expect(await env.workflow.visibleRequest(APPROVER_A, 'BG-NOTHERE')).toBeUndefined();
  });

  it('lets approvers view every request, and anyone else their own', () => {
    const r = requestFixture('BG-1', { requesterId: REQUESTER });
    expect(mayView(r, REQUESTER, false)).toBe(true);
    expect(mayView(r, OTHER, false)).toBe(false);
    expect(mayView(r, APPROVER_A, true)).toBe(true);
  });
});

describe('choices and approvers', () => {
  it('offers the configured durations and tasks without a policy file, and the configured approvers decide', async () => {
    env = await startWorkflowEnv({ settings: { tasks: ['password-recovery'] } });
    expect(env.workflow.choices()).toMatchObject({
      durationsSeconds: SETTINGS.durationsSeconds,
      tasks: ['password-recovery'],
    });
    expect(env.workflow.approversOf(requestFixture('BG-1'))).toBeUndefined();
    expect(env.workflow.approversOf(requestFixture('BG-2', { route: ROUTE_B }))).toEqual([APPROVER_B]);
  });

  it('offers what some rule allows with a policy file, and its default rule decides unrouted requests', async () => {
    const checked = checkPolicy({
      version: 1,
      rules: [
        {
          name: 'payments',
          match: { accounts: [memberId(1)] },
          approvers: { users: [APPROVER_B, OTHER] },
          durations: ['4h'],
        },
      ],
    });
    if (!checked.policy) throw new Error(checked.problems.join('; '));
    const routing = new PolicyRouting(
      checked.policy,
      { approvers: [APPROVER_A], requesters: [], durationsSeconds: [1800], tasks: ['password-recovery'] },
      async () => [],
    );
    env = await startWorkflowEnv({ routing });
    expect(env.workflow.choices()).toEqual(routing.choices);
    expect(env.workflow.choices().durationsSeconds).toContain(4 * 3600);
    expect(env.workflow.approversOf(requestFixture('BG-1'))).toEqual([APPROVER_A]);
    expect(env.workflow.approversOf(requestFixture('BG-2', { route: ROUTE_B }))).toEqual([APPROVER_B]);
  });
});

describe('delivered notices', () => {
  const pending = hardeningFixture('BH-1', {
    requesterId: REQUESTER,
    createdAt: 0,
    preview: 'ready',
    contentHash: 'H',
  });

  it("records when a hardening's list of accounts was shared, and nothing for other notices", async () => {
    env = await startWorkflowEnv();
    await env.store.createHardening(pending, [
      { accountId: memberId(1), name: 'acct', state: 'pending', attempts: 0 },
    ]);
    const item = (requestId: string, delivery: Parameters<WorkflowEnv['store']['enqueue']>[1][number]) => ({
      id: '1',
      requestId,
      delivery,
      attempts: 1,
      createdAt: 0,
    });
    // Notices of requests and audits move nothing (and name no hardening).
    await env.workflow.delivered(item('BG-NOTHERE', { to: 'update' }));
    await env.workflow.delivered(
      item('BH-1', { to: 'file', file: { source: 'harden-csv', filename: 'hardened-BH-1.csv', title: 't' } }),
    );
    expect((await env.store.getHardening('BH-1'))?.hardening.listSharedAt).toBeUndefined();
    env.clock.now += 1000;
    await env.workflow.delivered(
      item('BH-1', {
        to: 'file',
        file: { source: 'harden-csv', filename: 'to-harden-BH-1.csv', title: 't' },
      }),
    );
    expect((await env.store.getHardening('BH-1'))?.hardening.listSharedAt).toBe(env.clock.now);
  });
});
