/**
 * Approvals bind to what approvers see: every field the request message (or the
 * full-policy modal) shows must be in the content hash. Each field of a request
 * is changed in turn; whenever what approvers see changes, the hash must too.
 */
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/domain/content-hash.js';
import type { BreakglassRequest, RequestPreview } from '../../src/domain/request.js';
import { policyModal } from '../../src/slack/blocks/modals.js';
import { requestMessage } from '../../src/slack/blocks/request-message.js';

type Change<T> = (value: T) => T;

/**
 * Every field of a request (the mapped type makes a new field a compile error
 * here): how to change it, or why it is not content approvers approve.
 */
const FIELDS: { [K in keyof BreakglassRequest]-?: Change<BreakglassRequest> | { notContent: string } } = {
  id: (r) => ({ ...r, id: 'BG-OTHER' }),
  requesterId: (r) => ({ ...r, requesterId: 'UOTHER' }),
  accountId: (r) => ({ ...r, accountId: '200000000009' }),
  accountName: (r) => ({ ...r, accountName: 'another-name' }),
  task: (r) => ({ ...r, task: r.task === 'password-recovery' ? 'delete-credentials' : 'password-recovery' }),
  target: (r) => ({ ...r, target: 'another-target' }),
  durationSeconds: (r) => ({ ...r, durationSeconds: r.durationSeconds * 2 }),
  justification: (r) => ({ ...r, justification: 'another reason' }),
  link: (r) => ({ ...r, link: 'https://tickets.example.com/OTHER-1' }),
  createdAt: (r) => ({ ...r, createdAt: r.createdAt + 1 }),
  state: { notContent: "the request's progress" },
  approvals: { notContent: 'the approvals themselves' },
  denial: (r) => ({ ...r, denial: { userId: 'UA', reason: 'no', at: 1 } }),
  grantedAt: (r) => ({ ...r, grantedAt: 5 }),
  windowEndsAt: (r) => ({ ...r, windowEndsAt: 5 }),
  preview: (r) => ({ ...r, preview: undefined }),
  outcome: { notContent: "the task's result, set only after approval" },
  executeAttempts: (r) => ({ ...r, executeAttempts: 3 }),
  firstExecuteAt: (r) => ({ ...r, firstExecuteAt: 7 }),
  cleanupRound: (r) => ({ ...r, cleanupRound: 2 }),
  cancelReason: (r) => ({ ...r, cancelReason: 'gone' }),
  cancelledBy: (r) => ({ ...r, cancelledBy: { userId: 'UA', at: 1 } }),
  endedEarly: (r) => ({ ...r, endedEarly: { userId: 'UA', at: 1 } }),
  extensionRequest: (r) => ({ ...r, extensionRequest: { seconds: 60, at: 1, nonce: 'n' } }),
  cleanup: (r) => ({ ...r, cleanup: { failures: 2 } }),
  contentHash: { notContent: 'the hash itself (the Approve button carries it)' },
  policyHash: (r) => ({ ...r, policyHash: 'other' }),
  route: (r) => ({
    ...r,
    route: {
      rule: 'production',
      matched: { kind: 'ou', id: 'ou-ab12-prod1234' },
      approvers: ['UAPPROVERA1', 'UAPPROVERC1'],
      durationsSeconds: [900],
    },
  }),
};

const PREVIEW_FIELDS: { [K in keyof RequestPreview]-?: Change<RequestPreview> } = {
  status: (p) => ({ ...p, status: p.status === 'ready' ? 'failed' : 'ready' }),
  rootCredentials: (p) => ({ ...p, rootCredentials: 'password, 1 access key' }),
  policy: (p) => ({ ...p, policy: p.policy ? null : '{"Statement":[]}' }),
  error: (p) => ({ ...p, error: 'another error' }),
  credentials: (p) => ({
    ...p,
    credentials: [
      { kind: 'access-key', id: 'AKIAOTHER', status: 'Active', createdAt: '2024-01-02T00:00:00Z' },
    ],
  }),
  rootEmail: (p) => ({ ...p, rootEmail: 'other-root@example.com' }),
  queueLastModifiedAt: (p) => ({ ...p, queueLastModifiedAt: '2025-05-06T07:08:09.000Z' }),
};

const POLICY = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}';
const base: BreakglassRequest = {
  id: 'BG-ABCDEFGH',
  requesterId: 'UREQUESTER1',
  accountId: '200000000001',
  accountName: 'payments-prod',
  task: 'password-recovery',
  durationSeconds: 3600,
  justification: 'Locked out',
  link: 'https://tickets.example.com/INC-1',
  createdAt: 0,
  state: 'pending',
  approvals: [{ userId: 'UAPPROVERA1', at: 1 }],
  preview: { status: 'ready', rootCredentials: 'no root credentials' },
  contentHash: '',
};
const FIXTURES: [string, BreakglassRequest][] = [
  ['password recovery', base],
  [
    'an S3 unlock with a policy',
    {
      ...base,
      task: 'unlock-s3',
      target: 'locked-bucket',
      preview: { ...base.preview, status: 'ready', policy: POLICY },
    },
  ],
  [
    'an SQS unlock without a policy',
    {
      ...base,
      task: 'unlock-sqs',
      target: 'https://sqs.us-east-1.amazonaws.com/200000000001/q',
      preview: { status: 'ready', rootCredentials: 'password', policy: null },
    },
  ],
  [
    'a failed preview',
    { ...base, preview: { status: 'failed', error: 'AccessDenied on GetAccountSummary' } },
  ],
  [
    'a long policy shown in a modal',
    { ...base, task: 'unlock-s3', target: 'b', preview: { status: 'ready', policy: POLICY.repeat(400) } },
  ],
];

/** Everything approvers can see of a pending request, without the hash the Approve button carries. */
function seen(r: BreakglassRequest): string {
  const unhashed = { ...r, contentHash: '' };
  return JSON.stringify([requestMessage(unhashed, { approverIds: ['UAPPROVERA1'] }), policyModal(unhashed)]);
}

function changes(): [string, Change<BreakglassRequest>][] {
  const out: [string, Change<BreakglassRequest>][] = [];
  for (const [field, change] of Object.entries(FIELDS))
    if (typeof change === 'function') out.push([field, change]);
  for (const [field, change] of Object.entries(PREVIEW_FIELDS)) {
    out.push([`preview.${field}`, (r) => ({ ...r, preview: change(r.preview ?? { status: 'ready' }) })]);
  }
  return out;
}

describe('the content hash covers everything approvers see', () => {
  const shown = new Set<string>();
  for (const [name, fixture] of FIXTURES) {
    it.each(changes())(`${name}: a change of %s that shows changes the hash`, (field, change) => {
      const changed = change(fixture);
      if (seen(changed) === seen(fixture)) return;
      shown.add(field);
      expect(contentHash(changed), `${field} is shown to approvers but not in approvalContent`).not.toBe(
        contentHash(fixture),
      );
    });
  }

  it('exercised every field the request message shows', () => {
    expect([...shown].sort()).toEqual(
      expect.arrayContaining([
        'accountId',
        'accountName',
        'durationSeconds',
        'id',
        'justification',
        'link',
        'preview',
        'preview.credentials',
        'preview.error',
        'preview.policy',
        'preview.queueLastModifiedAt',
        'preview.rootCredentials',
        'preview.status',
        'requesterId',
        'target',
        'task',
      ]),
    );
  });
});
