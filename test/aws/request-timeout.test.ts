/** The per-attempt time limit of AWS calls (BREAKGLASS_AWS_REQUEST_TIMEOUT_MS) against an endpoint that never answers. */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { classifyAwsError } from '../../src/aws/errors.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { type SilentServer, startSilentServer } from '../support/local-server.js';

let silent: SilentServer;
beforeAll(async () => {
  silent = await startSilentServer();
});
afterAll(() => silent.close());

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('an AWS endpoint that takes requests and never answers', () => {
  it('times every attempt out, retries, and gives up with a transient error', async () => {
    // The SDK reads endpoint and credentials from the environment, as it does for a user.
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL: silent.endpoint,
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const clients = new AwsClients(
      awsSettingsFromEnv({
        ...env,
        BREAKGLASS_AWS_MAX_ATTEMPTS: '3',
        BREAKGLASS_AWS_REQUEST_TIMEOUT_MS: '150',
      }),
    );
    try {
      const error = await clients.sts.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
      // Every attempt timed out and was retried (counted by the SDK: the server may not yet have seen the last one).
      expect(error).toMatchObject({ name: 'TimeoutError', $metadata: { attempts: 3 } });
      expect(silent.requests).toBeGreaterThanOrEqual(2);
      expect(classifyAwsError(error, 'sts:GetCallerIdentity').kind).toBe('transient');
    } finally {
      clients.destroy();
    }
  });
});
