/**
 * The bot scopes of manifest.yml, the source of truth for what the code calls,
 * embedded so the bot checks its granted scopes without reading the file at run
 * time (a container may not ship it). test/slack/doctor/manifest-scopes.test.ts
 * fails, printing the list to paste, when this drifts from manifest.yml.
 */
export const MANIFEST_BOT_SCOPES: readonly string[] = [
  'commands',
  'chat:write',
  'usergroups:read',
  'channels:history',
  'groups:history',
  'channels:read',
  'groups:read',
  'files:write',
  'users:read',
];
