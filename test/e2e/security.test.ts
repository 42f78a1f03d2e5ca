import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberId } from '../fakes/aws/sample-org.js';
import {
  APPROVER_A,
  APPROVER_B,
  BOT_TOKEN,
  type BotEnv,
  REQUESTER,
  startBotEnv,
  waitFor,
} from '../support/bot-env.js';
import {
  approveValue,
  click,
  command,
  modalValues,
  submitRequest,
  waitForState,
} from '../support/bot-flows.js';
import { sign } from '../support/slack-client.js';

const ACCOUNT = memberId(4);
let env: BotEnv;
beforeAll(async () => {
  env = await startBotEnv();
});
afterAll(() => env.close());

describe('request signing', () => {
  it('rejects a bad signature', async () => {
    const res = await env.client.command(REQUESTER, 'help', { signature: `v0=${'0'.repeat(64)}` });
    expect(res.status).toBe(401);
  });

  it('rejects a stale timestamp even with a valid signature for it', async () => {
    const old = Math.floor(Date.now() / 1000) - 6 * 60;
    const body = 'command=%2Fbreakglass&text=help&user_id=UREQUESTER1';
    const res = await env.client.send(body, 'application/x-www-form-urlencoded', {
      timestamp: old,
      signature: sign(body, old),
    });
    expect(res.status).toBe(401);
  });

  it('rejects a signature made with another secret', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = 'command=%2Fbreakglass&text=help&user_id=UREQUESTER1';
    const res = await env.client.send(body, 'application/x-www-form-urlencoded', {
      timestamp: now,
      signature: sign(body, now, 'wrong-secret'),
    });
    expect(res.status).toBe(401);
  });

  it('serves /healthz without a signature', async () => {
    const res = await fetch(`http://127.0.0.1:${env.bot.port}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('user text posted to Slack', () => {
  it('never lets mentions and links in a justification come alive', async () => {
    const justification = 'Help <!channel> <@U999> <!subteam^S123> <https://evil.example|click> & more';
    await submitRequest(env, { account: ACCOUNT, duration: '1800', justification });
    // Shown exactly as typed in plain_text, where Slack interprets nothing; never in mrkdwn unescaped.
    expect(env.slack.plainTexts()).toContain(justification);
    const rendered = env.slack.interpretedTexts().join('\n');
    expect(rendered).not.toContain('<!channel>');
    expect(rendered).not.toContain('<@U999>');
    expect(rendered).not.toContain('<https://evil');
  });

  it('refuses a link that is not http(s), with a field error in the modal', async () => {
    const res = await env.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: modalValues({
        account: ACCOUNT,
        duration: '1800',
        justification: 'x',
        link: 'javascript:alert(1)',
      }),
    });
    expect(res.json()).toEqual({
      response_action: 'errors',
      errors: { link: expect.stringMatching(/http\(s\) link/) },
    });
  });

  it('gives field errors for a bad bucket and the management account', async () => {
    const res = await env.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: modalValues({
        account: '111111111111',
        task: 'unlock-s3',
        target: 'Not_A_Bucket',
        justification: 'x',
      }),
    });
    const errors = res.json().errors as Record<string, string>;
    expect(errors.account).toMatch(/management account/);
    expect(errors.target).toMatch(/not a valid S3 bucket name/);
  });
});

describe('secrets', () => {
  it('never writes the bot token, signing secret or an AWS session secret to the log', async () => {
    const request = await submitRequest(env, { account: memberId(5), duration: '1800', justification: 'x' });
    const value = approveValue(env.slack, request.id) ?? '';
    await click(env, APPROVER_A, 'bg_approve', value);
    await click(env, APPROVER_B, 'bg_approve', value);
    await waitForState(env, request.id, 'active');
    await click(env, REQUESTER, 'bg_done', request.id);
    await waitForState(env, request.id, 'closed');
    await command(env, REQUESTER, `audit ${memberId(5)}`);

    const log = env.logLines.join('\n');
    expect(log).toContain('root session opened');
    expect(log).not.toContain(BOT_TOKEN);
    expect(log).not.toContain(env.env.SLACK_SIGNING_SECRET);
    expect(log).not.toContain(env.env.AWS_SECRET_ACCESS_KEY);
    const sessions = [...env.aws.sessions.values()];
    expect(sessions.length).toBeGreaterThan(3);
    const audit = JSON.stringify(await env.bot.store.listAudit(request.id));
    const slackText = JSON.stringify(env.slack.calls);
    for (const s of sessions) {
      for (const where of [log, audit, slackText]) {
        expect(where).not.toContain(s.secretAccessKey);
        expect(where).not.toContain(s.sessionToken);
      }
    }
    // The audit trail links to CloudTrail through the session access key ids.
    expect(audit).toMatch(/"accessKeyId":"ASIA/);
  });
});

describe('sub-commands', () => {
  it('answers help, and unknown sub-commands with the help text', async () => {
    expect(await command(env, REQUESTER, 'help')).toContain('/breakglass status [id]');
    expect(await command(env, REQUESTER, 'frobnicate')).toMatch(
      /Unknown command `frobnicate`[\s\S]*\/breakglass list/,
    );
  });

  it('audits an account read-only, answering only the caller', async () => {
    env.aws.account(memberId(2)).root.loginProfile = { createDate: new Date() };
    const before = env.slack.callsOf('response_url').length;
    await env.client.command(REQUESTER, `audit ${memberId(2)}`);
    const result = await waitFor('the audit answer', () => env.slack.callsOf('response_url')[before + 1]);
    expect(result.args).toMatchObject({
      response_type: 'ephemeral',
      text: `Root credentials of \`${memberId(2)}\`: password.`,
    });
    expect(await command(env, REQUESTER, 'audit 12')).toMatch(/not an AWS account id/);
  });

  it('keeps audits to requesters and approvers when a requester list is set', async () => {
    const restricted = await startBotEnv({ BREAKGLASS_REQUESTERS: REQUESTER });
    try {
      expect(await command(restricted, 'UOTHER0001', `audit ${memberId(2)}`)).toMatch(
        /Only break-glass requesters and approvers/,
      );
      await restricted.client.command('UOTHER0001', '');
      const refused = await waitFor('the refusal', () => restricted.slack.callsOf('views.update')[0]);
      expect(JSON.stringify(refused.args.view)).toContain('You may not request break-glass access');
      expect(restricted.aws.callsOf('AssumeRoot')).toEqual([]);
    } finally {
      await restricted.close();
      // Point the SDK (it reads AWS_ENDPOINT_URL per new client) back at this file's fake AWS.
      Object.assign(process.env, env.env);
    }
  });

  it('shows status and lists requests', async () => {
    const request = await submitRequest(env, {
      account: ACCOUNT,
      duration: '1800',
      justification: 'status check',
    });
    expect(await command(env, REQUESTER, `status ${request.id}`)).toContain('Waiting for approval: 0/2');
    expect(await command(env, REQUESTER, 'list')).toContain(request.id);
  });

  it('publishes the App Home with what the viewer can approve', async () => {
    await submitRequest(env, { account: ACCOUNT, duration: '1800', justification: 'home' });
    await env.client.event({
      type: 'app_home_opened',
      user: APPROVER_A,
      channel: 'D1',
      tab: 'home',
      event_ts: '1',
    });
    const publish = await waitFor('views.publish', () => env.slack.callsOf('views.publish').at(-1));
    expect(publish.args.user_id).toBe(APPROVER_A);
    expect(JSON.stringify(publish.args.view)).toContain('Waiting for your approval');
  });
});
