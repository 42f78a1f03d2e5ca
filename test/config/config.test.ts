import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  BREAKGLASS_CHANNEL_ID: 'C0123ABCD',
  BREAKGLASS_APPROVERS: 'U0123AAAA, S0123GGGG',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

function awsProblems(env: Record<string, string>): string[] {
  try {
    awsSettingsFromEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(VALID);
    expect(config).toMatchObject({
      approvers: ['U0123AAAA', 'S0123GGGG'],
      requesters: [],
      durationsSeconds: [1800, 3600, 7200, 14400],
      remindBeforeSeconds: 600,
      pendingTtlSeconds: 3600,
      tickMs: 5000,
      dbFile: './data/breakglass.db',
      dryRun: false,
      slack: { port: 3000, apiUrl: 'https://slack.com/api/', appToken: undefined },
    });
  });

  it('lists every problem at once, one line each', () => {
    const error = (() => {
      try {
        loadConfig({
          BREAKGLASS_APPROVERS: 'U0123AAAA',
          BREAKGLASS_DURATIONS: '1h,soon',
          BREAKGLASS_TICK: 'x',
          SLACK_API_URL: 'https://slack.com/',
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/SLACK_SIGNING_SECRET is required/),
        expect.stringMatching(/SLACK_BOT_TOKEN is required/),
        expect.stringMatching(/BREAKGLASS_CHANNEL_ID is required/),
        expect.stringMatching(/two different people must approve/),
        expect.stringMatching(/BREAKGLASS_DURATIONS must be a comma list/),
        expect.stringMatching(/BREAKGLASS_TICK must be a duration/),
        expect.stringMatching(/SLACK_API_URL must be a URL that ends with \/api\//),
      ]),
    );
    expect(problems.every((p) => !p.includes('\n'))).toBe(true);
  });

  it('refuses approvers that can never make two approvals, and ids listed twice', () => {
    expect(problems({ ...VALID, BREAKGLASS_APPROVERS: 'U0123AAAA,U0123AAAA' })).toEqual([
      'BREAKGLASS_APPROVERS names only one person (U0123AAAA, listed more than once): two different people must approve, so list two or more user ids or a user group (S…) (got "U0123AAAA,U0123AAAA")',
    ]);
    expect(problems({ ...VALID, BREAKGLASS_APPROVERS: 'U0123AAAA' })).toEqual([
      expect.stringMatching(
        /^BREAKGLASS_APPROVERS names only one person \(U0123AAAA\): two different people/,
      ),
    ]);
    expect(problems({ ...VALID, BREAKGLASS_APPROVERS: ' ' })).toEqual([
      'BREAKGLASS_APPROVERS is required: two different people must approve, so list two or more user ids or a user group (S…)',
    ]);
    expect(problems({ ...VALID, BREAKGLASS_APPROVERS: 'U0123AAAA,U0123BBBB,U0123AAAA' })).toEqual([
      'BREAKGLASS_APPROVERS lists U0123AAAA more than once: list each approver once (got "U0123AAAA,U0123BBBB,U0123AAAA")',
    ]);
    expect(problems({ ...VALID, BREAKGLASS_APPROVERS: 'S0123GGGG,S0123GGGG' })).toEqual([
      expect.stringMatching(/^BREAKGLASS_APPROVERS lists S0123GGGG more than once/),
    ]);
    // One user and a group: the group's members make the second approval.
    expect(loadConfig({ ...VALID, BREAKGLASS_APPROVERS: 'U0123AAAA,S0123GGGG' }).approvers).toEqual([
      'U0123AAAA',
      'S0123GGGG',
    ]);
    expect(loadConfig({ ...VALID, BREAKGLASS_APPROVERS: 'S0123GGGG' }).approvers).toEqual(['S0123GGGG']);
  });

  it('names a port that is not a whole number in range, in plain words', () => {
    for (const port of ['abc', '3000.5', '-1', '65536', '1e3']) {
      expect(problems({ ...VALID, PORT: port })).toEqual([
        `PORT must be a whole number from 1 to 65535 (or 0: any free port) (got "${port}")`,
      ]);
    }
    expect(loadConfig({ ...VALID, PORT: '8080' }).slack.port).toBe(8080);
    expect(loadConfig({ ...VALID, PORT: '0' }).slack.port).toBe(0);
    expect(loadConfig({ ...VALID, PORT: '' }).slack.port).toBe(3000);
  });

  it('checks LOG_LEVEL with the rest, against the levels pino knows', () => {
    expect(problems({ ...VALID, LOG_LEVEL: 'verbose' })).toEqual([
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "verbose")',
    ]);
    expect(loadConfig(VALID).logLevel).toBe('info');
    expect(loadConfig({ ...VALID, LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('says what each setting takes in plain words, and never echoes a secret', () => {
    expect(problems({ ...VALID, DRY_RUN: 'yes', SLACK_API_URL: 'slack' })).toEqual([
      'SLACK_API_URL must be a URL that ends with /api/, such as https://slack.com/api/ (got "slack")',
      'DRY_RUN must be true, false, 1 or 0 (got "yes")',
    ]);
    expect(problems({ ...VALID, SLACK_BOT_TOKEN: 'xapp-secret-value' })).toEqual([
      'SLACK_BOT_TOKEN must start with xoxb-',
    ]);
    expect(
      awsProblems({ AWS_REGION: 'moon', BREAKGLASS_AWS_MAX_ATTEMPTS: 'many', AWS_USE_FIPS_ENDPOINT: 'yes' }),
    ).toEqual([
      'AWS_REGION must be a region such as us-east-1 (got "moon")',
      'AWS_USE_FIPS_ENDPOINT must be true or false (got "yes")',
      'BREAKGLASS_AWS_MAX_ATTEMPTS must be a whole number from 1 to 20 (got "many")',
    ]);
    expect(awsSettingsFromEnv({ BREAKGLASS_AWS_REQUEST_TIMEOUT_MS: '2500' }).requestTimeoutMs).toBe(2500);
  });

  it('runs in Socket Mode without a signing secret', () => {
    const { SLACK_SIGNING_SECRET: _, ...rest } = VALID;
    const config = loadConfig({ ...rest, SLACK_APP_TOKEN: 'xapp-1' });
    expect(config.slack).toMatchObject({ mode: 'socket', appToken: 'xapp-1' });
    expect(config.warnings).toEqual([]);
  });

  it('runs in HTTP mode with a signing secret alone, without warnings', () => {
    expect(loadConfig(VALID)).toMatchObject({ slack: { mode: 'http' }, warnings: [] });
  });

  it('chooses Socket Mode when both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set, and warns why', () => {
    const config = loadConfig({ ...VALID, SLACK_APP_TOKEN: 'xapp-1' });
    expect(config.slack.mode).toBe('socket');
    expect(config.warnings).toEqual([
      expect.stringMatching(
        /^Both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set: starting in Socket Mode because .*SLACK_SIGNING_SECRET is unused/,
      ),
    ]);
    expect(config.warnings.join('')).not.toContain('xapp-1');
  });

  it('makes `npm start` exit non-zero with the problems and no stack trace', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      encoding: 'utf8',
      // DRY_RUN: no AWS credentials needed, so only the environment's problems are listed.
      env: { PATH: process.env.PATH ?? '', BREAKGLASS_APPROVERS: 'bob', DRY_RUN: '1' },
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.every((l) => l.startsWith('config: '))).toBe(true);
    expect(result.stderr).toContain('not: bob');
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('manifest.yml', () => {
  interface Manifest {
    display_information: { name: string };
    features: { slash_commands: { command: string }[]; app_home: { home_tab_enabled: boolean } };
    oauth_config: { scopes: { bot: string[] } };
    settings: {
      interactivity: { is_enabled: boolean; message_menu_options_url: string };
      event_subscriptions: { bot_events: string[] };
      socket_mode_enabled: unknown;
    };
  }
  const manifest = parse(readFileSync('manifest.yml', 'utf8')) as Manifest;
  it('declares the slash command, interactivity, App Home, scopes and events the code uses', () => {
    expect(manifest.features.slash_commands[0].command).toBe('/breakglass');
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.message_menu_options_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
    expect(typeof manifest.settings.socket_mode_enabled).toBe('boolean');
    expect(manifest.display_information.name.length).toBeLessThanOrEqual(35);
  });
});

/**
 * The bot scope each Web API method the code calls needs (null: none), from
 * Slack's method reference pages. A method missing here fails the test below:
 * add it with its scope, and the scope to manifest.yml.
 */
const METHOD_SCOPES: Record<string, string | string[] | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'views.open': null,
  'views.update': null,
  'views.push': null,
  'views.publish': null,
  'usergroups.users.list': 'usergroups:read',
  'users.info': 'users:read',
  // The approvals channel may be public or private: each needs its own history scope.
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
  // doctor: is the bot in the approvals channel (public or private)
  'conversations.info': ['channels:read', 'groups:read'],
  // files.uploadV2 (WebClient.filesUploadV2) calls these two (and posts the bytes to the URL the first returns).
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every `…client.<family>.<method>(` call in src/, e.g. `chat.postMessage`, `usergroups.users.list`. */
function webApiMethods(): Set<string> {
  const methods = new Set<string>();
  for (const file of sourceFiles('src')) {
    for (const match of readFileSync(file, 'utf8').matchAll(/[cC]lient\.((?:[a-z]+\.)+[a-zA-Z]+)\(/g)) {
      if (match[1]) methods.add(match[1]);
    }
    if (/[cC]lient\.filesUploadV2\(/.test(readFileSync(file, 'utf8'))) {
      methods.add('files.getUploadURLExternal');
      methods.add('files.completeUploadExternal');
    }
  }
  return methods;
}

describe('manifest.yml scopes', () => {
  const scopes = (
    parse(readFileSync('manifest.yml', 'utf8')) as { oauth_config: { scopes: { bot: string[] } } }
  ).oauth_config.scopes.bot;

  it('finds the Web API calls the code makes', () => {
    expect([...webApiMethods()]).toEqual(
      expect.arrayContaining([
        'chat.postMessage',
        'views.open',
        'usergroups.users.list',
        'users.info',
        'auth.test',
        'conversations.info',
      ]),
    );
  });

  it('lists exactly the scopes the code needs: commands plus those of the methods it calls', () => {
    const unknown = [...webApiMethods()].filter((m) => !(m in METHOD_SCOPES));
    expect(unknown, 'Web API methods with no entry in METHOD_SCOPES').toEqual([]);
    const needed = new Set(['commands']);
    for (const method of webApiMethods()) {
      for (const scope of [METHOD_SCOPES[method] ?? []].flat()) needed.add(scope);
    }
    expect([...scopes].sort()).toEqual([...needed].sort());
    expect(scopes).not.toContain('im:write');
  });

  it('says which calls need each scope', () => {
    const lines = readFileSync('manifest.yml', 'utf8').split('\n');
    for (const scope of scopes) {
      const line = lines.find((l) => l.trim().startsWith(`- ${scope} #`));
      expect(line, `a comment after ${scope}`).toBeDefined();
    }
  });
});

describe('drift detection settings', () => {
  it('schedules the org-wide audit daily and reminds weekly by default', () => {
    const config = loadConfig(VALID);
    expect(config.auditEveryMs).toBe(86_400_000);
    expect(config.driftRemindMs).toBe(7 * 86_400_000);
  });

  it('takes days, hours and off', () => {
    const config = loadConfig({ ...VALID, BREAKGLASS_AUDIT_EVERY: '6h', BREAKGLASS_DRIFT_REMIND: '2d' });
    expect(config.auditEveryMs).toBe(6 * 3_600_000);
    expect(config.driftRemindMs).toBe(2 * 86_400_000);
    expect(loadConfig({ ...VALID, BREAKGLASS_AUDIT_EVERY: 'off' }).auditEveryMs).toBeUndefined();
  });

  it('says what is wrong in one plain line each', () => {
    expect(problems({ ...VALID, BREAKGLASS_AUDIT_EVERY: 'daily', BREAKGLASS_DRIFT_REMIND: 'off' })).toEqual([
      'BREAKGLASS_AUDIT_EVERY must be a duration such as 30m, 24h or 7d, or off (got "daily")',
      'BREAKGLASS_DRIFT_REMIND must be a duration such as 30m, 24h or 7d (got "off")',
    ]);
  });
});
