import { describe, expect, it } from 'vitest';
import type { BreakglassRequest } from '../../src/domain/request.js';
import { stateName } from '../../src/domain/request.js';
import {
  approvalConfirmation,
  consequences,
  credentialLine,
  credentialsHeading,
  noPolicyText,
  PLAIN_FORMAT,
  policyHeading,
  recordFacts,
  statusLine,
  windowSeconds,
  windowText,
} from '../../src/domain/state-wording.js';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const base: BreakglassRequest = {
  id: 'BG-TEST0001',
  requesterId: 'UREQ',
  accountId: '200000000003',
  accountName: 'payments-prod',
  task: 'password-recovery',
  durationSeconds: 1800,
  justification: 'x',
  createdAt: T0,
  state: 'pending',
  approvals: [],
  preview: { status: 'ready', rootCredentials: 'no root credentials', credentials: [] },
  contentHash: 'h',
};
const approved: BreakglassRequest = {
  ...base,
  approvals: [
    { userId: 'UA', at: T0 + 1000 },
    { userId: 'UB', at: T0 + 2000 },
  ],
};
const granted: BreakglassRequest = {
  ...approved,
  state: 'active',
  grantedAt: T0 + 3000,
  windowEndsAt: T0 + 3000 + 1800_000,
  outcome: { ok: true, summary: 'Root password recovery enabled for 30m.', at: T0 + 3000 },
};
const closed: BreakglassRequest = {
  ...granted,
  state: 'closed',
  cleanup: {
    failures: 0,
    summary: '200000000003: removed password; access keys AKIA1; verified clean',
    verifiedAt: T0 + 1900_000,
  },
};
const F = PLAIN_FORMAT;
const line = (r: BreakglassRequest) => statusLine(r, F);

