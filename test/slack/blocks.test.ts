/**
 * The block builders against Slack's documented limits (the strict fake's
 * validator), with the most hostile input the request modal accepts.
 */
import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { checkIncidentLink, MAX_INCIDENT_LINK } from '../../src/domain/incident-link.js';
import { type BreakglassRequest, type RequestState, TASK_KINDS } from '../../src/domain/request.js';
import { homeView } from '../../src/slack/blocks/home.js';
import { denyModal, policyModal, requestModal } from '../../src/slack/blocks/modals.js';
import { renderNotice } from '../../src/slack/blocks/notices.js';
import { requestBlocks, requestMessage, requestText } from '../../src/slack/blocks/request-message.js';
import { ACTIONS } from '../../src/slack/ids.js';
import { mrkdwnLink } from '../../src/slack/text.js';
import type { Notice } from '../../src/workflow/ports.js';
import { blockProblems, viewProblems } from '../fakes/slack/block-kit.js';

const APPROVERS = ['UAPPROVERA1', 'SAPPROVERS1'];
const CTX = { approverIds: APPROVERS, durationsSeconds: [1800, 3600], pendingTtlSeconds: 3600 };
/** What people type to break out: control characters, broadcast and user mentions, a link. */
const HOSTILE = '&<>|<!channel><@U123><!subteam^S1><https://evil.example|x>*_~`';

function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/** The longest justification the modal accepts (max_length 2000), all control characters. */
const JUSTIFICATION = repeatTo(HOSTILE, 2000);
/** The longest incident link checkIncidentLink accepts, made of the same. */
const LINK = `https://tickets.example.com/?q=${repeatTo(HOSTILE, MAX_INCIDENT_LINK - 31)}`;

function request(overrides: Partial<BreakglassRequest> = {}): BreakglassRequest {
  return {
    id: 'BG-ABCDEFGH',
    requesterId: 'UREQUESTER1',
    accountId: '200000000001',
    accountName: repeatTo(HOSTILE, 50),
    task: 'password-recovery',
    durationSeconds: 3600,
    justification: JUSTIFICATION,
    link: LINK,
    createdAt: 0,
    state: 'pending',
    approvals: [],
    preview: { status: 'ready', rootCredentials: repeatTo(HOSTILE, 300) },
    contentHash: 'h'.repeat(64),
    ...overrides,
  };
}

/** The action ids of every button and select, in order. */
function actionIds(blocks: KnownBlock[]): string[] {
  return blocks
    .flatMap((b) => [
      ...(b.type === 'actions' ? b.elements : []),
      ...(b.type === 'section' && b.accessory ? [b.accessory] : []),
    ])
    .flatMap((e) => ('action_id' in e && e.action_id ? [e.action_id] : []));
}

/** All mrkdwn a reader sees in blocks, in order. */
/** Text Slack interprets (mrkdwn): where mentions and links would come alive. */
function mrkdwnOf(blocks: KnownBlock[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    if (b.type === 'section') {
      if (b.text?.type === 'mrkdwn') out.push(b.text.text);
      for (const f of b.fields ?? []) if (f.type === 'mrkdwn') out.push(f.text);
    }
    if (b.type === 'context') for (const e of b.elements) if (e.type === 'mrkdwn') out.push(e.text);
  }
  return out;
}

/** Sections shown as typed (plain_text): nothing in them is interpreted. */
function plainOf(blocks: KnownBlock[]): string[] {
  return blocks.flatMap((b) => (b.type === 'section' && b.text?.type === 'plain_text' ? [b.text.text] : []));
}

/** Mentions and links (`<…>`) in mrkdwn: only ones the code built. */
function tokens(texts: string[]): string[] {
  return texts.flatMap((t) => t.match(/<[^<>]*>/g) ?? []);
}

const ALLOWED_TOKENS = new Set([
  '<@UREQUESTER1>',
  '<@UAPPROVERA1>',
  '<!subteam^SAPPROVERS1>',
  '<@UAPPROVERB1>',
]);

