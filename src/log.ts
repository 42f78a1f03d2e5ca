import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * Paths pino censors wherever they appear, as a second line of defence: the code
 * never passes secrets to the logger, but a future `log.info({ credentials })`
 * must not leak either.
 */
export const REDACTED_PATHS = [
  '*.SecretAccessKey',
  '*.secretAccessKey',
  '*.SessionToken',
  '*.sessionToken',
  '*.Credentials',
  '*.credentials',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-slack-signature"]',
  '*.headers["x-amz-security-token"]',
];

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  const config = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    name: options.name ?? 'breakglass',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(config, destination) : pino(config);
}

/** A logger that drops everything, for library use without output. */
export const silentLogger: Logger = pino({ level: 'silent' });
