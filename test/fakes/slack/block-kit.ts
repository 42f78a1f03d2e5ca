/**
 * Block Kit validation for the fake Slack: the documented limits of the blocks,
 * elements, text objects and views this app can send, checked the way Slack
 * checks them, with Slack's error shapes (`invalid_blocks` for messages,
 * `invalid_arguments` for views). Source: Slack's Block Kit reference and
 * /work/shared/slack-platform-facts.md.
 *
 * It refuses only what the documents say Slack refuses. Block and element
 * types it does not model are accepted as they are (beyond a block_id or
 * action_id length). `msg_blocks_too_long` has no documented threshold; it is
 * reported at about 13k characters of a message's block text
 * (slack-platform-facts.md), so the fake answers it above that, for chat
 * methods only (a response_url takes the same blocks, slackapi/bolt-js#2867).
 * Reports vary (#2867 saw a refusal at 11,341 characters): the bot's own
 * budgets stay well under 13k for that reason.
 */

export type Surface = 'message' | 'modal' | 'home';

export const BLOCK_KIT_LIMITS = {
  blocks: { message: 50, modal: 100, home: 100 } as Record<Surface, number>,
  text: 3000,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionsElements: 25,
  header: 150,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  id: 255,
  label: 2000,
  placeholder: 150,
  optionText: 75,
  optionValue: 150,
  options: 100,
  altText: 2000,
  viewTitle: 24,
  privateMetadata: 3000,
  inputLength: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
};

const L = BLOCK_KIT_LIMITS;

/** What Slack answers for a refused payload. */
export interface SlackRefusal {
  ok: false;
  error: 'invalid_blocks' | 'invalid_arguments' | 'msg_blocks_too_long';
  errors?: string[];
  response_metadata: { messages: string[] };
}

class Problems {
  readonly list: string[] = [];

  add(pointer: string, message: string): void {
    this.list.push(`${message} [json-pointer:${pointer}]`);
  }

  /** A string field: required or optional, with documented length bounds. */
  string(value: unknown, pointer: string, options: { max: number; min?: number; required?: boolean }): void {
    if (value === undefined || value === null) {
      if (options.required) this.add(pointer, 'missing required field');
      return;
    }
    if (typeof value !== 'string') {
      this.add(pointer, 'must be a string');
      return;
    }
    const min = options.min ?? 0;
    if (value.length < min) this.add(pointer, `must be more than ${min - 1} characters`);
    if (value.length > options.max) this.add(pointer, `must be less than ${options.max + 1} characters`);
  }

  /** A text object: `plain_text` or `mrkdwn`, 1 to `max` characters. */
  text(
    value: unknown,
    pointer: string,
    options: { max: number; plainOnly?: boolean; required?: boolean } = { max: L.text },
  ): void {
    if (value === undefined || value === null) {
      if (options.required) this.add(pointer, 'missing required field');
      return;
    }
    if (!isObject(value)) {
      this.add(pointer, 'must provide an object');
      return;
    }
    const allowed = options.plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
    if (!allowed.includes(String(value.type)))
      this.add(`${pointer}/type`, `must be one of: ${allowed.join(', ')}`);
    this.string(value.text, `${pointer}/text`, {
      min: 1,
      max: Math.min(options.max, L.text),
      required: true,
    });
  }

