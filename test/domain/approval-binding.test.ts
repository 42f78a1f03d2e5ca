/** Approvals bind to what was approved: extension asks, previews, policies. Table tests of pure rules. */
import { describe, expect, it } from 'vitest';
import { contentHash, policyHash } from '../../src/domain/content-hash.js';
import { withPreview } from '../../src/domain/preview.js';
import {
  type BreakglassRequest,
  decideExtension,
  decideExtensionApproval,
  decideExtensionAsk,
  decideExtensionDecline,
  decideExtensionWithdrawal,
  type ExtensionClick,
  type RequestPreview,
} from '../../src/domain/request.js';

const HOUR = 3_600_000;
const MAX = 2 * 3600;
const ask = { seconds: 1800, at: 10, nonce: 'n-current' };
const click: ExtensionClick = { seconds: 1800, nonce: 'n-current' };

const active: BreakglassRequest = {
  id: 'BG-1',
  requesterId: 'UREQ',
  accountId: '200000000001',
  accountName: 'workload',
  task: 'password-recovery',
  durationSeconds: 3600,
  justification: 'x',
  createdAt: 0,
  state: 'active',
  approvals: [
    { userId: 'UA', at: 1 },
    { userId: 'UB', at: 2 },
  ],
  contentHash: 'h',
  grantedAt: 0,
  windowEndsAt: HOUR,
};
const asked: BreakglassRequest = { ...active, extensionRequest: ask };
const open = { maxTotalSeconds: MAX, now: HOUR - 1 };

type Verdict = true | RegExp;
function verdict(result: { ok: true } | { ok: false; reason: string }): true | string {
  return result.ok ? true : result.reason;
}
function expectVerdict(result: { ok: true } | { ok: false; reason: string }, expected: Verdict): void {
  if (expected === true) expect(verdict(result)).toBe(true);
  else expect(verdict(result)).toMatch(expected);
}

describe('decideExtension: only while the window is open', () => {
  const cases: [string, BreakglassRequest, number, Verdict][] = [
    ['a millisecond before the end', active, HOUR - 1, true],
    ['at the end, cleanup not run yet (still active)', active, HOUR, /already ended/],
    ['after the end, cleanup not run yet', active, HOUR + 60_000, /already ended/],
    ['a window being cleaned up', { ...active, state: 'cleaning' }, 0, /only an active window/],
  ];
  it.each(cases)('%s', (_name, r, now, expected) => {
    expectVerdict(decideExtension(r, 1800, { maxTotalSeconds: MAX, now }), expected);
  });
});

describe('decideExtensionAsk: one ask at a time, by the requester, while open', () => {
  const cases: [string, BreakglassRequest, string, number, number, Verdict][] = [
    ['the requester, first ask', active, 'UREQ', 1800, HOUR - 1, true],
    ['someone else', active, 'UA', 1800, HOUR - 1, /only the requester/],
    ['a second ask while one is pending', asked, 'UREQ', 1800, HOUR - 1, /already waiting for approval/],
    ['a second ask for other seconds', asked, 'UREQ', 600, HOUR - 1, /already waiting for approval/],
    ['past the longest duration', active, 'UREQ', 3601, HOUR - 1, /longest allowed duration/],
    ['after the window ended', active, 'UREQ', 1800, HOUR, /already ended/],
  ];
  it.each(cases)('%s', (_name, r, user, seconds, now, expected) => {
    expectVerdict(decideExtensionAsk(r, user, seconds, { maxTotalSeconds: MAX, now }), expected);
  });
});

describe('decideExtensionApproval: one approver, exactly the ask clicked, while open', () => {
  const approver = { isApprover: true, ...open };
  const cases: [string, BreakglassRequest, string, ExtensionClick, typeof approver, Verdict][] = [
    ['an approver on the current ask', asked, 'UA', click, approver, true],
    ['the requester (even an approver)', asked, 'UREQ', click, approver, /your own extension/],
    ['a non-approver', asked, 'UX', click, { ...approver, isApprover: false }, /not an approver/],
    ['with no ask pending', active, 'UA', click, approver, /no extension waiting/],
    ['a stale click (older nonce)', asked, 'UA', { ...click, nonce: 'n-old' }, approver, /no longer waiting/],
    ['a click naming other seconds', asked, 'UA', { ...click, seconds: 3600 }, approver, /no longer waiting/],
    [
      'at the window end, cleanup not run yet',
      asked,
      'UA',
      click,
      { ...approver, now: HOUR },
      /already ended/,
    ],
  ];
  it.each(cases)('%s', (_name, r, user, c, context, expected) => {
    expectVerdict(decideExtensionApproval(r, user, c, context), expected);
  });

  it('extends by the seconds of the ask', () => {
    expect(decideExtensionApproval(asked, 'UA', click, approver)).toEqual({
      ok: true,
      windowEndsAt: HOUR + 1_800_000,
    });
  });
});