describe('the state line, one wording per state', () => {
  it.each<[string, BreakglassRequest, string]>([
    [
      'loading',
      { ...base, preview: { status: 'loading' } },
      ':hourglass_flowing_sand: Loading the current state of the account…',
    ],
    [
      'pending',
      { ...base, approvals: [{ userId: 'UA', at: 1 }] },
      ':hourglass_flowing_sand: Waiting for approval: 1/2 approvals (UA)',
    ],
    ['pending, no approval yet', base, ':hourglass_flowing_sand: Waiting for approval: 0/2 approvals'],
    [
      'pending, stored before previews existed',
      { ...base, preview: undefined },
      ':hourglass_flowing_sand: Waiting for approval: 0/2 approvals',
    ],
    ['executing', { ...approved, state: 'executing' }, ':gear: Approved by UA and UB; running the task…'],
    [
      'active',
      granted,
      ':unlock: Root access granted; the window (30m) ends 2026-01-01T10:30:03.000Z. Approved by UA and UB.',
    ],
    [
      'cleaning',
      { ...granted, state: 'cleaning' },
      ':broom: Cleaning up: deleting root credentials and verifying…',
    ],
    [
      'cleaning, retrying',
      { ...granted, state: 'cleaning', cleanup: { failures: 2, lastError: 'AccessDenied' } },
      ':warning: Cleaning up: 2 cleanup attempt(s) failed so far, retrying. Last error: AccessDenied',
    ],
    [
      'closed',
      closed,
      ':lock: Root access ended; the window is closed and cleanup was verified 2026-01-01T10:31:40.000Z.',
    ],
    [
      'completed',
      { ...approved, task: 'delete-credentials', state: 'completed' },
      ':white_check_mark: Done. Approved by UA and UB.',
    ],
    [
      'denied by an approver',
      { ...base, state: 'denied', denial: { userId: 'UA', reason: 'no ticket', at: 5 } },
      ':no_entry: Denied by UA: no ticket',
    ],
    [
      'withdrawn with the deny button',
      { ...base, state: 'denied', denial: { userId: 'UREQ', reason: 'not needed', at: 5 } },
      ':leftwards_arrow_with_hook: Withdrawn by the requester (UREQ): not needed',
    ],
    [
      'withdrawn with /breakglass cancel',
      { ...base, state: 'cancelled', cancelledBy: { userId: 'UREQ', at: 5 } },
      ':leftwards_arrow_with_hook: Withdrawn by the requester (UREQ).',
    ],
    [
      'cancelled by an approver',
      { ...base, state: 'cancelled', cancelledBy: { userId: 'UA', at: 5 } },
      ':heavy_multiplication_x: Cancelled by UA.',
    ],
    ['cancelled, nobody recorded', { ...base, state: 'cancelled' }, ':heavy_multiplication_x: Cancelled.'],
    [
      'cancelled by the bot',
      { ...base, state: 'cancelled', cancelReason: 'Slack refused to post it' },
      ':heavy_multiplication_x: Cancelled by the bot: Slack refused to post it',
    ],
    [
      'expired',
      { ...base, state: 'expired', approvals: [{ userId: 'UA', at: 1 }] },
      ':zzz: Expired without enough approvals (1/2).',
    ],
    [
      'failed, no error recorded',
      { ...approved, state: 'failed' },
      ':x: Failed: unknown error. Nothing was granted, so there was nothing to clean up.',
    ],
  ])('%s', (_what, r, expected) => {
    expect(line(r)).toBe(expected);
    expect(line(r)).not.toMatch(/Denied by UREQ/);
  });

  it('says a failed grant failed first, and that nothing needed cleaning up', () => {
    const failed: BreakglassRequest = {
      ...approved,
      state: 'failed',
      outcome: { ok: false, summary: 'AccessDenied by an SCP', at: 1 },
    };
    expect(line(failed)).toBe(
      ':x: Failed: AccessDenied by an SCP. Nothing was granted, so there was nothing to clean up.',
    );
    expect(line({ ...failed, task: 'delete-credentials' })).toBe(':x: Failed: AccessDenied by an SCP.');
  });

  it('says a failed grant that went to cleanup failed first, then what cleanup did', () => {
    const outcome = { ok: false, summary: 'throttled after CreateLoginProfile', at: 1 };
    const cleaning = line({ ...approved, state: 'cleaning', outcome });
    expect(cleaning).toMatch(
      /^:x: Failed: throttled after CreateLoginProfile\. Cleanup: access may have been granted/,
    );
    const done = line({ ...closed, outcome });
    expect(done).toMatch(/^:x: Failed: throttled after CreateLoginProfile\. Cleanup then ran/);
    expect(done).toContain(
      'removed password; access keys AKIA1; verified clean at 2026-01-01T10:31:40.000Z; the window is closed',
    );
    expect(done).not.toContain(':lock:');
  });

  it('says so when a failed grant left nothing for cleanup to remove', () => {
    const outcome = { ok: false, summary: 'throttled', at: 1 };
    const r: BreakglassRequest = { ...closed, outcome, cleanup: { failures: 0, verifiedAt: T0 + 1900_000 } };
    expect(line(r)).toBe(
      ':x: Failed: throttled. Cleanup then ran in case access had been granted: nothing to remove at 2026-01-01T10:31:40.000Z; the window is closed.',
    );
  });

  it('names a withdrawal as such', () => {
    expect(stateName({ ...base, state: 'denied', denial: { userId: 'UREQ', reason: 'r', at: 1 } })).toBe(
      'withdrawn',
    );
    expect(stateName({ ...base, state: 'denied', denial: { userId: 'UA', reason: 'r', at: 1 } })).toBe(
      'denied',
    );
    expect(stateName({ ...base, state: 'cancelled', cancelledBy: { userId: 'UA', at: 1 } })).toBe(
      'cancelled',
    );
  });
});

describe('plain text', () => {
  it.each([
    ['short', 5, 'short'],
    ['exactly', 7, 'exactly'],
    ['too long', 5, 'too …'],
  ])('clips %j to %i characters as %j', (text, max, expected) => expect(F.text(text, max)).toBe(expected));
});

describe('the window', () => {
  it('is the approved duration plus every extension', () => {
    expect(windowSeconds(base)).toBe(1800);
    expect(windowSeconds({ ...base, grantedAt: T0 })).toBe(1800);
    expect(windowSeconds({ ...base, windowEndsAt: T0 })).toBe(1800);
    expect(windowText(granted)).toBe('30m');
    const extended = { ...granted, windowEndsAt: (granted.windowEndsAt ?? 0) + 3600_000 };
    expect(windowSeconds(extended)).toBe(5400);
    expect(windowText(extended)).toBe('1h 30m (30m approved + 1h extension)');
    expect(line({ ...extended, state: 'active' })).toContain(
      'the window (1h 30m (30m approved + 1h extension))',
    );
  });
});

