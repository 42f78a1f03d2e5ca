/**
 * The bot's configuration, from the environment, validated at start-up. Every
 * problem is reported at once, one line each, so a deploy is fixed in one go.
 */
import { z } from 'zod';
import { parseDuration, parseInterval } from '../domain/durations.js';
import type { Policy } from '../domain/policy.js';
import { TASK_KINDS, type TaskKind } from '../domain/request.js';
import { loadPolicyFile } from './policy-file.js';

const duration = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const seconds = parseDuration(text);
      if (seconds === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a duration such as 30s, 10m or 1h (got "${text}")`,
        });
        return z.NEVER;
      }
      return seconds;
    });

/** A long interval (`24h`, `7d`, `90m`), or `off` when `offAllowed` (undefined then). */
const interval = (name: string, fallback: string, offAllowed: boolean) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      if (offAllowed && text.trim().toLowerCase() === 'off') return undefined;
      const seconds = parseInterval(text);
      if (seconds === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a duration such as 30m, 24h or 7d${offAllowed ? ', or off' : ''} (got "${text}")`,
        });
        return z.NEVER;
      }
      return seconds;
    });

/**
 * A whole number in a range, named in plain words when it is not one
 * (`PORT=abc` says so, not "expected number, received NaN").
 */
export const wholeNumber = (name: string, min: number, max: number, fallback: number, range?: string) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      const trimmed = text?.trim() ?? '';
      if (trimmed === '') return fallback;
      const value = Number(trimmed);
      if (!/^\d+$/.test(trimmed) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a whole number ${range ?? `from ${min} to ${max}`} (got "${text}")`,
        });
        return z.NEVER;
      }
      return value;
    });

/** Secrets are never echoed back in a problem line. */
const SECRET_NAME = /TOKEN|SECRET/;

/**
 * One plain line per problem, naming the variable and, unless it is a secret,
 * what it was set to.
 */
export function problemLines(issues: readonly z.core.$ZodIssue[], env: NodeJS.ProcessEnv): string[] {
  return issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const text = issue.message.includes(name) ? issue.message : `${issue.path.join('.')}: ${issue.message}`;
    const value = env[name];
    // A message that already names the bad parts (`not: …`) needs no echo of the whole value.
    if (!value?.trim() || /\(got |; not: /.test(text) || SECRET_NAME.test(name)) return text;
    return `${text} (got "${value}")`;
  });
}

/** pino's levels, lowest to highest, and `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const slackIds = (name: string) =>
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      const ids = text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = ids.filter((id) => !/^[UWS][A-Z0-9]{2,}$/.test(id));
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} takes Slack user ids (U…/W…) and user-group ids (S…); not: ${bad.join(', ')}`,
        });
      }
      return ids;
    });

/**
 * The approvers: two different people must be able to approve, so at least two
 * distinct users, or a user group (its size is known only at run time). An id
 * listed twice counts once and is a mistake (probably meant someone else).
 */
const approverIds = slackIds('BREAKGLASS_APPROVERS').superRefine((ids, ctx) => {
  const distinct = [...new Set(ids)];
  const twice = distinct.filter((id) => ids.indexOf(id) !== ids.lastIndexOf(id));
  const hasGroup = distinct.some((id) => id.startsWith('S'));
  if (!hasGroup && distinct.length < 2) {
    const named = distinct.length
      ? `names only one person (${distinct[0]}${twice.length ? ', listed more than once' : ''}): `
      : 'is required: ';
    ctx.addIssue({
      code: 'custom',
      message: `BREAKGLASS_APPROVERS ${named}two different people must approve, so list two or more user ids or a user group (S…)`,
    });
    return;
  }
  if (twice.length) {
    ctx.addIssue({
      code: 'custom',
      message: `BREAKGLASS_APPROVERS lists ${twice.join(', ')} more than once: list each approver once`,
    });
  }
});

const schema = z.object({
  SLACK_BOT_TOKEN: z
    .string({ message: 'SLACK_BOT_TOKEN is required (xoxb-…)' })
    .regex(/^xox[bp]-/, 'SLACK_BOT_TOKEN must start with xoxb-'),
  SLACK_SIGNING_SECRET: z.string().min(1, 'SLACK_SIGNING_SECRET must not be empty').optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'SLACK_APP_TOKEN must start with xapp-')
    .optional(),
  // 0: any free port (the tests use it).
  PORT: wholeNumber('PORT', 0, 65535, 3000, 'from 1 to 65535 (or 0: any free port)'),
  SLACK_API_URL: z
    .string()
    .refine(
      (u) => URL.canParse(u) && u.endsWith('/api/'),
      'SLACK_API_URL must be a URL that ends with /api/, such as https://slack.com/api/',
    )
    .default('https://slack.com/api/'),
  BREAKGLASS_CHANNEL_ID: z
    .string({ message: 'BREAKGLASS_CHANNEL_ID is required (the approvals channel, C…)' })
    .regex(/^[CG][A-Z0-9]{2,}$/, 'BREAKGLASS_CHANNEL_ID must be a channel id such as C0123ABCD'),
  BREAKGLASS_APPROVERS: approverIds,
  BREAKGLASS_REQUESTERS: slackIds('BREAKGLASS_REQUESTERS'),
  BREAKGLASS_DURATIONS: z
    .string()
    .default('30m,1h,2h,4h')
    .transform((text, ctx) => {
      const parts = text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const seconds = parts.map((p) => parseDuration(p));
      if (!parts.length || seconds.some((s) => s === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: `BREAKGLASS_DURATIONS must be a comma list of durations such as 30m,1h (got "${text}")`,
        });
        return z.NEVER;
      }
      return [...new Set(seconds as number[])].sort((a, b) => a - b);
    }),
  BREAKGLASS_TASKS: z
    .string()
    .default(TASK_KINDS.join(','))
    .transform((text, ctx) => {
      const parts = [
        ...new Set(
          text
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
      ];
      const unknown = parts.filter((p) => !(TASK_KINDS as readonly string[]).includes(p));
      if (!parts.length || unknown.length) {
        ctx.addIssue({
          code: 'custom',
          message: `BREAKGLASS_TASKS must be a comma list of ${TASK_KINDS.join(', ')} (got "${text}")`,
        });
        return z.NEVER;
      }
      // In the order Slack shows them.
      return TASK_KINDS.filter((t) => parts.includes(t));
    }),
  BREAKGLASS_REMIND_BEFORE: duration('BREAKGLASS_REMIND_BEFORE', '10m'),
  BREAKGLASS_PENDING_TTL: duration('BREAKGLASS_PENDING_TTL', '1h'),
  BREAKGLASS_TICK: duration('BREAKGLASS_TICK', '5s'),
  BREAKGLASS_CLEANUP_RETRY: duration('BREAKGLASS_CLEANUP_RETRY', '30s'),
  BREAKGLASS_JOB_LEASE: duration('BREAKGLASS_JOB_LEASE', '60s'),
  BREAKGLASS_AUDIT_EVERY: interval('BREAKGLASS_AUDIT_EVERY', '24h', true),
  BREAKGLASS_DRIFT_REMIND: interval('BREAKGLASS_DRIFT_REMIND', '7d', false),
  BREAKGLASS_DB: z.string().min(1, 'BREAKGLASS_DB must not be empty').default('./data/breakglass.db'),
  BREAKGLASS_STORE: z
    .enum(['sqlite', 'dynamodb'], { message: 'BREAKGLASS_STORE must be sqlite or dynamodb' })
    .default('sqlite'),
  BREAKGLASS_TABLE: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]{3,255}$/,
      'BREAKGLASS_TABLE must be a DynamoDB table name (3 to 255 letters, digits, _ . -)',
    )
    .optional(),
  BREAKGLASS_POLICY: z.string().optional(),
  DRY_RUN: z
    .enum(['true', 'false', '1', '0', ''], { message: 'DRY_RUN must be true, false, 1 or 0' })
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
});

export interface AppConfig {
  slack: {
    /** socket: SLACK_APP_TOKEN is set (it wins over a signing secret); http: signed requests on POST /slack/events */
    mode: 'socket' | 'http';
    botToken: string;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string;
    port: number;
  };
  channelId: string;
  /** user (U…) and user-group (S…) ids */
  approvers: string[];
  /** empty: everyone may request */
  requesters: string[];
  durationsSeconds: number[];
  /** the tasks offered in Slack (the IAM role may allow fewer task policies) */
  tasks: TaskKind[];
  remindBeforeSeconds: number;
  pendingTtlSeconds: number;
  tickMs: number;
  cleanupRetryBaseMs: number;
  /** how long a claimed job is held; a killed process's job runs again after this */
  jobLeaseMs: number;
  /** the scheduled org-wide audit (drift detection), every this long; undefined: off */
  auditEveryMs: number | undefined;
  /** a drift still present this long after its alert is alerted again */
  driftRemindMs: number;
  /** the SQLite file (BREAKGLASS_DB), used when the store is SQLite */
  dbFile: string;
  store: StoreConfig;
  dryRun: boolean;
  /** LOG_LEVEL, checked here so that a bad one is listed with the other problems */
  logLevel: LogLevel;
  /** approver routing per OU or account (BREAKGLASS_POLICY, checked); absent: the configured approvers decide all */
  policy?: Policy;
  /** settings that work but probably not as meant; logged at warn at start-up */
  warnings: string[];
}

/**
 * Where state lives: SQLite on one host (the default), or a DynamoDB table shared
 * by several replicas (its endpoint from AWS_ENDPOINT_URL_DYNAMODB, as the SDK reads it).
 */
export type StoreConfig = { kind: 'sqlite'; file: string } | { kind: 'dynamodb'; table: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  const modeProblem =
    !env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET
      ? ['SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)']
      : [];
  const storeProblem =
    env.BREAKGLASS_STORE === 'dynamodb' && !env.BREAKGLASS_TABLE
      ? ['BREAKGLASS_TABLE is required when BREAKGLASS_STORE=dynamodb (the DynamoDB table name)']
      : [];
  // The policy file's problems are listed with the environment's, one line each.
  const policy = env.BREAKGLASS_POLICY?.trim()
    ? loadPolicyFile(
        env.BREAKGLASS_POLICY.trim(),
        parsed.success ? { tasks: parsed.data.BREAKGLASS_TASKS } : undefined,
      )
    : undefined;
  const policyProblems = (policy?.problems ?? []).map((p) => `BREAKGLASS_POLICY ${p}`);
  if (!parsed.success || modeProblem.length || storeProblem.length || policyProblems.length) {
    const issues = parsed.success ? [] : parsed.error.issues;
    throw new ConfigError([...modeProblem, ...storeProblem, ...policyProblems, ...problemLines(issues, env)]);
  }
  const e = parsed.data;
  const warnings: string[] = (policy?.warnings ?? []).map((w) => `BREAKGLASS_POLICY ${w}`);
  if (e.SLACK_APP_TOKEN && e.SLACK_SIGNING_SECRET) {
    warnings.push(
      'Both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set: starting in Socket Mode because an app-level token is set; SLACK_SIGNING_SECRET is unused. Unset SLACK_APP_TOKEN for HTTP mode.',
    );
  }
  return {
    slack: {
      mode: e.SLACK_APP_TOKEN ? 'socket' : 'http',
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      port: e.PORT,
    },
    channelId: e.BREAKGLASS_CHANNEL_ID,
    approvers: e.BREAKGLASS_APPROVERS,
    requesters: e.BREAKGLASS_REQUESTERS,
    durationsSeconds: e.BREAKGLASS_DURATIONS,
    tasks: e.BREAKGLASS_TASKS,
    remindBeforeSeconds: e.BREAKGLASS_REMIND_BEFORE,
    pendingTtlSeconds: e.BREAKGLASS_PENDING_TTL,
    tickMs: e.BREAKGLASS_TICK * 1000,
    cleanupRetryBaseMs: e.BREAKGLASS_CLEANUP_RETRY * 1000,
    jobLeaseMs: e.BREAKGLASS_JOB_LEASE * 1000,
    auditEveryMs: e.BREAKGLASS_AUDIT_EVERY === undefined ? undefined : e.BREAKGLASS_AUDIT_EVERY * 1000,
    driftRemindMs: (e.BREAKGLASS_DRIFT_REMIND ?? 7 * 86_400) * 1000,
    dbFile: e.BREAKGLASS_DB,
    store:
      e.BREAKGLASS_STORE === 'dynamodb' && e.BREAKGLASS_TABLE
        ? { kind: 'dynamodb', table: e.BREAKGLASS_TABLE }
        : { kind: 'sqlite', file: e.BREAKGLASS_DB },
    dryRun: e.DRY_RUN,
    logLevel: e.LOG_LEVEL,
    ...(policy?.policy ? { policy: policy.policy } : {}),
    warnings,
  };
}
