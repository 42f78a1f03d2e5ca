import { AwsClients } from '../aws/clients.js';
import { OrganizationDirectory } from '../aws/organization.js';
import { RootTaskService } from '../aws/root-task-service.js';
import { awsSettingsFromEnv } from '../config/aws-settings.js';
import { createLogger, type Logger } from '../log.js';

/** The AWS side of a CLI run, built only when a command needs it (never for --help). */
export interface CliContext {
  /** the environment the command runs in (BREAKGLASS_TABLE, AWS_REGION…) */
  env: NodeJS.ProcessEnv;
  clients: AwsClients;
  organization: OrganizationDirectory;
  service: RootTaskService;
  close(): void;
}

export function createCliContext(env: NodeJS.ProcessEnv = process.env, log?: Logger): CliContext {
  const clients = new AwsClients(awsSettingsFromEnv(env));
  const organization = new OrganizationDirectory(clients);
  // The CLI reports to the terminal; structured logs only on request (LOG_LEVEL=info), on stderr.
  const logger = log ?? createLogger({ level: env.LOG_LEVEL ?? 'silent' }, process.stderr);
  return {
    env,
    clients,
    organization,
    service: new RootTaskService(clients, organization, logger),
    close: () => clients.destroy(),
  };
}