describe("a request's record", () => {
  it('keeps who requested, who approved and when, what was granted for how long, what was removed and when verified', () => {
    const r = { ...closed, endedEarly: { userId: 'UREQ', at: T0 + 600_000 } };
    expect(recordFacts(r, F)).toEqual([
      'Requested by UREQ 2026-01-01T10:00:00.000Z.',
      'Approved by UA 2026-01-01T10:00:01.000Z and UB 2026-01-01T10:00:02.000Z.',
      'Granted 2026-01-01T10:00:03.000Z: allow root password recovery for 30m, until 2026-01-01T10:30:03.000Z.',
      'Ended early by UREQ 2026-01-01T10:10:00.000Z.',
      'Cleanup: removed password; access keys AKIA1; verified clean.',
      'Verified 2026-01-01T10:31:40.000Z in a separate audit session.',
    ]);
  });

  it("gives a one-shot task's result", () => {
    const r: BreakglassRequest = {
      ...approved,
      task: 'unlock-s3',
      state: 'completed',
      outcome: { ok: true, summary: 'Removed the policy of b.', at: 1 },
    };
    expect(recordFacts(r, F)).toContain('Result: Removed the policy of b.');
  });

  it.each<[string, BreakglassRequest, string[]]>([
    [
      'pending with one approval: approvals are not yet a fact',
      { ...base, approvals: [{ userId: 'UA', at: T0 + 1000 }] },
      ['Requested by UREQ 2026-01-01T10:00:00.000Z.'],
    ],
    [
      'expired without approvals',
      { ...base, state: 'expired' },
      ['Requested by UREQ 2026-01-01T10:00:00.000Z.'],
    ],
    [
      'failed: no result line',
      { ...approved, state: 'failed', outcome: { ok: false, summary: 'AccessDenied', at: 1 } },
      [
        'Requested by UREQ 2026-01-01T10:00:00.000Z.',
        'Approved by UA 2026-01-01T10:00:01.000Z and UB 2026-01-01T10:00:02.000Z.',
      ],
    ],
    [
      'active: no cleanup yet',
      granted,
      [
        'Requested by UREQ 2026-01-01T10:00:00.000Z.',
        'Approved by UA 2026-01-01T10:00:01.000Z and UB 2026-01-01T10:00:02.000Z.',
        'Granted 2026-01-01T10:00:03.000Z: allow root password recovery for 30m, until 2026-01-01T10:30:03.000Z.',
      ],
    ],
    [
      'closed with nothing removed',
      { ...base, state: 'closed', cleanup: { failures: 0, verifiedAt: T0 + 60_000 } },
      [
        'Requested by UREQ 2026-01-01T10:00:00.000Z.',
        'Cleanup: nothing to remove.',
        'Verified 2026-01-01T10:01:00.000Z in a separate audit session.',
      ],
    ],
    [
      'three approvals',
      {
        ...approved,
        state: 'completed',
        approvals: [...approved.approvals, { userId: 'UC', at: T0 + 2500 }],
      },
      [
        'Requested by UREQ 2026-01-01T10:00:00.000Z.',
        'Approved by UA 2026-01-01T10:00:01.000Z, UB 2026-01-01T10:00:02.000Z and UC 2026-01-01T10:00:02.500Z.',
      ],
    ],
  ])('%s', (_what, r, expected) => expect(recordFacts(r, F)).toEqual(expected));
});