describe('decideExtensionDecline: an approver, the ask clicked, a reason', () => {
  const approver = { isApprover: true, reason: 'not needed' };
  const cases: [string, BreakglassRequest, string, ExtensionClick, typeof approver, Verdict][] = [
    ['an approver with a reason', asked, 'UA', click, approver, true],
    ['the requester', asked, 'UREQ', click, approver, /withdraw it instead/],
    ['a non-approver', asked, 'UX', click, { ...approver, isApprover: false }, /only approvers/],
    ['with no ask pending', active, 'UA', click, approver, /no extension waiting/],
    ['a stale click', asked, 'UA', { ...click, nonce: 'n-old' }, approver, /no longer waiting/],
    ['a blank reason', asked, 'UA', click, { ...approver, reason: '  ' }, /give a reason/],
  ];
  it.each(cases)('%s', (_name, r, user, c, context, expected) => {
    expectVerdict(decideExtensionDecline(r, user, c, context), expected);
  });
});

describe('decideExtensionWithdrawal: the requester, the ask clicked', () => {
  const cases: [string, BreakglassRequest, string, ExtensionClick, Verdict][] = [
    ['the requester', asked, 'UREQ', click, true],
    ['an approver', asked, 'UA', click, /only the requester/],
    ['with no ask pending', active, 'UREQ', click, /no extension waiting/],
    ['a stale click', asked, 'UREQ', { ...click, nonce: 'n-old' }, /no longer waiting/],
  ];
  it.each(cases)('%s', (_name, r, user, c, expected) => {
    expectVerdict(decideExtensionWithdrawal(r, user, c), expected);
  });
});

describe('withPreview: approvals bind to the content they saw', () => {
  const POLICY = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}';
  const draft: BreakglassRequest = {
    ...active,
    task: 'unlock-s3',
    target: 'locked-bucket',
    state: 'pending',
    grantedAt: undefined,
    windowEndsAt: undefined,
    approvals: [],
    preview: { status: 'ready', rootCredentials: 'no root credentials', policy: POLICY },
  };
  const shown = { ...draft, contentHash: contentHash(draft), policyHash: policyHash(POLICY) };
  const approved = { ...shown, approvals: [{ userId: 'UA', at: 5 }] };
  const ready = (policy: string | null): RequestPreview => ({
    status: 'ready',
    rootCredentials: 'no root credentials',
    policy,
  });

  const cases: [
    string,
    BreakglassRequest,
    RequestPreview,
    { cleared: string[]; policyHash?: string | null },
  ][] = [
    [
      'the same content: approvals stand',
      approved,
      ready(POLICY),
      { cleared: [], policyHash: policyHash(POLICY) },
    ],
    [
      'another policy: cleared',
      approved,
      ready('{"Statement":[]}'),
      { cleared: ['UA'], policyHash: policyHash('{"Statement":[]}') },
    ],
    ['the policy gone: cleared, and null', approved, ready(null), { cleared: ['UA'], policyHash: null }],
    [
      'other root credentials: cleared',
      approved,
      { ...ready(POLICY), rootCredentials: 'password' },
      { cleared: ['UA'], policyHash: policyHash(POLICY) },
    ],
    [
      'a failed read: cleared, no policy approved',
      approved,
      { status: 'failed', error: 'AccessDenied' },
      { cleared: ['UA'] },
    ],
    [
      'the first preview, nobody approved yet',
      { ...draft, preview: { status: 'loading' } },
      ready(POLICY),
      { cleared: [], policyHash: policyHash(POLICY) },
    ],
  ];
  it.each(cases)('%s', (_name, before, preview, expected) => {
    const { request, clearedApprovals } = withPreview(before, preview);
    expect(clearedApprovals.map((a) => a.userId)).toEqual(expected.cleared);
    expect(request.approvals).toEqual(expected.cleared.length ? [] : before.approvals);
    expect(request.preview).toEqual(preview);
    expect(request.contentHash).toBe(contentHash(request));
    expect(request.policyHash).toBe(expected.policyHash);
    expect('policyHash' in request).toBe(expected.policyHash !== undefined);
  });

  it('binds an SQS queue policy as it binds a bucket policy', () => {
    const { request } = withPreview(
      { ...draft, task: 'unlock-sqs', preview: { status: 'loading' } },
      ready(POLICY),
    );
    expect(request.policyHash).toBe(policyHash(POLICY));
  });

  it('stores no policy hash for a task that removes no policy', () => {
    const { request } = withPreview({ ...active, state: 'pending' }, ready(null));
    expect('policyHash' in request).toBe(false);
  });
});

describe('policyHash', () => {
  it('is the sha256 of the exact text, and null for no policy', () => {
    expect(policyHash(null)).toBeNull();
    expect(policyHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(policyHash('{"a":1}')).not.toBe(policyHash('{"a": 1}'));
  });
});
