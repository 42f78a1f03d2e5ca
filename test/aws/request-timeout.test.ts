/** The per-attempt time limit of AWS calls (BREAKGLASS_AWS_REQUEST_TIMEOUT_MS) against an endpoint that never answers. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { classifyAwsError } from '../../src/aws/errors.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';

let silent: Server;
let requests = 0;
beforeAll(async () => {
  silent = createServer(() => {
    requests += 1; // and no answer, ever
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
});
afterAll(async () => {
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

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
      AWS_ENDPOINT_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
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
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect(requests).toBe(3);
      expect(classifyAwsError(error, 'sts:GetCallerIdentity').kind).toBe('transient');
    } finally {
      clients.destroy();
    }
  });
});
