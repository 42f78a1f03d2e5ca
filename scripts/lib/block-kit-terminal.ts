/**
 * Block Kit rendered for a terminal: what a person would see in Slack, as text.
 * A dev tool for `npm run demo` and `npm run local`; it reads the JSON the bot
 * sent (blocks, views) and never trusts its shape. Pure.
 */

export interface TerminalOptions {
  /** user and user-group ids to names, so `<@U…>` reads `@alice` */
  names?: Readonly<Record<string, string>>;
  /** wrap lines at this many characters (default 100) */
  width?: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Slack mrkdwn as Slack shows it: mentions and dates resolved, links with their
 * target, emphasis markers dropped, and entities decoded last, so that an
 * escaped `&lt;!channel&gt;` reads as the literal text it is, never a mention.
 */
export function mrkdwnToTerminal(text: string, names: Readonly<Record<string, string>> = {}): string {
  return text
    .replace(/<([^<>]+)>/g, (_m, inner: string) => token(inner, names))
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, '$1$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function token(inner: string, names: Readonly<Record<string, string>>): string {
  const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
  const user = /^@([UW][A-Z0-9]+)$/.exec(target);
  if (user?.[1]) return `@${names[user[1]] ?? label ?? user[1]}`;
  const group = /^!subteam\^([A-Z0-9]+)$/.exec(target);
  if (group?.[1]) return `@${names[group[1]] ?? label ?? group[1]}`;
  const date = /^!date\^(\d+)\^([^^]*)/.exec(target);
  if (date?.[1]) return slackDate(new Date(Number(date[1]) * 1000), date[2] ?? '');
  if (target === '!channel' || target === '!here' || target === '!everyone') return `@${target.slice(1)}`;
  if (/^#C[A-Z0-9]+$/.test(target)) return `#${label ?? target.slice(1)}`;
  return label && label !== target ? `${label} (${target})` : target;
}

/**
 * A `<!date^…>` as Slack shows it in the reader's time zone: "pretty" dates say
 * today or yesterday, other dates read YYYY-MM-DD; times keep their seconds
 * (the demo's windows last seconds).
 */
export function slackDate(at: Date, format: string, now = new Date()): string {
  const day = (d: Date) => d.toLocaleDateString('en-CA');
  const yesterday = new Date(now.getTime() - 86_400_000);
  const pretty = day(at) === day(now) ? 'today' : day(at) === day(yesterday) ? 'yesterday' : day(at);
  return format
    .replace(/\{date_(?:short_|long_)?pretty\}/g, pretty)
    .replace(/\{date(?:_short|_long|_num)?\}/g, day(at))
    .replace(/\{time(?:_secs)?\}/g, at.toLocaleTimeString('en-GB'));
}

/** A text object: mrkdwn interpreted, plain_text exactly as sent (Slack interprets nothing in it). */
function textOf(value: unknown, names: Readonly<Record<string, string>>): string {
  if (!isObject(value)) return '';
  const text = str(value.text);
  return value.type === 'mrkdwn' ? mrkdwnToTerminal(text, names) : text;
}

/**
 * Word-wraps each line to `width`, breaking words longer than a line. Each
 * line of `text` starts with `indent`; its continuations with `hanging`.
 */
export function wrap(text: string, width: number, indent = '', hanging = indent): string[] {
  const room = Math.max(10, width - Math.max(indent.length, hanging.length));
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const start = out.length;
    let current = '';
    for (const word of line.split(' ')) {
      let rest = word;
      while (rest.length > room) {
        if (current) out.push(indent + current);
        current = '';
        out.push(indent + rest.slice(0, room));
        rest = rest.slice(room);
      }
      if (!current) current = rest;
      else if (current.length + 1 + rest.length <= room) current += ` ${rest}`;
      else {
        out.push(indent + current);
        current = rest;
      }
    }
    out.push(indent + current);
    for (let i = start + 1; i < out.length; i++) out[i] = hanging + (out[i] ?? '').slice(indent.length);
  }
  return out;
}

interface Ctx {
  names: Readonly<Record<string, string>>;
  width: number;
}

function button(el: Json, ctx: Ctx): string[] {
  const style = el.style === 'primary' ? ' (primary)' : el.style === 'danger' ? ' (danger)' : '';
  const url = str(el.url) ? ` -> ${str(el.url)}` : '';
  const lines = [`[ ${textOf(el.text, ctx.names)} ]${style}${url}`];
  const confirm = el.confirm;
  if (isObject(confirm)) {
    const cStyle = confirm.style === 'danger' ? ' (danger)' : confirm.style === 'primary' ? ' (primary)' : '';
    lines.push(
      `  asks first: "${textOf(confirm.title, ctx.names)}"`,
      ...wrap(textOf(confirm.text, ctx.names), ctx.width, '    '),
      `    [ ${textOf(confirm.deny, ctx.names)} ]  [ ${textOf(confirm.confirm, ctx.names)} ]${cStyle}`,
    );
  }
  return lines;
}

function options(el: Json, ctx: Ctx): string[] {
  const initial = isObject(el.initial_option) ? str(el.initial_option.value) : undefined;
  const one = (o: unknown) =>
    isObject(o) ? `${textOf(o.text, ctx.names)}${str(o.value) === initial ? ' (selected)' : ''}` : '';
  const groups = list(el.option_groups).filter(isObject);
  if (groups.length)
    return groups.flatMap((g) =>
      wrap(`${textOf(g.label, ctx.names)}: ${list(g.options).map(one).join(' | ')}`, ctx.width, '  ', '    '),
    );
  return wrap(`options: ${list(el.options).map(one).join(' | ')}`, ctx.width, '  ', '    ');
}

/** An interactive element (in actions, an input, or a section's accessory). */
export function renderElement(el: unknown, ctx: Ctx): string[] {
  if (!isObject(el)) return [];
  const placeholder = textOf(el.placeholder, ctx.names);
  switch (el.type) {
    case 'button':
      return button(el, ctx);
    case 'static_select': {
      const shown = isObject(el.initial_option) ? textOf(el.initial_option.text, ctx.names) : placeholder;
      return [`[ ${shown || 'Select'} v ]`, ...options(el, ctx)];
    }
    case 'external_select':
      return [`[ ${placeholder || 'Select'} v ]  (options come from the bot as you type)`];
    case 'plain_text_input': {
      const limit = typeof el.max_length === 'number' ? `, at most ${el.max_length} characters` : '';
      const kind = el.multiline ? `multi-line text${limit}` : `text${limit}`;
      return [`[ ${placeholder || '...'} ]  (${kind})`];
    }
    case 'url_text_input':
      return [`[ ${placeholder || 'https://...'} ]  (a link)`];
    default:
      return [`[ ${str(el.type) || 'element'} ]`];
  }
}

function indented(lines: string[], prefix: string): string[] {
  return lines.map((l) => prefix + l);
}

function section(block: Json, ctx: Ctx): string[] {
  const lines = block.text ? wrap(textOf(block.text, ctx.names), ctx.width) : [];
  for (const field of list(block.fields)) {
    const [first = '', ...rest] = wrap(textOf(field, ctx.names), ctx.width, '  ');
    lines.push(`* ${first.slice(2)}`, ...rest);
  }
  if (block.accessory) lines.push(...indented(renderElement(block.accessory, ctx), '  '));
  return lines;
}

function input(block: Json, ctx: Ctx): string[] {
  const label = `${textOf(block.label, ctx.names)}${block.optional ? ' (optional)' : ''}`;
  const lines = [label, ...indented(renderElement(block.element, ctx), '  ')];
  if (block.hint) lines.push(...wrap(textOf(block.hint, ctx.names), ctx.width, '  · ', '    '));
  return lines;
}

/** One block's lines. Every block type the bot emits has its own rendering; others are named. */
export function renderBlock(block: unknown, ctx: Ctx): string[] {
  if (!isObject(block)) return [];
  switch (block.type) {
    case 'header':
      return [`== ${textOf(block.text, ctx.names)} ==`];
    case 'section':
      return section(block, ctx);
    case 'divider':
      return ['─'.repeat(Math.min(ctx.width, 60))];
    case 'context': {
      const parts = list(block.elements).map((e) =>
        isObject(e) && e.type === 'image' ? `[image: ${str(e.alt_text)}]` : textOf(e, ctx.names),
      );
      return wrap(parts.join('  '), ctx.width, '  · ', '    ');
    }
    case 'actions':
      return list(block.elements).flatMap((e) => renderElement(e, ctx));
    case 'input':
      return input(block, ctx);
    case 'image':
      return [`[image: ${str(block.alt_text)}]`];
    default:
      return [`[${str(block.type) || 'unknown'} block]`];
  }
}

function context(options: TerminalOptions): Ctx {
  return { names: options.names ?? {}, width: options.width ?? 100 };
}

export function renderBlocks(blocks: unknown, options: TerminalOptions = {}): string[] {
  const ctx = context(options);
  return list(blocks).flatMap((b) => renderBlock(b, ctx));
}

/** A message as Slack shows it: its blocks, or its text when it has none (text is then what is shown). */
export function renderMessage(
  message: { text?: unknown; blocks?: unknown },
  options: TerminalOptions = {},
): string[] {
  if (list(message.blocks).length) return renderBlocks(message.blocks, options);
  return wrap(mrkdwnToTerminal(str(message.text), options.names), context(options).width);
}

/** A modal (title, blocks, its Close and Submit buttons) or an App Home tab, framed. */
export function renderView(view: unknown, options: TerminalOptions = {}): string[] {
  if (!isObject(view)) return [];
  const ctx = context(options);
  const inner = { ...ctx, width: ctx.width - 2 };
  const body = list(view.blocks).flatMap((b) => renderBlock(b, inner));
  const title = view.type === 'home' ? 'App Home' : `modal: ${textOf(view.title, ctx.names)}`;
  const buttons = [view.close, view.submit].filter(isObject).map((b) => `[ ${textOf(b, ctx.names)} ]`);
  return [
    `┌─ ${title} ${'─'.repeat(Math.max(3, Math.min(ctx.width, 60) - title.length - 4))}`,
    ...body.map((l) => `│ ${l}`),
    ...(buttons.length ? [`│ ${buttons.join('  ')}`] : []),
    `└${'─'.repeat(Math.min(ctx.width, 60) - 1)}`,
  ];
}
