/**
 * The logger: JSON lines on stdout. The code never passes secrets to it; as a
 * second line of defence every line is redacted on its way out, at any depth,
 * so that a future `log.info({ credentials })` or a Slack error carrying a token
 * cannot leak either.
 */
import { type DestinationStream, type LogFn, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

export const CENSOR = '[redacted]';

/**
 * Key names whose values are secrets wherever they appear, compared without case,
 * `-` or `_` (so `x-amz-security-token`, `SessionToken` and `session_token` all match).
 */
const SECRET_KEYS: ReadonlySet<string> = new Set(['credentials', 'passphrase', 'xslacksignature']);
/** Key endings that make a key secret: `botToken`, `signingSecret`, `SecretAccessKey`, `Authorization` … */
const SECRET_KEY_ENDINGS = [
  'token',
  'secret',
  'secretaccesskey',
  'privatekey',
  'apikey',
  'password',
  'passwd',
  'authorization',
  'cookie',
  'signature',
];

function isSecretKey(key: string): boolean {
  const name = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_KEYS.has(name) || SECRET_KEY_ENDINGS.some((ending) => name.endsWith(ending));
}

/**
 * Values that are secrets whatever key holds them, even inside a message: Slack
 * tokens (bot, user, app-level, rotating) and Slack hook URLs, which post as the app.
 */
const SECRET_VALUES: readonly RegExp[] = [
  /\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]+/g,
  /\bxapp-[A-Za-z0-9-]+/g,
  /\bhttps:\/\/hooks\.slack\.com\/[^\s"'<>]+/g,
];

function redactText(text: string): string {
  return SECRET_VALUES.reduce((out, pattern) => out.replace(pattern, CENSOR), text);
}

/** Deeper than this, a value is replaced: a log line never carries what was not looked at. */
export const MAX_DEPTH = 12;

/**
 * A copy of `value` safe to log: values under secret keys censored at any depth
 * (booleans and nulls kept: "password: true" says a password exists, not what it
 * is), secret-looking text censored in every string, errors as plain objects with
 * their message, stack and cause, cycles cut and depth bounded.
 */
export function redactSecrets(value: unknown): unknown {
  return redact(value, 0, new Set());
}

function redact(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, ancestors));
    if (value instanceof Error) return redactFields(errorFields(value), depth, ancestors);
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      const json: unknown = (value as { toJSON: () => unknown }).toJSON();
      if (json !== value) return redact(json, depth, ancestors);
    }
    return redactFields(value, depth, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function redactFields(object: object, depth: number, ancestors: Set<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    let field: unknown;
    try {
      field = (object as Record<string, unknown>)[key];
    } catch {
      field = '[unreadable]';
    }
    const harmless = typeof field === 'boolean' || field === null || field === undefined;
    out[key] = isSecretKey(key) && !harmless ? CENSOR : redact(field, depth + 1, ancestors);
  }
  return out;
}

/** What pino's error serializer shows (type, message, stack, own fields), and the cause. */
function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    type: error.constructor?.name ?? error.name,
    message: error.message,
    stack: error.stack,
  };
  for (const key of Object.keys(error)) {
    if (!(key in fields)) fields[key] = (error as unknown as Record<string, unknown>)[key];
  }
  if (error.cause !== undefined) fields.cause = error.cause;
  if (error instanceof AggregateError) fields.errors = error.errors;
  return fields;
}

/**
 * Redacts each line on its way out, after pino has assembled it: the logged
 * object, child bindings, the message and anything interpolated into it, and
 * errors (already serialized by pino) all pass through the same censor.
 */
function redactingStream(target: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      target.write(redactLine(line));
    },
  };
}

function redactLine(line: string): string {
  try {
    return `${JSON.stringify(redactSecrets(JSON.parse(line)))}\n`;
  } catch {
    return redactText(line);
  }
}

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  const config: LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    name: options.name ?? 'breakglass',
    hooks: {
      // Objects interpolated into the message (`%j`, `%o`) become text before the line
      // is written: redact them by key while they are still objects.
      logMethod(args, method) {
        const message = args.findIndex((arg) => typeof arg === 'string');
        const redacted = args.map((arg, i) =>
          message >= 0 && i > message && typeof arg === 'object' ? redactSecrets(arg) : arg,
        );
        method.apply(this, redacted as Parameters<LogFn>);
      },
    },
  };
  // Synchronous writes to stdout: a line logged just before process.exit is not lost.
  const target = destination ?? pino.destination({ dest: 1, sync: true });
  return pino(config, redactingStream(target));
}

/** A logger that drops everything, for library use without output. */
export const silentLogger: Logger = pino({ level: 'silent' });
