import { describe, expect, it } from 'vitest';
import { checkIncidentLink } from '../../src/domain/incident-link.js';
import {
  clipMrkdwn,
  clipPlain,
  displayedLength,
  escapeMrkdwn,
  mentionAll,
  mrkdwnLink,
  safeMrkdwn,
  splitMrkdwn,
} from '../../src/slack/text.js';

/** True when no entity, `<…>` token or surrogate pair is cut in `text`. */
function wellFormed(text: string): boolean {
  const withoutEntities = text.replace(/&(?:amp|lt|gt);/g, '');
  const withoutTokens = withoutEntities.replace(/<[^<>]*>/g, '');
  return (
    !/&/.test(withoutEntities) &&
    !/[<>]/.test(withoutTokens) &&
    !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
  );
}

describe('safeMrkdwn: escape first, then clip', () => {
  it('keeps short text whole, escaped', () => {
    expect(safeMrkdwn('a & <b>', 100)).toBe('a &amp; &lt;b&gt;');
  });

  it.each([
    ['ampersands', '&'.repeat(2000)],
    ['angle brackets', '<>'.repeat(1000)],
    ['mentions', '<!channel> <@U123> '.repeat(100)],
    ['emoji', '😀&'.repeat(700)],
  ])('fits %s into the limit without cutting an entity', (_what, input) => {
    for (const max of [100, 2000, 2001, 2002, 2003, 2004, 3000]) {
      const out = safeMrkdwn(input, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(wellFormed(out)).toBe(true);
      expect(out).not.toContain('<!channel>');
      expect(out).toMatch(/… \(\d+ more characters\)$/);
    }
  });

  it('says exactly how many characters of the original were cut', () => {
    const out = safeMrkdwn('&'.repeat(100), 60);
    const kept = (out.match(/&amp;/g) ?? []).length;
    expect(out).toBe(`${'&amp;'.repeat(kept)}… (${100 - kept} more characters)`);
  });
});

describe('clipMrkdwn', () => {
  it('never cuts a mention the code built', () => {
    const mentions = mentionAll(Array.from({ length: 200 }, (_, i) => `U${String(i).padStart(8, '0')}`));
    const out = clipMrkdwn(mentions, 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(wellFormed(out)).toBe(true);
  });
});

describe('splitMrkdwn', () => {
  it('splits into pieces under the size that join back to the whole', () => {
    const escaped = escapeMrkdwn('{"a":"<&>"}\n'.repeat(900));
    const pieces = splitMrkdwn(escaped, 2900);
    expect(pieces.join('')).toBe(escaped);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2900);
      expect(wellFormed(piece)).toBe(true);
    }
    // It prefers to break after a newline.
    expect(pieces.slice(0, -1).every((p) => p.endsWith('\n'))).toBe(true);
  });

  it('splits text without newlines at token boundaries', () => {
    const escaped = escapeMrkdwn('&<>x'.repeat(3000));
    const pieces = splitMrkdwn(escaped, 1000);
    expect(pieces.join('')).toBe(escaped);
    expect(pieces.every((p) => p.length <= 1000 && wellFormed(p))).toBe(true);
    expect(displayedLength(escaped)).toBe(12000);
  });

  it('gives one empty piece for empty text', () => {
    expect(splitMrkdwn('', 10)).toEqual(['']);
  });
});

describe('clipPlain', () => {
  it('clips plain text without cutting a surrogate pair', () => {
    const out = clipPlain('😀'.repeat(100), 75);
    expect(out.length).toBeLessThanOrEqual(75);
    expect(out.endsWith('…')).toBe(true);
    expect(wellFormed(out)).toBe(true);
  });
});

describe('mentionAll', () => {
  it('mentions users and groups, and escapes anything else', () => {
    expect(mentionAll(['UAPPROVER', 'SGROUP1', 'S<!channel>'])).toBe(
      '<@UAPPROVER> <!subteam^SGROUP1> S&lt;!channel&gt;',
    );
  });
});

describe('incident links', () => {
  const hostile = (length: number) => {
    const base = 'https://tickets.example.com/?q=';
    const unit = '&<>|<!channel><@U123>';
    return (base + unit.repeat(Math.ceil(length / unit.length))).slice(0, length);
  };

  it('accepts an http(s) URL of at most 1,000 characters', () => {
    expect(checkIncidentLink(hostile(1000))).toEqual({ ok: true, link: hostile(1000) });
    expect(checkIncidentLink('  ')).toEqual({ ok: true, link: undefined });
    expect(checkIncidentLink(hostile(1001))).toMatchObject({ ok: false, reason: /at most 1,000/ });
  });

  it.each([
    'javascript:alert(1)',
    'ftp://x.example/',
    'https://',
    'https://a b.example/',
    'https://x/\u0007y',
  ])('refuses %j', (link) => {
    expect(checkIncidentLink(link)).toMatchObject({ ok: false, reason: /http\(s\) link/ });
  });

  it('cannot break out of <url|label> with |, > or &', () => {
    const url = 'https://x.example/a|b>c<d&e=<!channel>|<@U123>';
    const link = mrkdwnLink(url);
    // One link token: nothing after the first '>' and exactly one '|' separator.
    expect(link.indexOf('>')).toBe(link.length - 1);
    expect(link.match(/\|/g)).toHaveLength(1);
    expect(link).toBe(
      '<https://x.example/a%7Cb%3Ec%3Cd&amp;e=%3C!channel%3E%7C%3C@U123%3E|x.example/a%7Cb%3Ec%3Cd&amp;e=%3C!channel%3E%7C%3C@U123%3E>',
    );
    expect(link).not.toContain('<!channel>');
    expect(link).not.toContain('<@U123>');
  });
});