describe('the request message with the most hostile input the modal accepts', () => {
  it('is input the request form accepts', () => {
    expect(JUSTIFICATION).toHaveLength(2000);
    expect(LINK).toHaveLength(1000);
    expect(checkIncidentLink(LINK)).toEqual({ ok: true, link: LINK });
  });

  it('fits every Slack limit, with the justification shown as typed and the link whole and escaped', () => {
    const blocks = requestBlocks(request(), CTX);
    expect(blockProblems(blocks, 'message')).toEqual([]);
    const texts = mrkdwnOf(blocks);
    // The justification is one plain_text section, exactly as typed: nothing in it is interpreted.
    expect(plainOf(blocks)).toContain(JUSTIFICATION);
    expect(texts.join('')).not.toContain('<!channel>');
    // The link is one link token, built by mrkdwnLink.
    expect(texts.join('\n')).toContain(`*Incident / ticket*\n${mrkdwnLink(LINK)}`);
    const built = new Set([...ALLOWED_TOKENS, mrkdwnLink(LINK)]);
    expect(tokens(texts).filter((t) => !built.has(t))).toEqual([]);
  });

  it.each([
    ['all ampersands', '&'.repeat(2000)],
    ['all brackets', '<'.repeat(2000)],
    ['emoji', '😀'.repeat(1000)],
  ])('shows a justification of %s whole, as typed', (_what, justification) => {
    const blocks = requestBlocks(request({ justification }), CTX);
    expect(blockProblems(blocks, 'message')).toEqual([]);
    expect(plainOf(blocks)).toContain(justification);
  });

  it('shows a link too long for a Slack link (all ampersands) whole, as typed', () => {
    const link = `https://x.example/?${'&'.repeat(MAX_INCIDENT_LINK - 19)}`;
    expect(checkIncidentLink(link)).toMatchObject({ ok: true });
    const blocks = requestBlocks(request({ link }), CTX);
    expect(blockProblems(blocks, 'message')).toEqual([]);
    expect(mrkdwnOf(blocks).join('\n')).toContain('too long for a Slack link');
    expect(plainOf(blocks)).toContain(link);
  });

  it('stays under 12,000 characters of block text for the most hostile input (msg_blocks_too_long)', () => {
    const worst = request({
      justification: '&'.repeat(2000),
      link: `https://x.example/?${'&'.repeat(MAX_INCIDENT_LINK - 19)}`,
    });
    const size = JSON.stringify(requestBlocks(worst, CTX)).length;
    expect(size).toBeLessThan(12_000);
  });

  it('stays within limits with the most root credentials AWS allows, hostile ids and a long root email', () => {
    const date = '2024-01-02T03:04:05.000Z';
    const id = (n: number) => `${repeatTo(HOSTILE, 120)}${n}`;
    const credentials = [
      { kind: 'password' as const, createdAt: date, lastUsedAt: date },
      ...[1, 2].map((n) => ({
        kind: 'access-key' as const,
        id: id(n),
        status: 'Active',
        createdAt: date,
        lastUsedAt: date,
        lastUsedWhere: repeatTo(HOSTILE, 100),
      })),
      ...[1, 2].map((n) => ({
        kind: 'signing-certificate' as const,
        id: id(n),
        status: 'Active',
        createdAt: date,
      })),
      ...Array.from({ length: 8 }, (_, n) => ({ kind: 'mfa-device' as const, id: id(n), createdAt: date })),
    ];
    for (const task of ['password-recovery', 'delete-credentials'] as const) {
      const worst = request({
        task,
        justification: '&'.repeat(2000),
        link: `https://x.example/?${'&'.repeat(MAX_INCIDENT_LINK - 19)}`,
        preview: { status: 'ready', rootCredentials: 'x', credentials, rootEmail: repeatTo(HOSTILE, 2000) },
      });
      const blocks = requestBlocks(worst, CTX);
      expect(blockProblems(blocks, 'message')).toEqual([]);
      expect(JSON.stringify(blocks).length).toBeLessThan(12_000);
      expect(mrkdwnOf(blocks).join('')).not.toContain('<!channel>');
    }
  });

  it('puts a confirmation restating account, task and window on Approve, and on Approve only', () => {
    const blocks = requestBlocks(request({ accountName: 'payments-prod' }), CTX);
    expect(blockProblems(blocks, 'message')).toEqual([]);
    const buttons = blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    const approve = buttons.find((e) => 'action_id' in e && e.action_id === ACTIONS.approve);
    expect(approve && 'confirm' in approve ? approve.confirm : undefined).toMatchObject({
      title: { type: 'plain_text', text: 'Approve BG-ABCDEFGH?' },
      text: {
        type: 'plain_text',
        text: expect.stringMatching(
          /^Allow root password recovery on payments-prod \(200000000001\) for 1h\./,
        ),
      },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Not yet' },
    });
    const deny = buttons.find((e) => 'action_id' in e && e.action_id === ACTIONS.deny);
    expect(deny && 'confirm' in deny).toBe(false);
  });

  it('shows no root mailbox address in the channel message: approvers ask for it with Show root mailbox', () => {
    const email = 'root-mailbox@example.com';
    const r = request({
      preview: { status: 'ready', rootCredentials: 'none', credentials: [], rootEmail: email },
    });
    const blocks = requestBlocks(r, CTX);
    expect(blockProblems(blocks, 'message')).toEqual([]);
    expect(JSON.stringify(requestMessage(r, CTX))).not.toContain(email);
    expect(actionIds(blocks)).toEqual([ACTIONS.approve, ACTIONS.deny, ACTIONS.showMailbox]);
    expect(actionIds(requestBlocks({ ...r, task: 'delete-credentials' }, CTX))).not.toContain(
      ACTIONS.showMailbox,
    );
  });

  it('hides Approve while the state of the account could not be read, and offers Read again', () => {
    for (const task of TASK_KINDS) {
      const failed = request({
        task,
        ...(task.startsWith('unlock') ? { target: 'b' } : {}),
        preview: { status: 'failed', error: repeatTo(HOSTILE, 600) },
      });
      const blocks = requestBlocks(failed, CTX);
      expect(blockProblems(blocks, 'message')).toEqual([]);
      expect(actionIds(blocks)).toEqual([ACTIONS.readAgain, ACTIONS.deny]);
      expect(JSON.stringify(blocks)).toContain('Not ready for approval');
      // Once decided, the failure stays on the record without buttons.
      expect(actionIds(requestBlocks({ ...failed, state: 'denied' }, CTX))).toEqual([]);
    }
  });

  it('words what approvers saw in the past tense once the request is decided', () => {
    const creds = request({ accountName: 'a' });
    expect(JSON.stringify(requestBlocks(creds, CTX))).toContain('*Root credentials now:*');
    const decided = JSON.stringify(requestBlocks({ ...creds, state: 'expired' }, CTX));
    expect(decided).toContain('*Root credentials at request time:*');
    expect(decided).not.toContain('Root credentials now');
    const unlock = request({
      task: 'unlock-s3',
      target: 'b',
      preview: { status: 'ready', rootCredentials: 'none', policy: '{"Statement":[]}' },
    });
    const policyLine = (r: BreakglassRequest) =>
      mrkdwnOf(requestBlocks(r, CTX)).find((t) => /^\*Policy (that|removed)/.test(t));
    expect(policyLine(unlock)).toMatch(/^\*Policy that will be removed:\*/);
    expect(policyLine({ ...unlock, state: 'completed' })).toMatch(/^\*Policy removed:\*/);
    expect(policyLine({ ...unlock, state: 'denied' })).toMatch(/^\*Policy that would have been removed:\*/);
    expect(policyLine({ ...unlock, state: 'failed' })).toMatch(/^\*Policy that would have been removed:\*/);
    const long = { ...unlock, preview: { status: 'ready' as const, policy: 'x'.repeat(40_000) } };
    expect(JSON.stringify(requestBlocks({ ...long, state: 'completed' }, CTX))).not.toContain(
      'before you approve',
    );
    expect(JSON.stringify(policyModal({ ...long, state: 'completed' }))).toContain('*Policy removed* by');
  });

  it('offers in the reminder only the extensions that fit, and says so at the longest duration', () => {
    const open = { state: 'active' as const, grantedAt: 0 };
    const short = renderNotice(
      { kind: 'reminder', request: request({ ...open, windowEndsAt: 1_800_000 }) },
      CTX,
    );
    expect(JSON.stringify(short.blocks)).toContain('bg_extend');
    expect(JSON.stringify(short.blocks)).toContain('Ask for an extension');
    const longest = renderNotice(
      { kind: 'reminder', request: request({ ...open, windowEndsAt: 3_600_000 }) },
      CTX,
    );
    expect(JSON.stringify(longest.blocks)).not.toContain('bg_extend');
    expect(JSON.stringify(longest.blocks)).toContain('bg_done');
    expect(JSON.stringify(longest.blocks)).toContain(
      'cannot be extended: it is already as long as allowed (1h at most)',
    );
    const asked = renderNotice(
      {
        kind: 'reminder',
        request: request({
          ...open,
          windowEndsAt: 1_800_000,
          extensionRequest: { seconds: 1800, at: 1, nonce: 'n' },
        }),
      },
      CTX,
    );
    expect(JSON.stringify(asked.blocks)).not.toContain('bg_extend"');
    expect(JSON.stringify(asked.blocks)).toContain('is waiting for an approver');
  });

  const states: RequestState[] = [
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
  it.each(states)('fits every limit in state %s, with long AWS text everywhere', (state) => {
    const long = repeatTo(HOSTILE, 20_000);
    const r = request({
      state,
      approvals: [
        { userId: 'UAPPROVERA1', at: 1 },
        { userId: 'UAPPROVERB1', at: 2 },
      ],
      denial: { userId: 'UAPPROVERA1', reason: repeatTo(HOSTILE, 500), at: 3 },
      outcome: { ok: state !== 'failed', summary: long, at: 4 },
      cleanup: { failures: 3, lastError: long },
      windowEndsAt: 5,
    });
    for (const task of TASK_KINDS) {
      const blocks = requestBlocks({ ...r, task, target: 'my-bucket' }, CTX);
      expect(blockProblems(blocks, 'message')).toEqual([]);
      expect(tokens(mrkdwnOf(blocks)).filter((t) => !t.startsWith('<!date^'))).toSatisfy((found: string[]) =>
        found.every((t) => ALLOWED_TOKENS.has(t) || t === mrkdwnLink(LINK)),
      );
    }
    expect(
      blockProblems(
        requestBlocks(request({ state, preview: { status: 'failed', error: long } }), CTX),
        'message',
      ),
    ).toEqual([]);
  });
});

describe('approvers', () => {
  it('are mentioned in the posted message while it waits for them', () => {
    const message = requestMessage(request(), CTX);
    for (const where of [message.text, JSON.stringify(message.blocks)]) {
      expect(where).toContain('<@UAPPROVERA1>');
      expect(where).toContain('<!subteam^SAPPROVERS1>');
    }
  });

  it('are called on in the first post, while the state of the account loads', () => {
    expect(requestText(request({ preview: { status: 'loading' } }), CTX)).toContain('<!subteam^SAPPROVERS1>');
  });

  it('are not called on once the request is decided', () => {
    for (const r of [request({ state: 'denied' }), request({ state: 'active' })]) {
      expect(requestText(r, CTX)).not.toContain('<!subteam^SAPPROVERS1>');
      expect(JSON.stringify(requestBlocks(r, CTX))).not.toContain('<!subteam^SAPPROVERS1>');
    }
  });
});

describe('long policies', () => {
  const unlock = (policy: string | null) =>
    request({
      task: 'unlock-s3',
      target: 'my-bucket',
      preview: { status: 'ready', rootCredentials: 'none', policy },
    });
  const policyOf = (size: number) =>
    repeatTo('{"Effect":"Deny","Principal":"*","Condition":{"StringNotEquals":{"aws:x":"<&>"}}}\n', size);

  /** The policy text shown in code blocks, joined and unescaped. */
  function shownPolicy(blocks: KnownBlock[]): string {
    return mrkdwnOf(blocks)
      .map((t) => /```([\s\S]*)```/.exec(t)?.[1] ?? '')
      .join('')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }

  it('shows a policy that fits inline whole, across sections, without a button', () => {
    const policy = policyOf(5000);
    const blocks = requestBlocks(unlock(policy), CTX);
    expect(blockProblems(blocks, 'message')).toEqual([]);
    expect(shownPolicy(blocks)).toBe(policy);
    expect(JSON.stringify(blocks)).not.toContain(ACTIONS.viewPolicy);
  });

  it.each([20_000, 100_000])(
    'shows the beginning of a %i-character policy and a button to a modal with all of it',
    (size) => {
      const policy = policyOf(size);
      const blocks = requestBlocks(unlock(policy), CTX);
      expect(blockProblems(blocks, 'message')).toEqual([]);
      expect(blocks.length).toBeLessThanOrEqual(50);
      const shown = shownPolicy(blocks);
      expect(policy.startsWith(shown)).toBe(true);
      expect(JSON.stringify(blocks)).toContain(`the first ${shown.length} are shown above`);
      const button = blocks.flatMap((b) => (b.type === 'section' && b.accessory ? [b.accessory] : []))[0];
      expect(button).toMatchObject({ type: 'button', action_id: ACTIONS.viewPolicy, value: 'BG-ABCDEFGH' });

      const modal = policyModal(unlock(policy));
      expect(viewProblems(modal)).toEqual([]);
      expect(shownPolicy(modal.blocks as KnownBlock[])).toBe(policy);
    },
  );

  it('keeps the button when a maximal justification leaves no room for the policy inline', () => {
    const blocks = requestBlocks({ ...unlock(policyOf(9000)), justification: '&'.repeat(2000) }, CTX);
    expect(blockProblems(blocks, 'message')).toEqual([]);
    expect(JSON.stringify(blocks)).toContain(ACTIONS.viewPolicy);
  });

  it('says exactly how much a policy too large for a modal leaves out, and where the rest is', () => {
    const policy = '&'.repeat(300_000);
    const modal = policyModal(unlock(policy));
    expect(viewProblems(modal)).toEqual([]);
    expect(modal.blocks).toHaveLength(100);
    const shown = shownPolicy(modal.blocks as KnownBlock[]);
    expect(policy.startsWith(shown)).toBe(true);
    expect(JSON.stringify(modal.blocks.at(-1))).toContain(
      `${policy.length - shown.length} more characters are not shown here`,
    );
    expect(JSON.stringify(modal.blocks.at(-1))).toContain('audit trail');
  });

  it('says when there is no policy', () => {
    expect(JSON.stringify(requestBlocks(unlock(null), CTX))).toContain('none (nothing will change)');
    expect(viewProblems(policyModal(unlock(null)))).toEqual([]);
  });
});

describe('every other surface', () => {
  it('keeps modals within limits', () => {
    for (const task of TASK_KINDS)
      expect(viewProblems(requestModal({ task, durationsSeconds: [1800, 3600] }))).toEqual([]);
    expect(viewProblems(denyModal('BG-ABCDEFGH'))).toEqual([]);
  });

  it('keeps the App Home within limits with ten hostile requests per section', () => {
    const many = Array.from({ length: 12 }, () =>
      request({ state: 'cleaning', cleanup: { failures: 1, lastError: repeatTo(HOSTILE, 10_000) } }),
    );
    const overview = { isApprover: true, toApprove: many, active: many, recent: many, mayEnd: [] };
    expect(viewProblems(homeView(overview, { notice: repeatTo(HOSTILE, 5_000) }))).toEqual([]);
  });

  it('keeps every notice within limits and escapes AWS text', () => {
    const long = repeatTo(HOSTILE, 20_000);
    const r = request({
      state: 'active',
      grantedAt: 0,
      windowEndsAt: 1_800_000,
      extensionRequest: { seconds: 1800, at: 1, nonce: repeatTo(HOSTILE, 40) },
      denial: { userId: 'UAPPROVERA1', reason: repeatTo(HOSTILE, 500), at: 1 },
      outcome: { ok: true, summary: long, at: 1 },
      cleanup: { failures: 1, lastError: long, summary: long, verifiedAt: 2 },
    });
    const notices: Notice[] = [
      { kind: 'granted', request: r, rootEmail: long },
      { kind: 'executed', request: r },
      { kind: 'execution-failed', request: r, error: long, remediation: long, cleanupScheduled: true },
      { kind: 'reminder', request: r },
      { kind: 'nudge', request: r },
      { kind: 'denied', request: r },
      { kind: 'cancelled', request: r },
      { kind: 'expired', request: r },
      { kind: 'extension-requested', request: r },
      { kind: 'extended', request: r, approverId: 'UAPPROVERA1' },
      { kind: 'extension-declined', request: r, seconds: 1800, userId: 'UAPPROVERA1', reason: long },
      {
        kind: 'extension-declined',
        request: r,
        seconds: 1800,
        userId: 'UAPPROVERA1',
        reason: long,
        offerControls: true,
      },
      { kind: 'extension-withdrawn', request: r, seconds: 1800, offerControls: true },
      { kind: 'approvals-cleared', request: r, cleared: ['UAPPROVERA1', 'UAPPROVERB1'] },
      { kind: 'cleanup-verified', request: r, removed: long },
      { kind: 'cleanup-failed', request: r, error: long, alert: true },
    ] as Notice[];
    for (const notice of notices) {
      const rendered = renderNotice(notice, CTX);
      if (rendered.blocks) expect(blockProblems(rendered.blocks, 'message')).toEqual([]);
      expect(rendered.text.length).toBeLessThan(4000);
      expect(rendered.text).not.toContain('<!channel>');
      expect(rendered.text).not.toContain('<@U123>');
    }
  });

  it('words the executed, failed and expired notices from the state wording', () => {
    const ended = request({
      accountName: 'payments-prod',
      task: 'delete-credentials',
      state: 'failed',
      approvals: [
        { userId: 'UAPPROVERA1', at: 1 },
        { userId: 'UAPPROVERB1', at: 2 },
      ],
      outcome: {
        ok: false,
        summary: '200000000001: removed password; NOT verified: credentials remain',
        at: 3,
      },
    });
    const executed = renderNotice({ kind: 'executed', request: ended }, CTX).text;
    expect(executed).toBe(
      ':x: BG-ABCDEFGH: Failed: 200000000001: removed password; NOT verified: credentials remain.',
    );
    expect(executed).not.toContain('white_check_mark');
    const done = renderNotice(
      {
        kind: 'executed',
        request: { ...ended, state: 'completed', outcome: { ok: true, summary: 'verified clean', at: 3 } },
      },
      CTX,
    ).text;
    expect(done).toBe(
      ':white_check_mark: BG-ABCDEFGH: Done. Approved by <@UAPPROVERA1> and <@UAPPROVERB1>. verified clean',
    );
    const failedDm = renderNotice(
      {
        kind: 'execution-failed',
        request: ended,
        error: 'x',
        remediation: 'Try again.',
        cleanupScheduled: false,
      },
      CTX,
    ).text;
    expect(failedDm).toMatch(
      /^:x: Delete root credentials on .* failed \(BG-ABCDEFGH\)\. Failed: .*credentials remain\./,
    );
    expect(failedDm).toContain('*What to do:* Try again.');
    const cancelled = renderNotice(
      {
        kind: 'cancelled',
        request: { ...ended, state: 'cancelled', cancelledBy: { userId: 'UAPPROVERA1', at: 4 } },
      },
      CTX,
    ).text;
    expect(cancelled).toMatch(
      /^:heavy_multiplication_x: Your request BG-ABCDEFGH \(.*\): Cancelled by <@UAPPROVERA1>\.$/,
    );
    const expired = renderNotice(
      { kind: 'expired', request: { ...ended, state: 'expired', approvals: [] } },
      CTX,
    );
    expect(expired.text).toContain(': Expired without enough approvals (0/2). Ask again');
    expect(expired.text).toMatch(/^:zzz: /);
  });
});
