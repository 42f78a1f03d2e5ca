/**
 * Approver routing through signed Slack requests: a policy file routes a request
 * for an account in a nested production OU to the production approvers, and every
 * other account to BREAKGLASS_APPROVERS; each pool is refused on the other's
 * requests; the rule is on the message; durations and tasks follow the rule.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memberId, seedMembers } from '../fakes/aws/sample-org.js';
import { FakeAws } from '../fakes/aws/server.js';
import type { SlackCall } from '../fakes/slack/server.js';
import {
  APPROVER_A,
  APPROVER_B,
  type BotEnv,
  OUTSIDER,
  REQUESTER,
  startBotEnv,
  waitFor,
} from '../support/bot-env.js';
import {
  approveValue,
  buttonValueIn,
  click,
  clickReply,
  dmsTo,
  modalValues,
  stateOf,
  submitRequest,
  waitForState,
} from '../support/bot-flows.js';

const PROD_A = 'UPRODAPPR01';
const PROD_B = 'UPRODAPPR02';
const PROD_OU = 'ou-ab12-prod1234';
const TEAM_OU = 'ou-ab12-team5678';
/** in TEAM_OU, itself in PROD_OU: matched through its grandparent */
const PROD_ACCOUNT = memberId(1);
/** in the root: the default rule */
const OTHER_ACCOUNT = memberId(3);
/** in TEAM_OU too, but listed by its own rule: the account rule wins */
const SANDBOX_ACCOUNT = memberId(4);

const POLICY = `
rules:
  - name: production
    match: { ous: [${PROD_OU}] }
    approvers: { users: [${PROD_A}, ${PROD_B}] }
    durations: [15m, 30m]
    tasks: [password-recovery, delete-credentials]
  - name: sandbox
    match: { accounts: ["${SANDBOX_ACCOUNT}"] }
    approvers: { users: [${APPROVER_A}, ${PROD_A}] }
`;

let env: BotEnv | undefined;
let aws: FakeAws | undefined;
afterEach(async () => {
  await env?.close();
  await aws?.close();
  env = undefined;
  aws = undefined;
});

async function start(
  overrides: Record<string, string> = {},
  before: (fake: FakeAws) => void = () => {},
): Promise<BotEnv> {
  aws = await FakeAws.start();
  seedMembers(aws, 5, 0);
  aws.placeIn(TEAM_OU, PROD_OU);
  aws.placeIn(PROD_ACCOUNT, TEAM_OU);
  aws.placeIn(SANDBOX_ACCOUNT, TEAM_OU);
  before(aws);
  const file = join(mkdtempSync(join(tmpdir(), 'bg-policy-')), 'policy.yaml');
  writeFileSync(file, POLICY);
  env = await startBotEnv({ BREAKGLASS_POLICY: file, ...overrides }, { aws });
  return env;
}

/** The App Home `user` is shown: the view of the views.publish that follows app_home_opened. */
async function homeOf(e: BotEnv, user: string): Promise<string> {
  const before = e.slack.callsOf('views.publish').length;
  await e.client.event({ type: 'app_home_opened', user, tab: 'home', channel: 'D1' });
  const published = await waitFor('views.publish', () => e.slack.callsOf('views.publish')[before]);
  return JSON.stringify(published.args.view);
}

/** Whether the Home offers "Done" for this request (the button's value is the request id). */
function offersDone(view: string, id: string): boolean {
  const blocks = (JSON.parse(view) as { blocks: { accessory?: { action_id?: string; value?: string } }[] })
    .blocks;
  return blocks.some((b) => b.accessory?.action_id === 'bg_done' && b.accessory.value === id);
}

