import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MANIFEST_BOT_SCOPES } from '../../../src/slack/doctor/manifest-scopes.js';

describe('MANIFEST_BOT_SCOPES', () => {
  it('is exactly the bot scopes of manifest.yml, in its order', () => {
    const manifest = parse(readFileSync('manifest.yml', 'utf8')) as {
      oauth_config: { scopes: { bot: string[] } };
    };
    const scopes = manifest.oauth_config.scopes.bot;
    expect(
      [...MANIFEST_BOT_SCOPES],
      `paste into src/slack/doctor/manifest-scopes.ts: ${JSON.stringify(scopes)}`,
    ).toEqual(scopes);
  });
});
