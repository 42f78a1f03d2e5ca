/**
 * Plain-text tables that fit the terminal: every line is at most `width` columns.
 * Columns shrink (text wraps, or is cut with "…") down to their minimum; when even
 * the minimums do not fit, the least important columns are hidden and named, so the
 * caller can say so. `width: Infinity` (`--wide`) shows every column in full.
 * No I/O here.
 */

export type Tone = 'good' | 'warn' | 'bad';

export interface Column {
  header: string;
  /** narrowest the column may get (default 8); a fixed column never shrinks */
  min?: number;
  fixed?: boolean;
  /** text wider than the column wraps (default: nothing is lost) or is cut with "…" */
  overflow?: 'wrap' | 'truncate';
  /** when columns must be hidden, lower priorities go first (default 0) */
  priority?: number;
  /** never narrower than its longest word: identifiers are not split (the column is hidden instead) */
  keepWords?: boolean;
}

/** A cell's text ("\n" separates lines); `rest` spans it to the last shown column. */
export type Cell = string | { text: string; tone?: Tone; rest?: boolean };

export interface TableView {
  /** the terminal's width; Infinity shows every column in full (`--wide`) */
  width: number;
  color: boolean;
}

export interface RenderedTable {
  text: string;
  /** headers of the columns left out to fit the width */
  hidden: string[];
}

const GAP = '  ';
const DEFAULT_MIN = 8;
const ANSI: Record<Tone | 'head', [string, string]> = {
  good: ['\u001b[32m', '\u001b[39m'],
  warn: ['\u001b[33m', '\u001b[39m'],
  bad: ['\u001b[31m', '\u001b[39m'],
  head: ['\u001b[1m', '\u001b[22m'],
};

export function paint(text: string, tone: Tone | 'head' | undefined, color: boolean): string {
  if (!color || !tone || !text) return text;
  const [on, off] = ANSI[tone];
  return `${on}${text}${off}`;
}

/** Terminal columns of one character: 0 for combining marks, 2 for wide (CJK, emoji). */
function charWidth(code: number): number {
  if (
    (code >= 0x300 && code <= 0x36f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0xfe00 && code <= 0xfe0f)
  )
    return 0;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** Display width of plain text (no escape sequences: cells are cleaned first). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch.codePointAt(0) ?? 0);
  return width;
}

/** Control characters (escape sequences from typed input among them) would redraw the terminal. */
export function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/\t/g, ' ').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Cuts `text` into pieces of at most `width` columns. */
function hardSplit(text: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let used = 0;
  for (const ch of text) {
    const w = charWidth(ch.codePointAt(0) ?? 0);
    if (used + w > width && piece) {
      pieces.push(piece);
      piece = '';
      used = 0;
    }
    piece += ch;
    used += w;
  }
  if (piece || !pieces.length) pieces.push(piece);
  return pieces;
}

/** Word-wraps one line to `width`; a word longer than the width is split (nothing is lost). */
export function wrapLine(line: string, width: number): string[] {
  if (displayWidth(line) <= width) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/ +/).filter(Boolean)) {
    const candidate = current ? `${current} ${word}` : word;
    if (displayWidth(candidate) <= width) {
      current = candidate;
      continue;
    }
    if (current) out.push(current);
    const pieces = hardSplit(word, width);
    current = pieces.pop() ?? '';
    out.push(...pieces);
  }
  if (current || !out.length) out.push(current);
  return out;
}

export function truncate(line: string, width: number): string {
  if (displayWidth(line) <= width) return line;
  if (width <= 1) return '…'.slice(0, width);
  return `${hardSplit(line, width - 1)[0] ?? ''}…`;
}

/** Wraps free text (a note, a result line) to the width, continuation lines indented. */
export function wrapText(text: string, width: number, indent = '  '): string {
  if (!Number.isFinite(width)) return text;
  return text
    .split('\n')
    .flatMap((line) => {
      const lead = /^ */.exec(line)?.[0] ?? '';
      const [first = '', ...rest] = wrapLine(line.trimStart(), Math.max(10, width - lead.length));
      const more = rest.flatMap((l) => wrapLine(l, Math.max(10, width - lead.length - indent.length)));
      return [lead + first, ...more.map((l) => lead + indent + l)];
    })
    .join('\n');
}

interface NormalCell {
  lines: string[];
  tone?: Tone;
  rest: boolean;
}

function normal(cell: Cell | undefined): NormalCell {
  const c = typeof cell === 'string' || cell === undefined ? { text: cell ?? '' } : cell;
  return {
    lines: clean(c.text).split('\n'),
    tone: 'tone' in c ? c.tone : undefined,
    rest: Boolean('rest' in c && c.rest),
  };
}

