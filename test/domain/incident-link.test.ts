import { describe, expect, it } from 'vitest';
import { checkIncidentLink, MAX_INCIDENT_LINK } from '../../src/domain/incident-link.js';

const REFUSED = 'Give an http(s) link to the incident or ticket, or leave it empty.';

describe('checkIncidentLink', () => {
  it.each([undefined, '', '   '])('takes no link (%j) as no link', (input) => {
    expect(checkIncidentLink(input)).toEqual({ ok: true, link: undefined });
  });

  it.each([
    ['https://tickets.example.com/INC-1', 'https://tickets.example.com/INC-1'],
    ['  http://jira.example.com/browse/OPS-7  ', 'http://jira.example.com/browse/OPS-7'],
    ['HTTPS://EXAMPLE.COM/A', 'HTTPS://EXAMPLE.COM/A'],
    ['https://example.com/?q=a&b=<c>|d', 'https://example.com/?q=a&b=<c>|d'],
  ])('accepts %j as it is, trimmed', (input, link) => {
    expect(checkIncidentLink(input)).toEqual({ ok: true, link });
  });

  it.each([
    'javascript:alert(1)',
    'ftp://example.com/x',
    'example.com/INC-1',
    'see https://example.com/INC-1',
    'https://exa mple.com/x',
    'https://example.com/a b',
    'javascript:alert(1)//https://evil.example',
    'https://example.com/a\u0000b',
    'https://example.com/a\u007fb',
    'https://example.com/a\u001fb',
    'https://',
    'https://[::1',
  ])('refuses %j', (input) => {
    expect(checkIncidentLink(input)).toEqual({ ok: false, reason: REFUSED });
  });

  it('takes a link of exactly the maximum length, and refuses one character more', () => {
    const exact = `https://example.com/${'a'.repeat(MAX_INCIDENT_LINK - 'https://example.com/'.length)}`;
    expect(exact).toHaveLength(1000);
    expect(checkIncidentLink(exact)).toEqual({ ok: true, link: exact });
    expect(checkIncidentLink(`${exact}a`)).toEqual({
      ok: false,
      reason: 'Keep the link to at most 1,000 characters.',
    });
  });
});