  array(
    value: unknown,
    pointer: string,
    options: { max: number; min?: number; required?: boolean },
  ): unknown[] | undefined {
    if (value === undefined || value === null) {
      if (options.required) this.add(pointer, 'missing required field');
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(pointer, 'must provide an array');
      return undefined;
    }
    const min = options.min ?? 0;
    if (value.length < min) this.add(pointer, `must provide at least ${min} items`);
    if (value.length > options.max) this.add(pointer, `no more than ${options.max} items allowed`);
    return value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Problems with a blocks array on a surface, as Slack words them; empty when Slack would accept it. */
export function blockProblems(blocks: unknown, surface: Surface, pointer = '/blocks'): string[] {
  const p = new Problems();
  checkBlocks(p, blocks, surface, pointer);
  return p.list;
}

/** Problems with a modal or Home tab view; empty when Slack would accept it. */
export function viewProblems(view: unknown, pointer = '/view'): string[] {
  const p = new Problems();
  if (!isObject(view)) {
    p.add(pointer, 'must provide an object');
    return p.list;
  }
  const type = view.type;
  if (type !== 'modal' && type !== 'home') {
    p.add(`${pointer}/type`, 'must be one of: modal, home');
    return p.list;
  }
  p.string(view.callback_id, `${pointer}/callback_id`, { max: L.id });
  p.string(view.external_id, `${pointer}/external_id`, { max: L.id });
  p.string(view.private_metadata, `${pointer}/private_metadata`, { max: L.privateMetadata });
  if (type === 'modal') {
    p.text(view.title, `${pointer}/title`, { max: L.viewTitle, plainOnly: true, required: true });
    p.text(view.submit, `${pointer}/submit`, { max: L.viewTitle, plainOnly: true });
    p.text(view.close, `${pointer}/close`, { max: L.viewTitle, plainOnly: true });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === 'input');
    if (hasInput && view.submit === undefined)
      p.add(
        `${pointer}/submit`,
        'missing required field: submit is required when the view has an input block',
      );
  }
  checkBlocks(p, view.blocks, type, `${pointer}/blocks`);
  return p.list;
}

/** Slack's answer to a message payload (chat.*, response_url) with these blocks, or undefined if accepted. */
export function refuseMessageBlocks(
  blocks: unknown,
  /** response_url takes blocks chat.postMessage refuses as too long (slackapi/bolt-js#2867) */
  lengthChecked = true,
): SlackRefusal | undefined {
  if (blocks === undefined) return undefined;
  const problems = blockProblems(blocks, 'message');
  if (!problems.length) {
    if (!lengthChecked || blockTextLength(blocks) <= MESSAGE_BLOCK_TEXT_REFUSED_ABOVE) return undefined;
    return { ok: false, error: 'msg_blocks_too_long', response_metadata: { messages: [] } };
  }
  return {
    ok: false,
    error: 'invalid_blocks',
    errors: problems,
    response_metadata: { messages: problems.map((m) => `[ERROR] ${m}`) },
  };
}

/** Where messages are reported to start failing with `msg_blocks_too_long` (characters of block text). */
export const MESSAGE_BLOCK_TEXT_REFUSED_ABOVE = 13_000;

/** Every `text` string in the blocks (text objects, fields, elements), summed. */
export function blockTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + blockTextLength(v), 0);
  if (!value || typeof value !== 'object') return 0;
  let sum = 0;
  for (const [key, v] of Object.entries(value))
    sum += key === 'text' && typeof v === 'string' ? v.length : blockTextLength(v);
  return sum;
}

/** Slack's answer to views.open/update/push/publish with this view, or undefined if accepted. */
export function refuseView(view: unknown): SlackRefusal | undefined {
  const problems = viewProblems(view);
  if (!problems.length) return undefined;
  return {
    ok: false,
    error: 'invalid_arguments',
    response_metadata: { messages: problems.map((m) => `[ERROR] ${m}`) },
  };
}

function checkBlocks(p: Problems, blocks: unknown, surface: Surface, pointer: string): void {
  const list = p.array(blocks, pointer, { max: L.blocks[surface], required: true });
  list?.forEach((block, i) => {
    checkBlock(p, block, `${pointer}/${i}`);
  });
}

function checkBlock(p: Problems, block: unknown, pointer: string): void {
  if (!isObject(block)) {
    p.add(pointer, 'must provide an object');
    return;
  }
  if (typeof block.type !== 'string' || !block.type) {
    p.add(`${pointer}/type`, 'missing required field');
    return;
  }
  p.string(block.block_id, `${pointer}/block_id`, { max: L.id });
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined)
        p.add(pointer, 'must provide text or fields');
      p.text(block.text, `${pointer}/text`, { max: L.sectionText });
      const fields = p.array(block.fields, `${pointer}/fields`, { min: 1, max: L.fields });
      fields?.forEach((f, i) => {
        p.text(f, `${pointer}/fields/${i}`, { max: L.fieldText, required: true });
      });
      if (block.accessory !== undefined) checkElement(p, block.accessory, `${pointer}/accessory`);
      return;
    }
    case 'header':
      p.text(block.text, `${pointer}/text`, { max: L.header, plainOnly: true, required: true });
      return;
    case 'divider':
      return;
    case 'context': {
      const elements = p.array(block.elements, `${pointer}/elements`, {
        min: 1,
        max: L.contextElements,
        required: true,
      });
      elements?.forEach((e, i) => {
        const at = `${pointer}/elements/${i}`;
        if (isObject(e) && e.type === 'image') checkImage(p, e, at);
        else p.text(e, at, { max: L.text, required: true });
      });
      return;
    }
    case 'actions': {
      const elements = p.array(block.elements, `${pointer}/elements`, {
        min: 1,
        max: L.actionsElements,
        required: true,
      });
      elements?.forEach((e, i) => {
        checkElement(p, e, `${pointer}/elements/${i}`);
      });
      return;
    }
    case 'input':
      p.text(block.label, `${pointer}/label`, { max: L.label, plainOnly: true, required: true });
      p.text(block.hint, `${pointer}/hint`, { max: L.label, plainOnly: true });
      if (block.element === undefined) p.add(`${pointer}/element`, 'missing required field');
      else checkElement(p, block.element, `${pointer}/element`);
      return;
    case 'image':
      checkImage(p, block, pointer);
      p.text(block.title, `${pointer}/title`, { max: L.altText, plainOnly: true });
      return;
    default:
      // Documented block types this app does not use are not modeled: accepted as they are.
      return;
  }
}

