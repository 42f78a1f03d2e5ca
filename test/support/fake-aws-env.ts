import { Writable } from 'node:stream';
import { vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { OrganizationDirectory } from '../../src/aws/organization.js';
import { RootTaskService } from '../../src/aws/root-task-service.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { createLogger } from '../../src/log.js';
import { FakeAws, type FakeAwsOptions } from '../fakes/aws/server.js';

export interface FakeAwsEnv {
  fake: FakeAws;
  clients: AwsClients;
  organization: OrganizationDirectory;
  service: RootTaskService;
  /** every log line the service wrote, as JSON text */
  logLines: string[];
  close(): Promise<void>;
}

/**
 * Starts the fake AWS server and points the real SDK clients at it through the
 * standard AWS_ENDPOINT_URL variable, as a user would.
 */
export async function startFakeAwsEnv(
  options: FakeAwsOptions & { maxAttempts?: number } = {},
): Promise<FakeAwsEnv> {
  const fake = await FakeAws.start(options);
  const env = { ...fake.env(), AWS_EC2_METADATA_DISABLED: 'true' };
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  const clients = new AwsClients(
    awsSettingsFromEnv({ ...env, BREAKGLASS_AWS_MAX_ATTEMPTS: String(options.maxAttempts ?? 4) }),
  );
  const organization = new OrganizationDirectory(clients);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const service = new RootTaskService(clients, organization, createLogger({ level: 'debug' }, sink));
  return {
    fake,
    clients,
    organization,
    service,
    logLines,
    async close() {
      clients.destroy();
      vi.unstubAllEnvs();
      await fake.close();
    },
  };
}