describe('what approving means', () => {
  const credentials = [
    { kind: 'password' as const, createdAt: '2024-01-02T03:04:05Z', lastUsedAt: '2025-07-01T00:00:00Z' },
    {
      kind: 'access-key' as const,
      id: 'AKIA1',
      status: 'Active',
      createdAt: '2024-01-02T03:04:05Z',
      lastUsedAt: '2025-06-01T00:00:00Z',
      lastUsedWhere: 's3, eu-west-1',
    },
    { kind: 'access-key' as const, id: 'AKIA2', status: 'Inactive', createdAt: '2024-01-02T03:04:05Z' },
    {
      kind: 'signing-certificate' as const,
      id: 'CERT1',
      status: 'Active',
      createdAt: '2024-01-02T03:04:05Z',
    },
    { kind: 'mfa-device' as const, id: 'GAHT1', createdAt: '2024-01-02T03:04:05Z' },
  ];
  const code = { ...F, code: (t: string) => `\`${t}\`` };

  it('lists each credential with its dates', () => {
    expect(credentials.map((c) => credentialLine(c, F))).toEqual([
      'password, set 2024-01-02, last used 2025-07-01',
      'access key AKIA1 (Active), created 2024-01-02, last used 2025-06-01 (s3, eu-west-1)',
      'access key AKIA2 (Inactive), created 2024-01-02, never used',
      'signing certificate CERT1 (Active), uploaded 2024-01-02',
      'MFA device GAHT1, enabled 2024-01-02',
    ]);
  });

  it('leaves out what AWS did not say, and says when a credential was never used', () => {
    expect(
      [
        { kind: 'password' as const },
        { kind: 'access-key' as const },
        { kind: 'access-key' as const, lastUsedAt: '2025-06-01T00:00:00Z' },
        { kind: 'signing-certificate' as const },
        { kind: 'mfa-device' as const },
      ].map((c) => credentialLine(c, F)),
    ).toEqual([
      'password, no sign-in recorded',
      'access key, never used',
      'access key, last used 2025-06-01',
      'signing certificate',
      'MFA device',
    ]);
  });

  it('password recovery: who can sign in, the window, and that every credential is deleted', () => {
    const r = { ...base, preview: { status: 'ready' as const, credentials, rootEmail: 'root@example.com' } };
    const text = consequences(r, code).join('\n');
    expect(text).toContain("whoever reads the account's root mailbox can reset the root password");
    // The channel reads this: the address is for approvers only (Show root mailbox).
    expect(text).not.toContain('root@example.com');
    expect(text).toContain('*Show root mailbox*');
    expect(text).toContain('*For how long:* 30m');
    expect(text).toContain('*all* root credentials present then are deleted');
    expect(text).toContain('• access key AKIA1 (Active), created 2024-01-02, last used 2025-06-01');
  });

  it('deletion: exactly what will be removed; unlock: no invented date', () => {
    const r = {
      ...base,
      task: 'delete-credentials' as const,
      preview: { status: 'ready' as const, credentials },
    };
    expect(consequences(r, code).join('\n')).toMatch(/What will be removed:.*\n• password, set 2024-01-02/);
    expect(consequences({ ...r, preview: { status: 'ready' } }, F)).toEqual([
      '*What will be removed:* every root credential present when the task runs (MFA devices are deactivated). Present now: none',
    ]);
    const unlock = consequences({ ...base, task: 'unlock-s3' }, code).join('\n');
    expect(unlock).toContain('AWS does not report when a bucket policy was last changed');
  });

  it.each<[string, BreakglassRequest['preview']]>([
    ['could not be read', { status: 'failed', error: 'AccessDenied' }],
    ['was never read', undefined],
  ])('deletion: says when the current credentials %s', (_what, preview) => {
    const r: BreakglassRequest = { ...base, task: 'delete-credentials', preview };
    expect(consequences(r, F)).toEqual([
      '*What will be removed:* every root credential present when the task runs (MFA devices are deactivated). Present now: the current root credentials could not be read (see above)',
    ]);
  });

  it('deletion: one bullet per credential', () => {
    const r: BreakglassRequest = {
      ...base,
      task: 'delete-credentials',
      preview: { status: 'ready', credentials: credentials.slice(2, 4) },
    };
    expect(consequences(r, F)).toEqual([
      '*What will be removed:* every root credential present when the task runs (MFA devices are deactivated). Present now: ' +
        '\n• access key AKIA2 (Inactive), created 2024-01-02, never used' +
        '\n• signing certificate CERT1 (Active), uploaded 2024-01-02',
    ]);
  });

  it("SQS unlock: the queue's last change bounds the policy's, when AWS gave it", () => {
    const sqs: BreakglassRequest = {
      ...base,
      task: 'unlock-sqs',
      target: 'https://sqs.eu-west-1.amazonaws.com/200000000003/orders',
      preview: { status: 'ready', policy: '{}', queueLastModifiedAt: '2025-03-04T05:06:07.000Z' },
    };
    expect(consequences(sqs, F)).toEqual([
      '*Policy last changed:* no later than 2025-03-04T05:06:07.000Z: the queue was last changed then (covers the policy; CloudTrail records who set it).',
    ]);
    const unknown = { ...sqs, preview: { status: 'ready' as const, policy: '{}' } };
    expect(consequences(unknown, F).join('')).toContain('AWS did not report when the queue was last changed');
    for (const preview of [undefined, { status: 'failed' as const, error: 'AccessDenied' }])
      expect(consequences({ ...sqs, preview }, F)).toEqual([
        '*Policy last changed:* AWS did not report when the queue was last changed (CloudTrail records who set the policy).',
      ]);
  });

  it('headings stop speaking in the present once the request is decided', () => {
    expect(credentialsHeading(base)).toBe('Root credentials now');
    expect(credentialsHeading({ ...base, state: 'denied' })).toBe('Root credentials at request time');
    const unlock: BreakglassRequest = { ...base, task: 'unlock-s3', target: 'b' };
    expect(policyHeading(unlock)).toBe('Policy that will be removed');
    expect(policyHeading({ ...unlock, state: 'executing' })).toBe('Policy that will be removed');
    expect(policyHeading({ ...unlock, state: 'completed' })).toBe('Policy removed');
    for (const state of ['denied', 'expired', 'cancelled', 'failed'] as const)
      expect(policyHeading({ ...unlock, state })).toBe('Policy that would have been removed');
    expect(noPolicyText(unlock)).toBe('Policy to remove: none (nothing will change)');
    expect(noPolicyText({ ...unlock, state: 'executing' })).toBe(
      'Policy to remove: none (nothing will change)',
    );
    expect(noPolicyText({ ...unlock, state: 'completed' })).toBe(
      'Policy at request time: none (nothing to remove)',
    );
  });

  it('a pending request whose state could not be read is not "waiting for approval"', () => {
    const failed = { ...base, preview: { status: 'failed' as const, error: 'AccessDenied' } };
    expect(line(failed)).toMatch(
      /^:warning: Not ready for approval: the account's current state could not be read/,
    );
  });

  it('the Approve confirmation restates account, task and window within its limits', () => {
    const c = approvalConfirmation(base);
    expect(c.title).toBe('Approve BG-TEST0001?');
    expect(c.text).toMatch(/^Allow root password recovery on payments-prod \(200000000003\) for 30m\./);
    const long = approvalConfirmation({
      ...base,
      accountName: 'n'.repeat(500),
      task: 'unlock-sqs',
      target: `https://sqs/${'q'.repeat(500)}`,
    });
    expect(long.text.length).toBeLessThanOrEqual(300);
  });

  it('names the queue and its region in the confirmation, not a clipped URL', () => {
    const name = `orders-${'x'.repeat(73)}`;
    const c = approvalConfirmation({
      ...base,
      task: 'unlock-sqs',
      target: `https://sqs.eu-west-1.amazonaws.com/200000000003/${name}`,
    });
    expect(c.text).toBe(
      `Unlock SQS queue policy on payments-prod (200000000003): queue ${name} in eu-west-1. It runs once, right after the second approval.`,
    );
    expect(c.text.length).toBeLessThanOrEqual(300);
    expect(approvalConfirmation({ ...base, task: 'unlock-s3', target: 'logs' }).text).toContain(
      ': bucket logs.',
    );
  });

  it.each<[string, Partial<BreakglassRequest>, string]>([
    [
      'a queue URL it cannot read, as given',
      { task: 'unlock-sqs', target: 'https://example.com/q' },
      'Unlock SQS queue policy on payments-prod (200000000003): queue https://example.com/q. It runs once, right after the second approval.',
    ],
    [
      'no target',
      { task: 'delete-credentials' },
      'Delete root credentials on payments-prod (200000000003). It runs once, right after the second approval.',
    ],
  ])('confirms a one-shot task with %s', (_what, r, expected) =>
    expect(approvalConfirmation({ ...base, ...r }).text).toBe(expected),
  );
});