function messageOf(e: BotEnv, id: string): SlackCall | undefined {
  return e.slack.calls
    .filter(
      (c) =>
        (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
        !c.args.thread_ts &&
        String(c.args.text).includes(id),
    )
    .at(-1);
}

describe('approver routing by policy file', () => {
  it('routes a nested production account to the production approvers and refuses the default ones', async () => {
    const e = await start();
    const request = await submitRequest(e, { account: PROD_ACCOUNT, duration: '900', justification: 'x' });
    expect(request.route).toEqual({
      rule: 'production',
      matched: { kind: 'ou', id: PROD_OU },
      approvers: [PROD_A, PROD_B],
      durationsSeconds: [900, 1800],
    });
    const message = messageOf(e, request.id);
    expect(JSON.stringify(message?.args.blocks)).toContain(`Rule: production (OU ${PROD_OU})`);
    // The rule's approvers are called on, not the default ones.
    expect(String(message?.args.text)).toContain(`<@${PROD_A}>`);
    expect(String(message?.args.text)).not.toContain(`<@${APPROVER_A}>`);

    // App Home lists it as waiting only for those who may decide it.
    const waiting = async (user: string) => (await e.bot.workflow.overview(user)).toApprove.map((r) => r.id);
    expect(await waiting(PROD_A)).toEqual([request.id]);
    expect(await waiting(APPROVER_A)).toEqual([]);

    const value = approveValue(e.slack, request.id) ?? '';
    expect(await click(e, APPROVER_A, 'bg_approve', value)).toMatch(/not an approver/);
    expect(await click(e, APPROVER_B, 'bg_approve', value)).toMatch(/not an approver/);
    expect((await stateOf(e, request.id)).approvals).toEqual([]);
    expect(await click(e, PROD_A, 'bg_approve', value)).toMatch(/1\/2/);
    expect(await click(e, PROD_B, 'bg_approve', value)).toMatch(/Second approval/);
    await waitForState(e, request.id, 'active');
  });

  it('routes an account no rule matches to BREAKGLASS_APPROVERS and refuses the production approvers', async () => {
    const e = await start();
    const request = await submitRequest(e, { account: OTHER_ACCOUNT, duration: '1800', justification: 'x' });
    expect(request.route?.rule).toBe('default');
    expect(JSON.stringify(messageOf(e, request.id)?.args.blocks)).toContain(
      'Rule: default (BREAKGLASS_APPROVERS)',
    );
    const value = approveValue(e.slack, request.id) ?? '';
    expect(await click(e, PROD_A, 'bg_approve', value)).toMatch(/not an approver/);
    expect(await click(e, APPROVER_A, 'bg_approve', value)).toMatch(/1\/2/);
    expect(await click(e, APPROVER_B, 'bg_approve', value)).toMatch(/Second approval/);
    await waitForState(e, request.id, 'active');
  });

  it('matches an account rule before the rule of its OU', async () => {
    const e = await start();
    const request = await submitRequest(e, {
      account: SANDBOX_ACCOUNT,
      duration: '3600',
      justification: 'x',
    });
    expect(request.route?.matched).toEqual({ kind: 'account', id: SANDBOX_ACCOUNT });
    expect(JSON.stringify(messageOf(e, request.id)?.args.blocks)).toContain(
      `Rule: sandbox (account ${SANDBOX_ACCOUNT})`,
    );
    const value = approveValue(e.slack, request.id) ?? '';
    expect(await click(e, PROD_B, 'bg_approve', value)).toMatch(/not an approver/);
    expect(await click(e, PROD_A, 'bg_approve', value)).toMatch(/1\/2/);
  });

  it('lets only the rule approvers deny', async () => {
    const e = await start();
    const request = await submitRequest(e, { account: PROD_ACCOUNT, duration: '900', justification: 'x' });
    const deny = (user: string) =>
      e.client.viewSubmission(user, {
        callback_id: 'bg_deny',
        private_metadata: request.id,
        values: { reason: { bg_deny_reason: { type: 'plain_text_input', value: 'no' } } },
      });
    expect((await deny(APPROVER_A)).status).toBe(200);
    await waitFor('the refusal by DM', () =>
      dmsTo(e.slack, APPROVER_A).find((t) => t.includes('only approvers can deny')),
    );
    expect((await stateOf(e, request.id)).state).toBe('pending');
    await deny(PROD_B);
    await waitForState(e, request.id, 'denied');
  });

  it("lets only the rule's approvers approve an extension, within the rule's durations", async () => {
    const e = await start();
    const request = await submitRequest(e, { account: PROD_ACCOUNT, duration: '900', justification: 'x' });
    const value = approveValue(e.slack, request.id) ?? '';
    await click(e, PROD_A, 'bg_approve', value);
    await click(e, PROD_B, 'bg_approve', value);
    await waitForState(e, request.id, 'active');

    // 15m + 30m is past the rule's longest (30m), though BREAKGLASS_DURATIONS allows 1h.
    const tooLong = await clickReply(e, REQUESTER, 'bg_extend', {
      selected_option: { value: `${request.id}|1800` },
    });
    expect(String(tooLong.args.text)).toMatch(/exceed the longest allowed duration/);
    await clickReply(e, REQUESTER, 'bg_extend', { selected_option: { value: `${request.id}|900` } });
    const ask = await waitFor('the ask in the thread', () =>
      e.slack
        .callsOf('chat.postMessage')
        .filter((c) => c.args.thread_ts)
        .map((c) => buttonValueIn(c, 'bg_extend_approve'))
        .find(Boolean),
    );
    const refused = await clickReply(e, APPROVER_A, 'bg_extend_approve', { value: ask });
    expect(String(refused.args.text)).toMatch(/not an approver/);
    const approved = await clickReply(e, PROD_A, 'bg_extend_approve', { value: ask });
    expect(String(approved.args.text)).toMatch(/extended|Extension approved|more/i);
    const after = await stateOf(e, request.id);
    expect((after.windowEndsAt ?? 0) - (after.grantedAt ?? 0)).toBe(1800 * 1000);
  });

  it("offers Done on the App Home only to the requester and the request's own approvers, and says when a Home click is refused", async () => {
    const e = await start();
    const request = await submitRequest(e, { account: PROD_ACCOUNT, duration: '900', justification: 'x' });
    const value = approveValue(e.slack, request.id) ?? '';
    await click(e, PROD_A, 'bg_approve', value);
    await click(e, PROD_B, 'bg_approve', value);
    await waitForState(e, request.id, 'active');

    // A default approver sees the open window (approvers see every request) but may not end it.
    const defaultApprover = await homeOf(e, APPROVER_A);
    expect(defaultApprover).toContain(request.id);
    expect(offersDone(defaultApprover, request.id)).toBe(false);
    expect(offersDone(await homeOf(e, PROD_A), request.id)).toBe(true);
    expect(offersDone(await homeOf(e, REQUESTER), request.id)).toBe(true);

    // A stale Home (or a forged click) is refused, and the republished Home says so.
    const before = e.slack.callsOf('views.publish').length;
    await e.client.homeAction(APPROVER_A, { action_id: 'bg_done', value: request.id });
    const republished = await waitFor('the Home republished', () => e.slack.callsOf('views.publish')[before]);
    expect(republished.args.user_id).toBe(APPROVER_A);
    expect(JSON.stringify(republished.args.view)).toContain(
      'Not done: only the requester or an approver can end the window.',
    );
    expect((await stateOf(e, request.id)).state).toBe('active');
  });

  it("offers every rule's durations in the modal and refuses what the account's rule does not allow", async () => {
    const e = await start();
    await e.client.command(REQUESTER, '');
    const open = await waitFor('views.open', () => e.slack.callsOf('views.open')[0]);
    const modal = JSON.stringify(open.args.view);
    for (const label of ['15m', '30m', '1h']) expect(modal).toContain(`"text":"${label}"`);

    const submit = (fields: Parameters<typeof modalValues>[0]) =>
      e.client.viewSubmission(REQUESTER, { callback_id: 'bg_request', values: modalValues(fields) });
    const longDuration = await submit({ account: PROD_ACCOUNT, duration: '3600', justification: 'x' });
    expect(longDuration.json()).toEqual({
      response_action: 'errors',
      errors: { duration: 'Rule "production" allows 15m, 30m for this account.' },
    });
    const shortElsewhere = await submit({ account: OTHER_ACCOUNT, duration: '900', justification: 'x' });
    expect(shortElsewhere.json()).toMatchObject({
      errors: { duration: 'Rule "default" allows 30m, 1h for this account.' },
    });
    const unlock = await submit({
      account: PROD_ACCOUNT,
      task: 'unlock-s3',
      target: 'locked-bucket',
      justification: 'x',
    });
    expect(unlock.json()).toMatchObject({
      errors: {
        task: 'Rule "production" allows only password-recovery, delete-credentials for this account.',
      },
    });
    expect(await e.bot.workflow.list()).toEqual([]);
  });

  it('refuses a request when the rule limits who may request', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bg-policy-')), 'policy.yaml');
    writeFileSync(
      file,
      `rules:\n  - name: production\n    match: { ous: [${PROD_OU}] }\n    approvers: { users: [${PROD_A}, ${PROD_B}] }\n    requesters: { users: [${OUTSIDER}] }\n`,
    );
    aws = await FakeAws.start();
    seedMembers(aws, 5, 0);
    aws.placeIn(PROD_ACCOUNT, PROD_OU);
    env = await startBotEnv({ BREAKGLASS_POLICY: file }, { aws });
    const res = await env.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: modalValues({ account: PROD_ACCOUNT, duration: '1800', justification: 'x' }),
    });
    expect(res.json()).toMatchObject({
      errors: { account: 'Rule "production" does not let you request access to this account.' },
    });
    const allowed = await submitRequest(
      env,
      { account: PROD_ACCOUNT, duration: '1800', justification: 'x' },
      OUTSIDER,
    );
    expect(allowed.route?.rule).toBe('production');
  });

  it('routes by the OU even when ListParents answers an empty first page with a NextToken', async () => {
    const e = await start();
    e.aws.options.listParentsEmptyFirstPage = true;
    const request = await submitRequest(e, { account: PROD_ACCOUNT, duration: '900', justification: 'x' });
    expect(request.route?.rule).toBe('production');
    expect(request.route?.matched).toEqual({ kind: 'ou', id: PROD_OU });
  });

  it('warms the OUs with the account list: a submission then makes no ListParents call', async () => {
    const e = await start();
    // The management account, members 1, 2, 3 and 5 (4 is routed by its own rule), TEAM_OU and PROD_OU.
    await waitFor('the OUs read at start-up', () => e.aws.callsOf('ListParents').length === 7);
    const request = await submitRequest(e, { account: PROD_ACCOUNT, duration: '900', justification: 'x' });
    expect(request.route?.rule).toBe('production');
    expect(e.aws.callsOf('ListParents')).toHaveLength(7);
  });

  it('answers the modal within 2 s with "try again" while ListParents is slow, and routes once it is known', async () => {
    const e = await start({}, (fake) => fake.delay('ListParents', 2500));
    const submit = async () => {
      const began = Date.now();
      const res = await e.client.viewSubmission(REQUESTER, {
        callback_id: 'bg_request',
        values: modalValues({ account: PROD_ACCOUNT, duration: '900', justification: 'x' }),
      });
      return { res, ms: Date.now() - began };
    };
    const slow = await submit();
    expect(slow.ms).toBeLessThan(2000);
    expect(slow.res.json()).toMatchObject({
      errors: { account: expect.stringMatching(/Try again in a moment/) },
    });
    expect(await e.bot.workflow.list()).toEqual([]);
    // The lookups go on and fill the cache: a later submission is routed at once.
    e.aws.delay('ListParents', 0);
    await waitFor(
      'the OUs read',
      async () => {
        const again = await submit();
        return again.res.body === '' ? again : undefined;
      },
      15_000,
    );
    const [request] = await e.bot.workflow.list();
    expect(request?.route?.rule).toBe('production');
  });

  it("refuses with a field error when the account's OU cannot be read", async () => {
    // Refused to the warming at start-up (the management account and members 1, 2, 3, 5), and once more.
    const e = await start({}, (fake) =>
      fake.failNext('ListParents', 'AccessDeniedException', { status: 400, times: 6 }),
    );
    await waitFor(
      'the warming refused',
      () => e.aws.refused.filter((r) => r.includes('ListParents')).length === 5,
    );
    const res = await e.client.viewSubmission(REQUESTER, {
      callback_id: 'bg_request',
      values: modalValues({ account: PROD_ACCOUNT, duration: '900', justification: 'x' }),
    });
    expect(res.json()).toMatchObject({
      errors: { account: expect.stringMatching(/Could not read this account's OU/) },
    });
    // Not cached: the next submission reads the OU again and is routed.
    const request = await submitRequest(e, { account: PROD_ACCOUNT, duration: '900', justification: 'x' });
    expect(request.route?.rule).toBe('production');
  });
});