/** Widths for the shown columns, or undefined when their minimums do not fit. */
function fitWidths(natural: number[], mins: number[], available: number): number[] | undefined {
  const widths = [...natural];
  let total = widths.reduce((a, b) => a + b, 0);
  if (mins.reduce((a, b) => a + b, 0) > available) return undefined;
  while (total > available) {
    // Shrink the column with the most room above its minimum, one column of text at a time.
    let pick = -1;
    for (let i = 0; i < widths.length; i++) {
      const room = (widths[i] as number) - (mins[i] as number);
      if (room > 0 && (pick < 0 || (widths[i] as number) > (widths[pick] as number))) pick = i;
    }
    if (pick < 0) return undefined;
    widths[pick] = (widths[pick] as number) - 1;
    total -= 1;
  }
  return widths;
}

export function renderTable(columns: Column[], rows: Cell[][], view: TableView): RenderedTable {
  const body = rows.map((r) => columns.map((_, i) => normal(r[i])));
  let shown = columns.map((_, i) => i);
  const hidden: string[] = [];
  let widths: number[] = [];
  for (;;) {
    const natural = shown.map((i) => {
      const col = columns[i] as Column;
      const cells = body.map((r) => r[i] as NormalCell).filter((c) => !c.rest);
      return Math.max(displayWidth(col.header), ...cells.flatMap((c) => c.lines.map(displayWidth)));
    });
    const mins = shown.map((i, k) => {
      const col = columns[i] as Column;
      if (col.fixed) return natural[k] as number;
      const min = Math.min(natural[k] as number, col.min ?? DEFAULT_MIN);
      if (!col.keepWords) return min;
      const words = body.flatMap((r) => {
        const c = r[i] as NormalCell;
        return c.rest ? [] : c.lines.flatMap((l) => l.split(/ +/));
      });
      return Math.max(min, ...words.map(displayWidth));
    });
    const available = view.width - GAP.length * (shown.length - 1);
    const fitted = Number.isFinite(view.width) ? fitWidths(natural, mins, available) : natural;
    if (fitted) {
      widths = fitted;
      break;
    }
    if (shown.length === 1) {
      widths = [Math.max(1, view.width)];
      break;
    }
    // Hide the least important column (the rightmost among equals) and try again.
    let drop = 0;
    for (let k = 1; k < shown.length; k++) {
      const p = columns[shown[k] as number]?.priority ?? 0;
      if (p <= (columns[shown[drop] as number]?.priority ?? 0)) drop = k;
    }
    hidden.unshift((columns[shown[drop] as number] as Column).header);
    shown = shown.filter((_, k) => k !== drop);
  }

  const lay = (cell: NormalCell, width: number, overflow: Column['overflow']): string[] =>
    cell.lines.flatMap((line) =>
      overflow === 'truncate' && !cell.rest ? [truncate(line, width)] : wrapLine(line, width),
    );
  const renderRow = (cells: NormalCell[], head: boolean): string[] => {
    const blocks: { lines: string[]; width: number; tone?: Tone | 'head' }[] = [];
    for (let k = 0; k < shown.length; k++) {
      const cell = cells[shown[k] as number] as NormalCell;
      // A spanning cell starts at the first shown column at or after its own and takes the rest.
      const spanning = cells.findIndex((c, i) => c.rest && i <= (shown[k] as number));
      if (spanning >= 0 && !head) {
        const width = widths.slice(k).reduce((a, b) => a + b, 0) + GAP.length * (shown.length - 1 - k);
        const span = cells[spanning] as NormalCell;
        blocks.push({ lines: lay(span, width, 'wrap'), width, tone: span.tone });
        break;
      }
      const width = widths[k] as number;
      const col = columns[shown[k] as number] as Column;
      blocks.push({
        lines: lay(cell, width, head ? 'wrap' : col.overflow),
        width,
        tone: head ? 'head' : cell.tone,
      });
    }
    const height = Math.max(...blocks.map((b) => b.lines.length));
    return Array.from({ length: height }, (_, n) =>
      blocks
        .map((b, k) => {
          const text = b.lines[n] ?? '';
          const pad = k === blocks.length - 1 ? '' : ' '.repeat(Math.max(0, b.width - displayWidth(text)));
          return paint(text, b.tone, view.color) + pad;
        })
        .join(GAP)
        .trimEnd(),
    );
  };

  const head = renderRow(
    columns.map((c) => ({ lines: [c.header], rest: false })),
    true,
  );
  const rule = widths.map((w) => '-'.repeat(w)).join(GAP);
  const rendered = body.map((r) => renderRow(r, false));
  const spaced = rendered.some((r) => r.length > 1);
  const lines = [...head, rule, ...rendered.flatMap((r, i) => (spaced && i > 0 ? ['', ...r] : r))];
  return { text: lines.join('\n'), hidden };
}

/** "(hidden to fit 80 columns: MFA devices; --wide shows every column)" */
export function hiddenNote(hidden: string[], width: number): string | undefined {
  if (!hidden.length) return undefined;
  return `(to fit ${width} columns, not shown: ${hidden.join(', ')}; --wide shows every column)`;
}
