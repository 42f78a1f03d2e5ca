import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/domain/content-hash.js';
import {
  type BreakglassRequest,
  canTransition,
  decideApproval,
  decideDenial,
  decideExtension,
  decideExtensionApproval,
  decideExtensionDecline,
  extensionFits,
  FINAL_STATES,
  longestWindowSeconds,
  opensWindow,
  type RequestState,
  TASK_KINDS,
  TASK_LABELS,
} from '../../src/domain/request.js';
import { requestFixture } from '../support/fixtures.js';

const STATES: RequestState[] = [
  'pending',
  'executing',
  'active',
  'cleaning',
  'closed',
  'completed',
  'failed',
  'denied',
  'expired',
  'cancelled',
];

/** Every allowed change of state; anything else is a bug. */
const ALLOWED = new Set([
  'pending>executing',
  'pending>denied',
  'pending>expired',
  'pending>cancelled',
  'executing>active',
  'executing>completed',
  'executing>failed',
  'executing>cleaning',
  'active>cleaning',
  'cleaning>closed',
  // a grant that landed after its fallback cleanup had verified, or after an older attempt gave up
  'closed>cleaning',
  'failed>cleaning',
]);

describe('state machine', () => {
  it.each(STATES)('allows exactly the listed changes from %s', (from) => {
    for (const to of STATES)
      expect([to, canTransition(from, to)]).toEqual([to, ALLOWED.has(`${from}>${to}`)]);
  });

  it('calls final the states a request never leaves (but for a late grant cleaned up again)', () => {
    const leaves = (s: RequestState) =>
      STATES.some(
        (to) => canTransition(s, to) && !['closed>cleaning', 'failed>cleaning'].includes(`${s}>${to}`),
      );
    expect([...FINAL_STATES].sort()).toEqual(STATES.filter((s) => !leaves(s)).sort());
    expect([...FINAL_STATES].sort()).toEqual([
      'cancelled',
      'closed',
      'completed',
      'denied',
      'expired',
      'failed',
    ]);
  });
});

describe('tasks', () => {
  it('labels each task for people, and only password recovery opens a window', () => {
    expect(TASK_LABELS).toEqual({
      'password-recovery': 'Allow root password recovery',
      'unlock-s3': 'Unlock S3 bucket policy',
      'unlock-sqs': 'Unlock SQS queue policy',
      'delete-credentials': 'Delete root credentials',
    });
    expect(TASK_KINDS.filter(opensWindow)).toEqual(['password-recovery']);
  });
});

describe('refusals say why', () => {
  const pending = requestFixture('BG-1');

  it('refuses to approve or deny a request that is no longer pending', () => {
    const denied = { ...pending, state: 'denied' as const };
    expect(decideApproval(denied, 'UA', { isApprover: true, contentHash: 'h', now: 1 })).toEqual({
      kind: 'refused',
      reason: 'this request is already denied',
    });
    expect(decideDenial({ ...pending, state: 'active' }, 'UA', { isApprover: true, reason: 'late' })).toEqual(
      {
        ok: false,
        reason: 'this request is already active',
      },
    );
  });

  it('needs an approver, and a reason, to deny', () => {
    expect(decideDenial(pending, 'UX', { isApprover: false, reason: 'no' })).toEqual({
      ok: false,
      reason: 'only approvers can deny break-glass requests',
    });
    expect(decideDenial(pending, 'UA', { isApprover: true, reason: ' \n ' })).toEqual({
      ok: false,
      reason: 'give a reason for the denial',
    });
  });

  it('extends only a granted, active window, never past the longest duration', () => {
    const active: BreakglassRequest = {
      ...pending,
      state: 'active',
      grantedAt: 1000,
      windowEndsAt: 1000 + 3_600_000,
    };
    const refusal = (state: string) => ({
      ok: false,
      reason: `only an active window can be extended (this one is ${state})`,
    });
    expect(
      decideExtension({ ...active, state: 'cleaning' }, 60, { maxTotalSeconds: 7200, now: 1000 }),
    ).toEqual(refusal('cleaning'));
    const { grantedAt: _g, ...notGranted } = active;
    expect(decideExtension(notGranted, 60, { maxTotalSeconds: 7200, now: 1000 })).toEqual(refusal('active'));
    const { windowEndsAt: _w, ...noEnd } = active;
    expect(decideExtension(noEnd, 60, { maxTotalSeconds: 7200, now: 1000 })).toEqual(refusal('active'));
    expect(decideExtension(active, 3601, { maxTotalSeconds: 7200, now: 1000 })).toEqual({
      ok: false,
      reason: 'the window would exceed the longest allowed duration',
    });
    expect(decideExtension(active, 3600, { maxTotalSeconds: 7200, now: 1000 })).toEqual({
      ok: true,
      windowEndsAt: 1000 + 7_200_000,
    });
  });

  it("names the request's rule when a routed request refuses someone who is not its approver", () => {
    const route = { rule: 'production', approvers: ['UP'], durationsSeconds: [3600] };
    const routed: BreakglassRequest = { ...pending, route };
    const active: BreakglassRequest = {
      ...routed,
      state: 'active',
      grantedAt: 1000,
      windowEndsAt: 1000 + 3_600_000,
      extensionRequest: { seconds: 60, at: 2000, nonce: 'n' },
    };
    const click = { seconds: 60, nonce: 'n' };
    expect(decideApproval(routed, 'UX', { isApprover: false, contentHash: 'h', now: 1 })).toEqual({
      kind: 'refused',
      reason: 'you are not an approver under rule production',
    });
    expect(decideDenial(routed, 'UX', { isApprover: false, reason: 'no' })).toEqual({
      ok: false,
      reason: 'only approvers can deny break-glass requests; you are not an approver under rule production',
    });
    expect(
      decideExtensionApproval(active, 'UX', click, { isApprover: false, maxTotalSeconds: 7200, now: 3000 }),
    ).toEqual({ ok: false, reason: 'you are not an approver under rule production' });
    expect(decideExtensionDecline(active, 'UX', click, { isApprover: false, reason: 'no' })).toEqual({
      ok: false,
      reason: 'only approvers can decline an extension; you are not an approver under rule production',
    });
  });

  it('takes the longest configured duration as the bound', () => {
    expect(longestWindowSeconds([1800, 7200, 3600])).toBe(7200);
  });
});

describe('contentHash of a request without a preview', () => {
  it('is defined, and differs from one whose preview is loading', () => {
    const bare = requestFixture('BG-1');
    expect(contentHash(bare)).toMatch(/^[\w-]{16}$/);
    expect(contentHash(bare)).not.toBe(contentHash({ ...bare, preview: { status: 'loading' } }));
  });
});

describe('whether an extension fits in the longest allowed window', () => {
  const granted = requestFixture('BG-1', { state: 'active', grantedAt: 0, windowEndsAt: 3_600_000 });

  it('adds the extension to the window as it is now', () => {
    expect(extensionFits(granted, 3600, 7200)).toBe(true);
    expect(extensionFits(granted, 3601, 7200)).toBe(false);
  });

  it('never fits a request that was not granted, or whose window is unknown', () => {
    expect(extensionFits(requestFixture('BG-2'), 60, 7200)).toBe(false);
    expect(extensionFits(requestFixture('BG-3', { grantedAt: 0 }), 60, 7200)).toBe(false);
    expect(extensionFits(requestFixture('BG-4', { windowEndsAt: 3_600_000 }), 60, 7200)).toBe(false);
  });
});
