import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { RootTaskError } from '../../src/aws/errors.js';
import { OrganizationDirectory, PROTECTION_RETRY_MS } from '../../src/aws/organization.js';
import { RootTaskService } from '../../src/aws/root-task-service.js';
import { ConfigError } from '../../src/config/app-config.js';
import { awsSettingsFromEnv } from '../../src/config/aws-settings.js';
import { createLogger } from '../../src/log.js';
import { organizationAccounts } from '../../src/workflow/organization-accounts.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { type FakeAwsEnv, startFakeAwsEnv } from '../support/fake-aws-env.js';

const CONFIGURED = memberId(2);
const DELEGATED = memberId(3);
const clock = { now: 0 };

let env: FakeAwsEnv;
let clients: AwsClients;
let directory: OrganizationDirectory;
let service: RootTaskService;
let logLines: string[];

beforeEach(async () => {
  env = await startFakeAwsEnv();
  seedMembers(env.fake, 5, 0);
  env.fake.org.delegatedAdministrators.push(DELEGATED);
  clients = new AwsClients(
    awsSettingsFromEnv({ ...env.fake.env(), BREAKGLASS_PROTECTED_ACCOUNTS: ` ${CONFIGURED} ` }),
  );
  logLines = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug' }, sink);
  directory = new OrganizationDirectory(clients, { log, now: () => clock.now });
  service = new RootTaskService(clients, directory, log);
});
afterEach(async () => {
  clients.destroy();
  await env.close();
});

async function refusal(run: Promise<unknown>): Promise<RootTaskError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RootTaskError);
  expect((error as RootTaskError).kind).toBe('invalid-input');
  return error as RootTaskError;
}

describe('BREAKGLASS_PROTECTED_ACCOUNTS', () => {
  it('reads a comma list of account ids', () => {
    const settings = awsSettingsFromEnv({
      BREAKGLASS_PROTECTED_ACCOUNTS: `${CONFIGURED}, ${DELEGATED},,${CONFIGURED}`,
    });
    expect(settings.protectedAccounts).toEqual([CONFIGURED, DELEGATED]);
    expect(awsSettingsFromEnv({}).protectedAccounts).toEqual([]);
  });

  it('names every bad id, with the other problems, all at once', () => {
    let error: unknown;
    try {
      awsSettingsFromEnv({
        BREAKGLASS_PROTECTED_ACCOUNTS: `123, ${CONFIGURED}, abcdefghijkl`,
        AWS_REGION: 'mars',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'AWS_REGION must be a region such as us-east-1 (got "mars")',
      'BREAKGLASS_PROTECTED_ACCOUNTS takes 12-digit AWS account ids separated by commas; not: 123, abcdefghijkl',
    ]);
  });
});

describe('protected accounts are never targeted', () => {
  it('refuses a configured account before any AWS call', async () => {
    const error = await refusal(service.auditRootCredentials(CONFIGURED));
    expect(error.message).toBe(
      `${CONFIGURED} is a protected account (listed in BREAKGLASS_PROTECTED_ACCOUNTS): root tasks never target it`,
    );
    expect(env.fake.requests).toEqual([]);
  });

  it('refuses the IAM delegated administrator, found with ListDelegatedAdministrators', async () => {
    const error = await refusal(service.auditRootCredentials(DELEGATED));
    expect(error.message).toBe(
      `workload-0003 (${DELEGATED}) is a protected account (the IAM delegated administrator): root tasks never target it`,
    );
    expect(env.fake.callsOf('AssumeRoot')).toEqual([]);
  });

  it("refuses the account the bot's own credentials belong to", async () => {
    env.fake.org.caller = {
      accountId: DELEGATED,
      arn: `arn:aws:iam::${DELEGATED}:role/breakglass`,
      mayAssumeRoot: true,
    };
    const error = await refusal(service.allowPasswordRecovery(DELEGATED));
    expect(error.message).toMatch(/protected account \(the account the bot's AWS credentials belong to\)/);
    expect(env.fake.callsOf('AssumeRoot')).toEqual([]);
  });

  it('refuses unlocks of a protected account too', async () => {
    env.fake.account(DELEGATED).buckets.set('admin-bucket', '{}');
    await refusal(service.unlockS3BucketPolicy(DELEGATED, 'admin-bucket', null));
    await refusal(
      service.unlockSqsQueuePolicy(CONFIGURED, `https://sqs.us-east-1.amazonaws.com/${CONFIGURED}/q`, null),
    );
    expect(env.fake.callsOf('AssumeRoot')).toEqual([]);
  });

  it('tells the workflow why (targetable)', async () => {
    const accounts = organizationAccounts(directory);
    expect(await accounts.targetable(DELEGATED)).toEqual({
      ok: false,
      reason: `workload-0003 (${DELEGATED}) is a protected account (the IAM delegated administrator): root tasks never target it`,
    });
    expect(await accounts.targetable(memberId(1))).toMatchObject({ ok: true });
  });

  it('leaves them out of member lists and the typeahead', async () => {
    expect((await directory.memberAccounts()).map((a) => a.id)).toEqual([
      memberId(1),
      memberId(4),
      memberId(5),
    ]);
    expect((await directory.search('workload')).map((a) => a.id)).toEqual([
      memberId(1),
      memberId(4),
      memberId(5),
    ]);
    const pages: string[] = [];
    for await (const page of directory.memberAccountPages()) pages.push(...page.map((a) => a.id));
    expect(pages).toEqual([memberId(1), memberId(4), memberId(5)]);
  });

  it('looks the bot and the delegated admins up once per TTL', async () => {
    await Promise.all([directory.assertTargetable(memberId(1)), directory.assertTargetable(memberId(4))]);
    await directory.assertTargetable(memberId(5));
    expect(env.fake.callsOf('GetCallerIdentity')).toHaveLength(1);
    expect(env.fake.callsOf('ListDelegatedAdministrators')).toHaveLength(1);
  });

  it('never fails a request when a lookup fails: logs, keeps the rest of the list, retries later', async () => {
    env.fake.failNext('ListDelegatedAdministrators', 'AccessDeniedException', { times: 1 });
    expect((await directory.assertTargetable(DELEGATED)).id).toBe(DELEGATED);
    await refusal(directory.assertTargetable(CONFIGURED));
    const warning = logLines.find((l) => l.includes('protected-account lookup failed'));
    expect(warning).toContain('organizations:ListDelegatedAdministrators');
    expect(JSON.parse(warning ?? '{}').level).toBe(40);

    clock.now += PROTECTION_RETRY_MS + 1;
    await directory.assertTargetable(memberId(1)); // serves the last list, refreshes in the background
    await new Promise((resolve) => setTimeout(resolve, 100));
    await refusal(directory.assertTargetable(DELEGATED));
    // `calls` holds answered calls only: the failed lookup, then this one retry
    expect(env.fake.callsOf('ListDelegatedAdministrators')).toHaveLength(1);
  });

  it('without STS (an OrganizationsClient only), still protects the delegated admins', async () => {
    const plain = new OrganizationDirectory(clients.organizations, { protectedAccounts: [CONFIGURED] });
    await refusal(plain.assertTargetable(DELEGATED));
    await refusal(plain.assertTargetable(CONFIGURED));
    expect(env.fake.callsOf('GetCallerIdentity')).toEqual([]);
  });
});
