import { describe, expect, it } from 'vitest';
import { checkAccountId, checkBucketName, checkQueueUrl } from '../../src/domain/aws-identifiers.js';
import { formatDuration, parseDuration } from '../../src/domain/durations.js';
import {
  type BreakglassRequest,
  canTransition,
  decideApproval,
  decideDenial,
  decideExtension,
} from '../../src/domain/request.js';
import { cleanupRetryDelayMs, pendingSchedule, reminderAt } from '../../src/domain/schedule.js';

const base: BreakglassRequest = {
  id: 'BG-1',
  requesterId: 'UREQ',
  accountId: '200000000001',
  accountName: 'workload',
  task: 'password-recovery',
  durationSeconds: 3600,
  justification: 'x',
  createdAt: 0,
  state: 'pending',
  approvals: [],
  contentHash: 'h1',
};
const ctx = { isApprover: true, contentHash: 'h1', now: 10 };

describe('two-person rule', () => {
  it('needs two different approvers', () => {
    const first = decideApproval(base, 'UA', ctx);
    expect(first).toMatchObject({ kind: 'recorded', complete: false });
    const afterFirst = { ...base, approvals: first.kind === 'recorded' ? first.approvals : [] };
    expect(decideApproval(afterFirst, 'UA', ctx)).toEqual({ kind: 'duplicate' });
    expect(decideApproval(afterFirst, 'UB', ctx)).toMatchObject({ kind: 'recorded', complete: true });
  });

  it.each([
    ['the requester', 'UREQ', ctx, /your own request/],
    ['a non-approver', 'UX', { ...ctx, isApprover: false }, /not an approver/],
    ['an approver who saw other content', 'UA', { ...ctx, contentHash: 'old' }, /changed since you saw it/],
  ])('refuses %s', (_who, user, context, reason) => {
    const decision = decideApproval(base, user, context);
    expect(decision.kind).toBe('refused');
    expect(decision.kind === 'refused' && decision.reason).toMatch(reason);
  });

  it('refuses approvals once the request left pending', () => {
    expect(decideApproval({ ...base, state: 'denied' }, 'UA', ctx)).toMatchObject({ kind: 'refused' });
  });
});

describe('denial', () => {
  it('needs an approver (or the requester) and a reason', () => {
    expect(decideDenial(base, 'UA', { isApprover: true, reason: 'no ticket' })).toEqual({ ok: true });
    expect(decideDenial(base, 'UREQ', { isApprover: false, reason: 'withdrawn' })).toEqual({ ok: true });
    expect(decideDenial(base, 'UX', { isApprover: false, reason: 'x' })).toMatchObject({ ok: false });
    expect(decideDenial(base, 'UA', { isApprover: true, reason: '  ' })).toMatchObject({ ok: false });
  });
});

describe('extension', () => {
  const active = { ...base, state: 'active' as const, grantedAt: 0, windowEndsAt: 3_600_000 };
  it('extends up to the longest allowed duration in total', () => {
    const at = { maxTotalSeconds: 4 * 3600, now: 0 };
    expect(decideExtension(active, 1800, at)).toEqual({ ok: true, windowEndsAt: 5_400_000 });
    expect(decideExtension(active, 3 * 3600, at)).toMatchObject({ ok: true });
    expect(decideExtension(active, 3 * 3600 + 1, at)).toMatchObject({ ok: false });
  });
  it('only extends an active window', () => {
    expect(decideExtension(base, 60, { maxTotalSeconds: 3600, now: 0 })).toMatchObject({ ok: false });
  });
});

describe('state machine', () => {
  it('never leaves a final state and never skips cleanup verification', () => {
    expect(canTransition('pending', 'executing')).toBe(true);
    expect(canTransition('active', 'closed')).toBe(false);
    expect(canTransition('cleaning', 'closed')).toBe(true);
    expect(canTransition('closed', 'active')).toBe(false);
    expect(canTransition('denied', 'executing')).toBe(false);
  });
});

describe('schedules', () => {
  const policy = { pendingTtlSeconds: 3600, remindBeforeSeconds: 600 };
  it('nudges halfway to expiry', () => {
    expect(pendingSchedule(1000, policy)).toEqual({ nudgeAt: 1000 + 1_800_000, expireAt: 1000 + 3_600_000 });
  });
  it('reminds before the end, or halfway through a short window', () => {
    expect(reminderAt(0, 3_600_000, policy)).toBe(3_000_000);
    expect(reminderAt(0, 300_000, policy)).toBe(150_000);
  });
  it('backs off cleanup retries up to a cap', () => {
    expect([1, 2, 3, 10].map((n) => cleanupRetryDelayMs(n))).toEqual([30_000, 60_000, 120_000, 900_000]);
  });
});

describe('durations', () => {
  it.each([
    ['30m', 1800],
    ['1h', 3600],
    ['1h30m', 5400],
    ['45s', 45],
    [' 2H ', 7200],
    ['250ms', 0.25],
  ])('parses %s', (text, seconds) => expect(parseDuration(text)).toBe(seconds));
  it.each(['', '0m', '10', 'm', '1d', '1h 3x'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
  it('formats', () => {
    expect([45, 600, 5400, 7200].map(formatDuration)).toEqual(['45s', '10m', '1h 30m', '2h']);
  });
});

describe('AWS identifiers', () => {
  it('checks account ids', () => {
    expect(checkAccountId(' 123456789012 ')).toEqual({ ok: true, value: '123456789012' });
    expect(checkAccountId('12345678901').ok).toBe(false);
  });
  it.each(['my-bucket', 'logs.example.com', 'a1b'])('accepts bucket %s', (b) =>
    expect(checkBucketName(b).ok).toBe(true),
  );
  it.each(['ab', 'My-Bucket', 'bad_bucket', 'a..b', '192.168.1.1', 'xn--abc', 'b-s3alias', '-ab'])(
    'refuses bucket %s',
    (b) => expect(checkBucketName(b).ok).toBe(false),
  );
  it('parses queue URLs and their region', () => {
    expect(checkQueueUrl('https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo')).toEqual({
      ok: true,
      value: {
        url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo',
        accountId: '123456789012',
        name: 'orders.fifo',
        region: 'eu-west-1',
      },
    });
  });
  it.each([
    'http://sqs.us-east-1.amazonaws.com/123456789012/q',
    'https://example.com/123456789012/q',
    'https://sqs.us-east-1.amazonaws.com/1234/q',
    'https://sqs.us-east-1.amazonaws.com/123456789012/bad name',
    'https://sqs.us-east-1.amazonaws.com/123456789012/q?x=1',
    'not a url',
  ])('refuses queue URL %s', (u) => expect(checkQueueUrl(u).ok).toBe(false));
});