function checkImage(p: Problems, image: Record<string, unknown>, pointer: string): void {
  if (image.image_url === undefined && image.slack_file === undefined)
    p.add(pointer, 'must provide image_url or slack_file');
  p.string(image.image_url, `${pointer}/image_url`, { min: 1, max: L.url });
  p.string(image.alt_text, `${pointer}/alt_text`, { min: 1, max: L.altText, required: true });
}

function checkElement(p: Problems, element: unknown, pointer: string): void {
  if (!isObject(element)) {
    p.add(pointer, 'must provide an object');
    return;
  }
  p.string(element.action_id, `${pointer}/action_id`, { max: L.id });
  if (element.confirm !== undefined) checkConfirm(p, element.confirm, `${pointer}/confirm`);
  switch (element.type) {
    case 'button':
      p.text(element.text, `${pointer}/text`, { max: L.buttonText, plainOnly: true, required: true });
      p.string(element.value, `${pointer}/value`, { max: L.buttonValue });
      p.string(element.url, `${pointer}/url`, { max: L.url });
      if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger')
        p.add(`${pointer}/style`, 'must be one of: primary, danger');
      return;
    case 'static_select':
    case 'multi_static_select': {
      p.text(element.placeholder, `${pointer}/placeholder`, { max: L.placeholder, plainOnly: true });
      if (element.options === undefined && element.option_groups === undefined)
        p.add(pointer, 'must provide options or option_groups');
      const options = p.array(element.options, `${pointer}/options`, { min: 1, max: L.options });
      options?.forEach((o, i) => {
        checkOption(p, o, `${pointer}/options/${i}`);
      });
      if (element.initial_option !== undefined)
        checkOption(p, element.initial_option, `${pointer}/initial_option`);
      return;
    }
    case 'external_select':
    case 'multi_external_select':
      p.text(element.placeholder, `${pointer}/placeholder`, { max: L.placeholder, plainOnly: true });
      return;
    case 'plain_text_input':
      p.text(element.placeholder, `${pointer}/placeholder`, { max: L.placeholder, plainOnly: true });
      for (const key of ['min_length', 'max_length'] as const) {
        const n = element[key];
        if (
          n !== undefined &&
          (typeof n !== 'number' || n < (key === 'max_length' ? 1 : 0) || n > L.inputLength)
        )
          p.add(`${pointer}/${key}`, `must be between ${key === 'max_length' ? 1 : 0} and ${L.inputLength}`);
      }
      return;
    case 'url_text_input':
    case 'email_text_input':
    case 'number_input':
      p.text(element.placeholder, `${pointer}/placeholder`, { max: L.placeholder, plainOnly: true });
      return;
    default:
      if (typeof element.type !== 'string' || !element.type)
        p.add(`${pointer}/type`, 'missing required field');
      // Other documented elements are not modeled: accepted as they are.
      return;
  }
}

/**
 * The confirmation dialog object (Block Kit reference, "Confirmation dialog
 * object"): title, text, confirm and deny are required plain_text objects of at
 * most 100, 300, 30 and 30 characters; style, if set, is primary or danger.
 */
function checkConfirm(p: Problems, confirm: unknown, pointer: string): void {
  if (!isObject(confirm)) {
    p.add(pointer, 'must provide an object');
    return;
  }
  p.text(confirm.title, `${pointer}/title`, { max: L.confirmTitle, plainOnly: true, required: true });
  p.text(confirm.text, `${pointer}/text`, { max: L.confirmText, plainOnly: true, required: true });
  p.text(confirm.confirm, `${pointer}/confirm`, { max: L.confirmButton, plainOnly: true, required: true });
  p.text(confirm.deny, `${pointer}/deny`, { max: L.confirmButton, plainOnly: true, required: true });
  if (confirm.style !== undefined && confirm.style !== 'primary' && confirm.style !== 'danger')
    p.add(`${pointer}/style`, 'must be one of: primary, danger');
}

function checkOption(p: Problems, option: unknown, pointer: string): void {
  if (!isObject(option)) {
    p.add(pointer, 'must provide an object');
    return;
  }
  p.text(option.text, `${pointer}/text`, { max: L.optionText, required: true });
  p.string(option.value, `${pointer}/value`, { min: 1, max: L.optionValue, required: true });
  p.text(option.description, `${pointer}/description`, { max: L.optionText, plainOnly: true });
}
