/**
 * The terminal rendering of Block Kit used by `npm run demo` and `npm run local`:
 * each block and element type the bot emits, built with the bot's own builders.
 */
import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  mrkdwnToTerminal,
  renderBlocks,
  renderMessage,
  renderView,
  slackDate,
  wrap,
} from '../../scripts/lib/block-kit-terminal.js';
import type { BreakglassRequest } from '../../src/domain/request.js';
import { homeView } from '../../src/slack/blocks/home.js';
import {
  actions,
  button,
  context,
  fieldsSection,
  header,
  mrkdwnSection,
  plainSection,
} from '../../src/slack/blocks/kit.js';
import { denyModal, requestModal } from '../../src/slack/blocks/modals.js';
import { requestBlocks } from '../../src/slack/blocks/request-message.js';

const NAMES = { UALICE0001: 'alice', SAPPROVERS: 'approvers' };

function request(overrides: Partial<BreakglassRequest> = {}): BreakglassRequest {
  return {
    id: 'BG-ABCDEF',
    requesterId: 'UALICE0001',
    accountId: '200000000003',
    accountName: 'payments-prod',
    task: 'password-recovery',
    durationSeconds: 1800,
    justification: 'Locked out <!channel>',
    createdAt: 0,
    state: 'pending',
    approvals: [],
    preview: { status: 'ready', rootCredentials: 'none' },
    contentHash: 'h'.repeat(64),
    ...overrides,
  };
}

const render = (blocks: KnownBlock[]) => renderBlocks(blocks, { names: NAMES, width: 80 });

describe('mrkdwn', () => {
  it('resolves mentions, groups, dates and links, drops emphasis, and decodes entities last', () => {
    const text =
      '*Approvers:* <@UALICE0001> <!subteam^SAPPROVERS> at <!date^0^{time}|1970> see <https://x.example/a|the ticket> &lt;!channel&gt; &amp;';
    expect(mrkdwnToTerminal(text, NAMES)).toBe(
      `Approvers: @alice @approvers at ${new Date(0).toLocaleTimeString('en-GB')} see the ticket (https://x.example/a) <!channel> &`,
    );
  });

  it('dates as Slack shows them: today or yesterday when pretty, else the day; the time with seconds', () => {
    const now = new Date(2026, 10, 26, 12, 0, 0);
    const format = '{date_short_pretty} {time}';
    expect(slackDate(new Date(2026, 10, 26, 9, 5, 7), format, now)).toBe('today 09:05:07');
    expect(slackDate(new Date(2026, 10, 25, 23, 0, 0), format, now)).toBe('yesterday 23:00:00');
    expect(slackDate(new Date(2024, 0, 2, 3, 4, 5), format, now)).toBe('2024-01-02 03:04:05');
    expect(slackDate(new Date(2024, 0, 2, 3, 4, 5), '{date_short}', now)).toBe('2024-01-02');
  });

  it('keeps an unknown user id, and a bare link as is', () => {
    expect(mrkdwnToTerminal('<@UNOBODY01> <https://x.example>', NAMES)).toBe('@UNOBODY01 https://x.example');
  });
});

describe('blocks', () => {
  it('header', () => {
    expect(render([header('Break-glass request BG-1')])).toEqual(['== Break-glass request BG-1 ==']);
  });

  it('section: mrkdwn is interpreted, plain_text is shown exactly as sent', () => {
    expect(render([mrkdwnSection('*Hi* <@UALICE0001>'), plainSection('*Hi* <@UALICE0001> &amp;')])).toEqual([
      'Hi @alice',
      '*Hi* <@UALICE0001> &amp;',
    ]);
  });

  it('section fields, one per entry, continuation lines indented', () => {
    expect(render([fieldsSection(['*Account*\npayments-prod', '*Task*\nrecover'])])).toEqual([
      '* Account',
      '  payments-prod',
      '* Task',
      '  recover',
    ]);
  });

  it('section with a button accessory', () => {
    const block = mrkdwnSection(
      'Open window',
      button({ actionId: 'bg_done', text: 'Done', value: 'x', style: 'primary' }),
    );
    expect(render([block])).toEqual(['Open window', '  [ Done ] (primary)']);
  });

  it('divider and context', () => {
    expect(render([{ type: 'divider' }, context('small *print*')])).toEqual([
      '─'.repeat(60),
      '  · small print',
    ]);
  });

  it('actions: buttons with their style, and the confirm dialog a click opens first', () => {
    const approve = button({
      actionId: 'bg_approve',
      text: 'Approve',
      value: '{}',
      style: 'primary',
      confirm: {
        title: 'Approve BG-1?',
        text: 'Root on payments-prod for 30m.',
        confirm: 'Approve',
        deny: 'Not yet',
        style: 'danger',
      },
    });
    const deny = button({ actionId: 'bg_deny', text: 'Deny', value: 'BG-1', style: 'danger' });
    const plain = button({ actionId: 'bg_x', text: 'Withdraw the ask', value: 'v' });
    expect(render([actions([approve, deny, plain])])).toEqual([
      '[ Approve ] (primary)',
      '  asks first: "Approve BG-1?"',
      '    Root on payments-prod for 30m.',
      '    [ Not yet ]  [ Approve ] (danger)',
      '[ Deny ] (danger)',
      '[ Withdraw the ask ]',
    ]);
  });

  it('actions: a static select shows its placeholder and every option', () => {
    const block: KnownBlock = {
      type: 'actions',
      elements: [
        {
          type: 'static_select',
          action_id: 'bg_extend',
          placeholder: { type: 'plain_text', text: 'Extend' },
          options: [
            { text: { type: 'plain_text', text: '30m more' }, value: 'BG-1|1800' },
            { text: { type: 'plain_text', text: '1h more' }, value: 'BG-1|3600' },
          ],
        },
      ],
    };
    expect(render([block])).toEqual(['[ Extend v ]', '  options: 30m more | 1h more']);
  });

  it('a long text wraps at the width without losing a character, and an endless word is cut', () => {
    const long = `${'word '.repeat(60)}${'x'.repeat(130)}`;
    const lines = render([mrkdwnSection(long)]);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.length).toBeGreaterThan(4);
    expect(lines.join(' ').replace(/\s+/g, '')).toBe(long.replace(/\s+/g, ''));
  });

  it('names a block type it does not know instead of dropping it', () => {
    expect(renderBlocks([{ type: 'video', title: 'x' }])).toEqual(['[video block]']);
  });
});

