import { describe, expect, it } from 'vitest';
import { contentHash, policyHash } from '../../src/domain/content-hash.js';
import type { BreakglassRequest } from '../../src/domain/request.js';

const seen: BreakglassRequest = {
  id: 'BG-1',
  requesterId: 'UREQ',
  accountId: '200000000001',
  accountName: 'workload',
  task: 'unlock-s3',
  target: 'locked-bucket',
  durationSeconds: 3600,
  justification: 'the bucket policy denies everyone',
  link: 'https://tickets.example.com/INC-1',
  createdAt: 0,
  state: 'pending',
  approvals: [],
  preview: { status: 'ready', rootCredentials: 'no root credentials', policy: '{"Statement":[]}' },
  contentHash: '',
};

/**
 * contentHash(seen) today. A request's hash is computed again when its preview is read again: a
 * change here changes the hash of every request pending across an upgrade and clears its
 * approvals. Change it on purpose only.
 */
const PINNED_HASH = 'JC-lOc7DRAr_4QsL';

describe('contentHash: approvals bind to what approvers saw', () => {
  it('is a short, stable digest', () => {
    expect(contentHash(seen)).toMatch(/^[\w-]{16}$/);
    expect(contentHash({ ...seen })).toBe(contentHash(seen));
  });

  it.each<[string, Partial<BreakglassRequest>]>([
    ['the request id', { id: 'BG-2' }],
    ['the requester', { requesterId: 'UOTHER' }],
    ['the account', { accountId: '200000000002' }],
    ['the task', { task: 'unlock-sqs' }],
    ['the target', { target: 'other-bucket' }],
    ['no target', { target: undefined }],
    ['the duration', { durationSeconds: 7200 }],
    ['the justification', { justification: 'the bucket policy denies everyone!' }],
    ['the incident link', { link: 'https://tickets.example.com/INC-2' }],
    ['no incident link', { link: undefined }],
    ['the preview still loading', { preview: { status: 'loading' } }],
    ['a failed preview', { preview: { status: 'failed', error: 'AccessDenied' } }],
    [
      'the root credentials found',
      { preview: { ...seen.preview, status: 'ready', rootCredentials: 'password' } },
    ],
    ['the policy to remove', { preview: { ...seen.preview, status: 'ready', policy: '{"Statement":[{}]}' } }],
    ['no policy to remove', { preview: { ...seen.preview, status: 'ready', policy: null } }],
    ['why the preview failed', { preview: { status: 'failed', error: 'AccessDenied' } }],
    [
      'each credential listed',
      { preview: { ...seen.preview, status: 'ready', credentials: [{ kind: 'password' }] } },
    ],
    [
      'the root mailbox shown',
      { preview: { ...seen.preview, status: 'ready', rootEmail: 'root@example.com' } },
    ],
    [
      "the queue policy's last change",
      { preview: { ...seen.preview, status: 'ready', queueLastModifiedAt: '2026-11-26T10:00:00.000Z' } },
    ],
    [
      'the rule that routed it',
      { route: { rule: 'payments', approvers: ['UA', 'UB'], durationsSeconds: [3600] } },
    ],
  ])('changes when %s changes', (_field, change) => {
    expect(contentHash({ ...seen, ...change })).not.toBe(contentHash(seen));
  });

  it.each<
    [string, Partial<BreakglassRequest['preview'] & object>, Partial<BreakglassRequest['preview'] & object>]
  >([
    [
      'why the preview failed',
      { status: 'failed', error: 'AccessDenied' },
      { status: 'failed', error: 'Throttling' },
    ],
    [
      'which credentials are listed',
      { status: 'ready', credentials: [{ kind: 'password' }] },
      { status: 'ready', credentials: [{ kind: 'access-key', id: 'AKIA1' }] },
    ],
    [
      'which root mailbox',
      { status: 'ready', rootEmail: 'a@example.com' },
      { status: 'ready', rootEmail: 'b@example.com' },
    ],
  ])('tells apart %s', (_field, a, b) => {
    const hash = (preview: object) =>
      contentHash({ ...seen, preview: { ...seen.preview, ...preview } as never });
    expect(hash(a)).not.toBe(hash(b));
  });

  it('tells apart what matched the rule that routed it, and its approvers', () => {
    const route = { rule: 'team', approvers: ['UA', 'UB'], durationsSeconds: [3600] };
    const byOu = contentHash({
      ...seen,
      route: { ...route, matched: { kind: 'ou', id: 'ou-ab12-team0001' } },
    });
    const byAccount = contentHash({
      ...seen,
      route: { ...route, matched: { kind: 'account', id: '200000000001' } },
    });
    expect(byOu).not.toBe(byAccount);
    expect(contentHash({ ...seen, route: { ...route, approvers: ['UA', 'UC'] } })).not.toBe(
      contentHash({ ...seen, route }),
    );
  });

  it('adds nothing for a request neither routed nor with a queue date (pinned)', () => {
    expect(contentHash(seen)).toBe(PINNED_HASH);
  });

  it('changes when the preview finishes, even with nothing to show', () => {
    const hashes = (['loading', 'ready', 'failed'] as const).map((status) =>
      contentHash({ ...seen, task: 'password-recovery', target: undefined, preview: { status } }),
    );
    expect(new Set(hashes).size).toBe(3);
  });

  it.each<[string, Partial<BreakglassRequest>]>([
    ['approvals', { approvals: [{ userId: 'UA', at: 5 }] }],
    ['the state', { state: 'executing' }],
    ['the stored hash', { contentHash: 'abc' }],
    ['the outcome', { outcome: { ok: true, summary: 'done', at: 9 } }],
  ])('stays the same when %s change, so the second approver matches the first', (_field, change) => {
    expect(contentHash({ ...seen, ...change })).toBe(contentHash(seen));
  });
});

describe('policyHash: an unlock binds to the policy text approvers saw', () => {
  it.each<[string, string | null, string | null]>([
    ['a policy', '{"Statement":[]}', '701f12e2a45641932e7716b160cc43c240755a8790dc94ac5af17eb9dc4d261f'],
    [
      'non-ASCII text, as UTF-8',
      '{"Sid":"é"}',
      'abfa4b383e942deeb73cff7f6b47920d4cd79eb3513a2185232a8f6a1fa0bcfa',
    ],
    ['no policy', null, null],
  ])('is the sha256 (hex) of %s', (_what, policy, expected) => expect(policyHash(policy)).toBe(expected));

  it('changes with any change to the text, even whitespace', () => {
    expect(policyHash('{"Statement": []}')).not.toBe(policyHash('{"Statement":[]}'));
  });
});
