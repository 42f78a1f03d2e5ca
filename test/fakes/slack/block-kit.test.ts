import { describe, expect, it } from 'vitest';
import { blockProblems, blockTextLength, refuseMessageBlocks, viewProblems } from './block-kit.js';

const text = (n: number, type = 'mrkdwn') => ({ type, text: 'x'.repeat(n) });
const section = (n: number) => ({ type: 'section', text: text(n) });
const button = (overrides: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: 'a',
  text: text(5, 'plain_text'),
  value: 'v',
  ...overrides,
});
const modal = (overrides: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: text(24, 'plain_text'),
  blocks: [section(10)],
  ...overrides,
});

describe('Block Kit limits', () => {
  it('accepts blocks at every limit', () => {
    const blocks = [
      { type: 'header', text: text(150, 'plain_text') },
      { type: 'section', text: text(3000), fields: Array.from({ length: 10 }, () => text(2000)) },
      { type: 'context', elements: Array.from({ length: 10 }, () => text(3000)) },
      {
        type: 'actions',
        block_id: 'b'.repeat(255),
        elements: [
          button({ text: text(75, 'plain_text'), value: 'v'.repeat(2000), action_id: 'a'.repeat(255) }),
        ],
      },
      { type: 'divider' },
      ...Array.from({ length: 45 }, () => section(1)),
    ];
    expect(blockProblems(blocks, 'message')).toEqual([]);
  });

  it.each([
    [
      '51 blocks in a message',
      Array.from({ length: 51 }, () => section(1)),
      'no more than 50 items allowed [json-pointer:/blocks]',
    ],
    [
      'section text of 3001',
      [section(3001)],
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ],
    ['an empty text', [section(0)], 'must be more than 0 characters [json-pointer:/blocks/0/text/text]'],
    [
      '11 fields',
      [{ type: 'section', fields: Array.from({ length: 11 }, () => text(1)) }],
      'no more than 10 items allowed [json-pointer:/blocks/0/fields]',
    ],
    [
      'a field of 2001',
      [{ type: 'section', fields: [text(2001)] }],
      'must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]',
    ],
    [
      'a section with neither text nor fields',
      [{ type: 'section' }],
      'must provide text or fields [json-pointer:/blocks/0]',
    ],
    [
      'a header of 151',
      [{ type: 'header', text: text(151, 'plain_text') }],
      'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    ],
    [
      'a mrkdwn header',
      [{ type: 'header', text: text(5) }],
      'must be one of: plain_text [json-pointer:/blocks/0/text/type]',
    ],
    ['a header without text', [{ type: 'header' }], 'missing required field [json-pointer:/blocks/0/text]'],
    [
      'button text of 76',
      [{ type: 'actions', elements: [button({ text: text(76, 'plain_text') })] }],
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
    ],
    [
      'button value of 2001',
      [{ type: 'actions', elements: [button({ value: 'v'.repeat(2001) })] }],
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    ],
    [
      'an action_id of 256',
      [{ type: 'actions', elements: [button({ action_id: 'a'.repeat(256) })] }],
      'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]',
    ],
    [
      'a block_id of 256',
      [{ ...section(1), block_id: 'b'.repeat(256) }],
      'must be less than 256 characters [json-pointer:/blocks/0/block_id]',
    ],
    [
      'an accessory button of 76',
      [{ ...section(1), accessory: button({ text: text(76, 'plain_text') }) }],
      'must be less than 76 characters [json-pointer:/blocks/0/accessory/text/text]',
    ],
    [
      'an empty actions block',
      [{ type: 'actions', elements: [] }],
      'must provide at least 1 items [json-pointer:/blocks/0/elements]',
    ],
    [
      'a context element of 3001',
      [{ type: 'context', elements: [text(3001)] }],
      'must be less than 3001 characters [json-pointer:/blocks/0/elements/0/text]',
    ],
    [
      'an option value of 151',
      [
        {
          type: 'actions',
          elements: [
            {
              type: 'static_select',
              action_id: 's',
              options: [{ text: text(1, 'plain_text'), value: 'v'.repeat(151) }],
            },
          ],
        },
      ],
      'must be less than 151 characters [json-pointer:/blocks/0/elements/0/options/0/value]',
    ],
    ['a block without a type', [{ text: text(1) }], 'missing required field [json-pointer:/blocks/0/type]'],
    ['blocks that are not an array', { type: 'section' }, 'must provide an array [json-pointer:/blocks]'],
  ])('refuses %s', (_what, blocks, problem) => {
    expect(blockProblems(blocks, 'message')).toContain(problem);
  });

  it('allows 100 blocks in a modal and the Home tab, not 101', () => {
    const hundred = Array.from({ length: 100 }, () => section(1));
    expect(viewProblems(modal({ blocks: hundred }))).toEqual([]);
    expect(viewProblems({ type: 'home', blocks: hundred })).toEqual([]);
    expect(viewProblems(modal({ blocks: [...hundred, section(1)] }))).toEqual([
      'no more than 100 items allowed [json-pointer:/view/blocks]',
    ]);
  });

  it.each([
    [
      'a title of 25',
      modal({ title: text(25, 'plain_text') }),
      'must be less than 25 characters [json-pointer:/view/title/text]',
    ],
    [
      'a submit of 25',
      modal({ submit: text(25, 'plain_text') }),
      'must be less than 25 characters [json-pointer:/view/submit/text]',
    ],
    [
      'a close of 25',
      modal({ close: text(25, 'plain_text') }),
      'must be less than 25 characters [json-pointer:/view/close/text]',
    ],
    ['no title', modal({ title: undefined }), 'missing required field [json-pointer:/view/title]'],
    [
      'private_metadata of 3001',
      modal({ private_metadata: 'm'.repeat(3001) }),
      'must be less than 3001 characters [json-pointer:/view/private_metadata]',
    ],
    [
      'a callback_id of 256',
      modal({ callback_id: 'c'.repeat(256) }),
      'must be less than 256 characters [json-pointer:/view/callback_id]',
    ],
    [
      'an input without submit',
      modal({
        blocks: [
          {
            type: 'input',
            label: text(1, 'plain_text'),
            element: { type: 'plain_text_input', action_id: 'i' },
          },
        ],
      }),
      'missing required field: submit is required when the view has an input block [json-pointer:/view/submit]',
    ],
    [
      'an input label of 2001',
      modal({
        submit: text(1, 'plain_text'),
        blocks: [
          {
            type: 'input',
            label: text(2001, 'plain_text'),
            element: { type: 'plain_text_input', action_id: 'i' },
          },
        ],
      }),
      'must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]',
    ],
    [
      'an unknown view type',
      { type: 'dialog', blocks: [] },
      'must be one of: modal, home [json-pointer:/view/type]',
    ],
  ])('refuses a view with %s', (_what, view, problem) => {
    expect(viewProblems(view)).toContain(problem);
  });

  it('accepts block and element types it does not model', () => {
    expect(
      blockProblems(
        [
          { type: 'rich_text', elements: [] },
          { type: 'actions', elements: [{ type: 'datepicker', action_id: 'd' }] },
        ],
        'message',
      ),
    ).toEqual([]);
  });

  describe('confirmation dialogs', () => {
    const confirm = (overrides: Record<string, unknown> = {}) => ({
      title: text(100, 'plain_text'),
      text: text(300, 'plain_text'),
      confirm: text(30, 'plain_text'),
      deny: text(30, 'plain_text'),
      style: 'primary',
      ...overrides,
    });
    const withConfirm = (c: unknown) => [{ type: 'actions', elements: [button({ confirm: c })] }];
    const at = '/blocks/0/elements/0/confirm';

    it('accepts one at every limit, on a button or a select', () => {
      expect(blockProblems(withConfirm(confirm()), 'message')).toEqual([]);
      const select = {
        type: 'static_select',
        action_id: 's',
        options: [{ text: text(1, 'plain_text'), value: 'v' }],
        confirm: confirm({ style: 'danger' }),
      };
      expect(blockProblems([{ type: 'actions', elements: [select] }], 'message')).toEqual([]);
    });

    it.each([
      [
        'a title of 101',
        { title: text(101, 'plain_text') },
        `must be less than 101 characters [json-pointer:${at}/title/text]`,
      ],
      [
        'a text of 301',
        { text: text(301, 'plain_text') },
        `must be less than 301 characters [json-pointer:${at}/text/text]`,
      ],
      [
        'a confirm label of 31',
        { confirm: text(31, 'plain_text') },
        `must be less than 31 characters [json-pointer:${at}/confirm/text]`,
      ],
      [
        'a deny label of 31',
        { deny: text(31, 'plain_text') },
        `must be less than 31 characters [json-pointer:${at}/deny/text]`,
      ],
      ['a mrkdwn title', { title: text(5) }, `must be one of: plain_text [json-pointer:${at}/title/type]`],
      ['a mrkdwn text', { text: text(5) }, `must be one of: plain_text [json-pointer:${at}/text/type]`],
      ['no deny', { deny: undefined }, `missing required field [json-pointer:${at}/deny]`],
      ['no title', { title: undefined }, `missing required field [json-pointer:${at}/title]`],
      ['an unknown style', { style: 'green' }, `must be one of: primary, danger [json-pointer:${at}/style]`],
    ])('refuses %s', (_what, overrides, problem) => {
      expect(blockProblems(withConfirm(confirm(overrides)), 'message')).toContain(problem);
    });

    it('refuses a confirm that is no object', () => {
      expect(blockProblems(withConfirm('sure?'), 'message')).toContain(
        `must provide an object [json-pointer:${at}]`,
      );
    });
  });
});

describe('a message too long as a whole', () => {
  const sections = (n: number) =>
    Array.from({ length: n }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(2_900) } }));

  it('counts the text of every block, field and element', () => {
    expect(
      blockTextLength([
        { type: 'header', text: { type: 'plain_text', text: 'abc' } },
        { type: 'section', fields: [{ type: 'mrkdwn', text: 'de' }], text: { type: 'mrkdwn', text: 'f' } },
        {
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'ghij' }, value: 'v' }],
        },
      ]),
    ).toBe(10);
  });

  it('is refused with msg_blocks_too_long above about 13k characters, though each block is within its limits', () => {
    expect(refuseMessageBlocks(sections(4))).toBeUndefined();
    expect(refuseMessageBlocks(sections(5))).toMatchObject({ ok: false, error: 'msg_blocks_too_long' });
    // A response_url takes them (slackapi/bolt-js#2867).
    expect(refuseMessageBlocks(sections(5), false)).toBeUndefined();
  });
});