describe('messages and views the bot sends', () => {
  it('a message without blocks shows its text', () => {
    expect(renderMessage({ text: 'Approval recorded (1/2) for <@UALICE0001>.' }, { names: NAMES })).toEqual([
      'Approval recorded (1/2) for @alice.',
    ]);
  });

  it('the request message: header, fields, the justification as typed, Approve with its confirmation, Deny', () => {
    const lines = renderBlocks(requestBlocks(request(), { approverIds: ['UBOB000001', 'SAPPROVERS'] }), {
      names: NAMES,
    });
    expect(lines[0]).toBe('== Break-glass request BG-ABCDEF ==');
    expect(lines).toContain('* Account');
    expect(lines).toContain('Locked out <!channel>');
    expect(lines).toContain('[ Approve ] (primary)');
    expect(lines.find((l) => l.startsWith('  asks first:'))).toBe('  asks first: "Approve BG-ABCDEF?"');
    expect(lines).toContain('[ Deny ] (danger)');
    expect(lines.join('\n')).not.toMatch(/\[\w+ block\]|\[ (static_select|button) \]/);
  });

  it('the request modal: inputs of every kind, optional and hint, the close and submit buttons', () => {
    const lines = renderView(requestModal({ durationsSeconds: [1800, 3600] }), { width: 120 });
    expect(lines[0]).toMatch(/^┌─ modal: Break-glass request ─+$/);
    expect(lines).toContain('│ Member account');
    expect(lines).toContain('│   [ Type a name or account id v ]  (options come from the bot as you type)');
    expect(lines).toContain('│   [ Allow root password recovery v ]');
    expect(lines).toContain('│     options: 30m (selected) | 1h');
    expect(lines).toContain(
      '│   [ What happened, and what will you do as root? ]  (multi-line text, at most 2000 characters)',
    );
    expect(lines).toContain('│ Incident or ticket link (optional)');
    expect(lines).toContain('│   [ https://... ]  (a link)');
    expect(lines.some((l) => l.startsWith('│   · An http(s) link'))).toBe(true);
    expect(lines.at(-2)).toBe('│ [ Cancel ]  [ Request ]');
    expect(lines.at(-1)).toMatch(/^└─+$/);
  });

  it('the deny modal and the App Home', () => {
    expect(renderView(denyModal('BG-1'))).toContain('│   [ ... ]  (multi-line text, at most 500 characters)');
    const home = renderView(
      homeView({
        isApprover: true,
        toApprove: [],
        active: [request({ state: 'active' })],
        recent: [],
        mayEnd: ['BG-ABCDEF'],
      }),
      { names: NAMES },
    );
    expect(home[0]).toMatch(/^┌─ App Home/);
    expect(home).toContain('│ == Open root windows ==');
    expect(home).toContain('│   [ Done, clean up now ] (primary)');
    expect(home).toContain(`│ ${'─'.repeat(60)}`);
  });
});

describe('wrap', () => {
  it('indents each line and its continuations', () => {
    expect(wrap('aaa bbb ccc\nddd', 12, '· ', '  ')).toEqual(['· aaa bbb', '  ccc', '· ddd']);
  });
});
