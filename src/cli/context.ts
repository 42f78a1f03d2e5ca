import { AwsClients } from '../aws/clients.js';
import { OrganizationDirectory } from '../aws/organization.js';
import { RootTaskService } from '../aws/root-task-service.js';
import { ConfigError, LOG_LEVELS } from '../config/app-config.js';
import { type AwsSettings, awsSettingsFromEnv } from '../config/aws-settings.js';
import { createLogger, type Logger } from '../log.js';

/** The program-wide flags that choose how to reach AWS (`--profile`, `--region`). */
export interface CliAwsOptions {
  /** a named profile of the shared AWS config and credentials files */
  profile?: string;
  /** wins over AWS_REGION */
  region?: string;
}

/** The AWS side of a CLI run, built only when a command needs it (never for --help). */
export interface CliContext {
  /** the environment the command runs in (BREAKGLASS_TABLE, AWS_REGION…), `--region` applied */
  env: NodeJS.ProcessEnv;
  /** region, profile, retries: what every AWS client of this run is built with */
  aws: AwsSettings;
  clients: AwsClients;
  organization: OrganizationDirectory;
  service: RootTaskService;
  close(): void;
}

export function createCliContext(
  baseEnv: NodeJS.ProcessEnv = process.env,
  options: CliAwsOptions = {},
  log?: Logger,
): CliContext {
  const env = options.region ? { ...baseEnv, AWS_REGION: options.region } : baseEnv;
  const aws: AwsSettings = {
    ...awsSettingsFromEnv(env),
    ...(options.profile ? { profile: options.profile } : {}),
  };
  const clients = new AwsClients(aws);
  const organization = new OrganizationDirectory(clients);
  // The CLI reports to the terminal; structured logs only on request (LOG_LEVEL=info), on stderr.
  const logger = log ?? createLogger({ level: cliLogLevel(env.LOG_LEVEL) }, process.stderr);
  return {
    env,
    aws,
    clients,
    organization,
    service: new RootTaskService(clients, organization, logger),
    close: () => clients.destroy(),
  };
}

/** pino throws on an unknown level; the CLI says what it accepts instead. */
function cliLogLevel(level: string | undefined): string {
  if (level === undefined || level === '') return 'silent';
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level;
  throw new ConfigError([`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${level}")`]);
}
