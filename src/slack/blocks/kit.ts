/**
 * Block constructors that cannot exceed Slack's documented limits: every text
 * goes through a token-safe clip as a last guard, after the builders have
 * budgeted their parts. Pure.
 */
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { clipMrkdwn, clipPlain } from '../text.js';

/** Slack's Block Kit limits (docs: Block Kit reference; /work/shared/slack-platform-facts.md). */
export const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  /** any text object, e.g. a context element */
  text: 3000,
  contextElements: 10,
  header: 150,
  buttonText: 75,
  buttonValue: 2000,
  viewTitle: 24,
  privateMetadata: 3000,
  /** a confirmation dialog: title, explanatory text, and its two buttons (all plain_text) */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

/** A confirmation dialog, as Slack shows it before the click counts. */
export interface Confirmation {
  title: string;
  text: string;
  confirm: string;
  deny: string;
  style?: 'primary' | 'danger';
}

/**
 * Untrusted text shown exactly as typed: a plain_text object needs no escaping
 * (Slack renders neither mentions nor links nor emphasis in it), so its length
 * is the input's length.
 */
export function plainSection(text: string): SectionBlock {
  return {
    type: 'section',
    text: { type: 'plain_text', text: clipPlain(text, LIMITS.sectionText), emoji: false },
  };
}

export function mrkdwnSection(text: string, accessory?: Button): SectionBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: clipMrkdwn(text, LIMITS.sectionText) },
    ...(accessory ? { accessory } : {}),
  };
}

export function fieldsSection(fields: readonly string[]): SectionBlock {
  return {
    type: 'section',
    fields: fields
      .slice(0, LIMITS.fields)
      .map((text) => ({ type: 'mrkdwn' as const, text: clipMrkdwn(text, LIMITS.fieldText) })),
  };
}

export function context(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clipMrkdwn(text, LIMITS.text) }] };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: clipPlain(text, LIMITS.header) } };
}

export function button(options: {
  actionId: string;
  text: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: Confirmation;
}): Button {
  if (options.value.length > LIMITS.buttonValue) throw new Error(`button value over ${LIMITS.buttonValue}`);
  return {
    type: 'button',
    action_id: options.actionId,
    text: { type: 'plain_text', text: clipPlain(options.text, LIMITS.buttonText) },
    value: options.value,
    ...(options.style ? { style: options.style } : {}),
    ...(options.confirm ? { confirm: confirmation(options.confirm) } : {}),
  };
}

/** Slack's confirmation dialog object: every text plain_text, clipped to its documented limit. */
export function confirmation(c: Confirmation): NonNullable<Button['confirm']> {
  const plain = (text: string, max: number) => ({
    type: 'plain_text' as const,
    text: clipPlain(text, max),
    emoji: false,
  });
  return {
    title: plain(c.title, LIMITS.confirmTitle),
    text: plain(c.text, LIMITS.confirmText),
    confirm: plain(c.confirm, LIMITS.confirmButton),
    deny: plain(c.deny, LIMITS.confirmButton),
    ...(c.style ? { style: c.style } : {}),
  };
}

export function actions(elements: ActionsBlock['elements'], blockId?: string): ActionsBlock {
  return { type: 'actions', ...(blockId ? { block_id: blockId } : {}), elements };
}

/** Characters of text in blocks, for the message budget. */
export function textLength(blocks: readonly KnownBlock[]): number {
  let n = 0;
  for (const block of blocks) {
    if ('text' in block && block.text && typeof block.text === 'object' && 'text' in block.text)
      n += block.text.text.length;
    if ('fields' in block && block.fields) for (const f of block.fields) n += f.text.length;
    if (block.type === 'context')
      for (const e of block.elements) if ('text' in e && typeof e.text === 'string') n += e.text.length;
  }
  return n;
}
