import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import { MANIFEST_BOT_SCOPES } from '../../src/slack/doctor/manifest-scopes.js';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { type Recorded, recordingIo } from './recording-io.js';

let aws: FakeAws;
let slack: FakeSlack;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  aws = await FakeAws.start();
  seedMembers(aws, 3, 0);
  aws.org.delegatedAdministrators.push(memberId(2));
  slack = await FakeSlack.start();
  slack.groups.set('SOPS0000001', ['UOPSA000001']);
  env = { ...aws.env(), AWS_EC2_METADATA_DISABLED: 'true' };
  // The SDK reads the fake's credentials from the process environment, as in cli.test.ts.
  Object.assign(process.env, env);
  delete process.env.SLACK_BOT_TOKEN;
});
afterEach(async () => {
  await aws.close();
  await slack.close();
});

const run = (io: Recorded, extra: NodeJS.ProcessEnv = {}) =>
  runCli(['doctor'], io, (options) => createCliContext({ ...env, ...extra }, options));

const SLACK_ENV = () => ({
  SLACK_BOT_TOKEN: 'xoxb-cli-doctor-1',
  SLACK_API_URL: slack.apiUrl,
  BREAKGLASS_CHANNEL_ID: 'CAPPROVALS1',
  BREAKGLASS_APPROVERS: 'UAPPROVER01,SOPS0000001',
});

describe('breakglass doctor, Slack side', () => {
  it('says the Slack checks were skipped without SLACK_BOT_TOKEN, and calls no Slack', async () => {
    const io = recordingIo();
    expect(await run(io)).toBe(0);
    expect(io.stdout.join('\n')).toContain(
      'WARN  Slack checks: skipped: SLACK_BOT_TOKEN is not set\n      fix: set SLACK_BOT_TOKEN',
    );
    expect(slack.calls).toEqual([]);
  });

  it("checks Slack with the bot's environment (no signing secret needed); the Home tab is a manual check", async () => {
    const io = recordingIo();
    expect(await run(io, SLACK_ENV())).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toContain('PASS  Bot in the approvals channel: the bot is in #capprovals1 (CAPPROVALS1)');
    expect(out).toContain(`PASS  Granted scopes: all ${MANIFEST_BOT_SCOPES.length} scopes of manifest.yml`);
    expect(out).toContain('PASS  Two approvers (rule default): 2 can approve');
    expect(out).toContain('WARN  App Home: not checked: the CLI does not publish Home tabs');
    expect(out).toContain('fix: check by hand: https://api.slack.com/apps → App Home');
    expect(slack.callsOf('views.publish')).toEqual([]);
  });

  it('fails with the fix and exits 1 when the bot is not in the channel', async () => {
    slack.notMemberOf.add('CAPPROVALS1');
    const io = recordingIo();
    expect(await run(io, SLACK_ENV())).toBe(1);
    expect(io.stdout.join('\n')).toContain('fix: invite the bot: /invite @breakglass in #capprovals1');
  });
});
