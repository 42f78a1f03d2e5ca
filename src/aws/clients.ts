/**
 * Builds every AWS SDK client the bot uses, with one HTTP connection pool, one
 * retry policy (jittered exponential backoff, bounded attempts) and per-attempt
 * timeouts. Root-session clients get the session's credentials as static keys:
 * there is no credential provider for sts:AssumeRoot.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsSettings } from '../config/aws-settings.js';

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** "Full jitter" backoff: uniform in [0, min(cap, base * 2^attempt)]. */
export function fullJitterDelay(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

export class AwsClients {
  readonly sts: STSClient;
  readonly organizations: OrganizationsClient;
  /** IAM with the operator's own credentials (organization features). */
  readonly iam: IAMClient;
  private readonly handler: NodeHttpHandler;

  /** `onThrottle`: told of every throttled answer the SDK retries (a bulk limiter backs off on it) */
  constructor(
    readonly settings: AwsSettings,
    private readonly onThrottle?: () => void,
  ) {
    // Keep-alive sockets shared by all clients: an org-wide audit opens
    // thousands of short sessions and must not pay a TCP/TLS handshake for each.
    const agentOptions = { keepAlive: true, maxSockets: 128 };
    this.handler = new NodeHttpHandler({
      connectionTimeout: 3_000,
      requestTimeout: settings.requestTimeoutMs,
      // Without it the handler only logs a warning when the time is up and the call waits on.
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    });
    // STS must be regional for AssumeRoot: an explicit region makes SDK v3 use sts.<region>.amazonaws.com.
    this.sts = new STSClient(this.base());
    this.organizations = new OrganizationsClient(this.base());
    this.iam = new IAMClient(this.base());
  }

  iamFor(credentials: SessionCredentials): IAMClient {
    return new IAMClient({ ...this.base(), credentials });
  }

  s3For(credentials: SessionCredentials, region: string): S3Client {
    return new S3Client({
      ...this.base(),
      region,
      credentials,
      forcePathStyle: this.settings.customS3Endpoint,
      followRegionRedirects: true,
    });
  }

  /**
   * An SQS client for `region` (the one named by the queue URL's host). It never
   * sends to the queue URL's host: by default SDK v3 does, even with a configured
   * endpoint, and a queue URL is user input. The endpoint comes from the region
   * or from AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL.
   */
  sqsFor(credentials: SessionCredentials, region: string): SQSClient {
    return new SQSClient({ ...this.base(), region, credentials, useQueueUrlAsEndpoint: false });
  }

  /** Close pooled sockets so a CLI run can exit promptly. */
  destroy(): void {
    this.handler.destroy();
  }

  /**
   * Settings the SDK would otherwise look up in the environment and config files
   * for every new client, which costs more CPU than the requests of a short
   * root session: they are read once, in AwsSettings.
   */
  private base() {
    return {
      region: this.settings.region,
      ...(this.settings.profile ? { profile: this.settings.profile } : {}),
      requestHandler: this.handler,
      useFipsEndpoint: this.settings.useFipsEndpoint,
      useDualstackEndpoint: this.settings.useDualstackEndpoint,
      retryMode: 'standard',
      maxAttempts: this.settings.maxAttempts,
      authSchemePreference: [],
      userAgentAppId: 'breakglass',
      retryStrategy: this.onThrottle
        ? new ObservedRetryStrategy(this.settings.maxAttempts, this.onThrottle)
        : new ConfiguredRetryStrategy(this.settings.maxAttempts, fullJitterDelay),
    };
  }
}

/** The same retries, telling `onThrottle` of each throttled answer (Throttling, TooManyRequests, SlowDown…). */
class ObservedRetryStrategy extends ConfiguredRetryStrategy {
  constructor(
    maxAttempts: number,
    private readonly onThrottle: () => void,
  ) {
    super(maxAttempts, fullJitterDelay);
  }

  override async refreshRetryTokenForRetry(
    ...args: Parameters<ConfiguredRetryStrategy['refreshRetryTokenForRetry']>
  ): ReturnType<ConfiguredRetryStrategy['refreshRetryTokenForRetry']> {
    if (args[1].errorType === 'THROTTLING') this.onThrottle();
    return super.refreshRetryTokenForRetry(...args);
  }
}
