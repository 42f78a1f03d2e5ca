/**
 * Sends requests to the bot exactly as Slack does: form or JSON bodies signed
 * with v0 HMAC-SHA256 of "v0:{timestamp}:{body}" and the signing secret.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const CHANNEL = 'CAPPROVALS1';

let triggers = 0;

/**
 * A trigger id as Slack issues one with an interaction, encoding when it was
 * issued (`trigger.<ms>.<n>`) so the fake Slack can refuse it after 3 s or when
 * it is used twice, as Slack does.
 */
export function newTriggerId(issuedAt = Date.now()): string {
  triggers += 1;
  return `trigger.${issuedAt}.${triggers}`;
}

export function sign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlackResponse {
  status: number;
  body: string;
  json(): Record<string, unknown>;
}

export interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

/** The workspace the fake Slack's auth.test names: the one the bot is installed in. */
export const TEAM = 'T0TEAM';

/**
 * Which workspace a request comes from: `team` is the workspace of the
 * surface (command, message, modal; also `authorizations` of an event);
 * `userTeam` the clicking user's own (differs for a Slack Connect user).
 */
export interface TeamOverride {
  team?: string;
  userTeam?: string;
}

export class SlackTestClient {
  private readonly team: string;
  private readonly userTeam: string;

  constructor(
    private readonly botUrl: string,
    private readonly responseUrl: (id: string) => string,
    teams: TeamOverride = {},
  ) {
    this.team = teams.team ?? TEAM;
    this.userTeam = teams.userTeam ?? this.team;
  }

  /** The same client, sending as if from another workspace (or a user of one). */
  withTeam(teams: TeamOverride): SlackTestClient {
    return new SlackTestClient(this.botUrl, this.responseUrl, teams);
  }

  /**
   * While set, requests are signed and collected here instead of sent, so a
   * benchmark can build its load up front and measure only the sending.
   */
  collect: PreparedRequest[] | undefined;

  async send(
    body: string,
    contentType: string,
    options: { timestamp?: number; signature?: string; retryNum?: number } = {},
  ): Promise<SlackResponse> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? sign(body, timestamp),
      ...(options.retryNum
        ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }
        : {}),
    };
    if (this.collect) {
      this.collect.push({ headers, body });
      return { status: 0, body: '', json: () => ({}) };
    }
    return this.sendPrepared({ headers, body });
  }

  async sendPrepared(request: PreparedRequest): Promise<SlackResponse> {
    const { status, text } = await post(`${this.botUrl}/slack/events`, request.headers, request.body);
    return { status, body: text, json: () => (text ? (JSON.parse(text) as Record<string, unknown>) : {}) };
  }

  command(
    user: string,
    text: string,
    options: { timestamp?: number; signature?: string; responseId?: string; triggerId?: string } = {},
  ): Promise<SlackResponse> {
    const body = new URLSearchParams({
      token: 'legacy',
      team_id: this.team,
      team_domain: 'example',
      channel_id: CHANNEL,
      channel_name: 'breakglass',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/breakglass',
      text,
      api_app_id: 'A0APP',
      response_url: this.responseUrl(options.responseId ?? `cmd-${randomUUID()}`),
      trigger_id: options.triggerId ?? newTriggerId(),
    }).toString();
    return this.send(body, 'application/x-www-form-urlencoded', options);
  }

  private interactive(
    payload: Record<string, unknown>,
    options: { retryNum?: number } = {},
  ): Promise<SlackResponse> {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.send(body, 'application/x-www-form-urlencoded', options);
  }

  /** A click on a button or select in a message (the request message or a DM). */
  blockAction(
    user: string,
    action: {
      action_id: string;
      value?: string;
      selected_option?: { value: string };
      type?: string;
      block_id?: string;
      /** Slack's time of the click: the same in a redelivery of it */
      action_ts?: string;
    },
    /** `message`: the message clicked on, as Slack sends it back (its text and blocks) */
    options: { retryNum?: number; message?: { text: string; blocks: unknown[] } } = {},
  ): Promise<SlackResponse> {
    const ts = '1800000000.000001';
    return this.interactive(
      {
        type: 'block_actions',
        team: { id: this.team, domain: 'example' },
        user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.userTeam },
        api_app_id: 'A0APP',
        token: 'legacy',
        container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
        trigger_id: newTriggerId(),
        channel: { id: CHANNEL, name: 'breakglass' },
        message: { type: 'message', ts, text: 'request', ...options.message },
        response_url: this.responseUrl(`act-${randomUUID()}`),
        actions: [
          {
            block_id: 'b',
            type: action.type ?? (action.selected_option ? 'static_select' : 'button'),
            action_ts: String(Date.now() / 1000),
            ...action,
          },
        ],
      },
      options,
    );
  }

  /** A click on a button in the App Home tab: a view container, and no response_url. */
  homeAction(user: string, action: { action_id: string; value: string }): Promise<SlackResponse> {
    return this.interactive({
      type: 'block_actions',
      team: { id: this.team, domain: 'example' },
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.userTeam },
      api_app_id: 'A0APP',
      token: 'legacy',
      container: { type: 'view', view_id: 'VHOME' },
      trigger_id: newTriggerId(),
      view: {
        id: 'VHOME',
        hash: 'hash',
        type: 'home',
        team_id: this.team,
        app_installed_team_id: this.team,
        state: { values: {} },
      },
      actions: [{ type: 'button', block_id: 'b', action_ts: String(Date.now() / 1000), ...action }],
    });
  }

  /** A change inside a modal (e.g. the task select, which adapts the form). */
  viewAction(
    user: string,
    view: { id: string; hash: string },
    action: { action_id: string; selected_option: { value: string } },
  ): Promise<SlackResponse> {
    return this.interactive({
      type: 'block_actions',
      team: { id: this.team, domain: 'example' },
      user: { id: user, team_id: this.userTeam },
      api_app_id: 'A0APP',
      token: 'legacy',
      container: { type: 'view', view_id: view.id },
      trigger_id: newTriggerId(),
      view: {
        id: view.id,
        hash: view.hash,
        type: 'modal',
        callback_id: 'bg_request',
        team_id: this.team,
        app_installed_team_id: this.team,
        state: { values: {} },
      },
      actions: [{ type: 'static_select', block_id: 'task', action_ts: String(Date.now() / 1000), ...action }],
    });
  }

  viewSubmission(
    user: string,
    view: {
      id?: string;
      callback_id: string;
      values: Record<string, Record<string, unknown>>;
      private_metadata?: string;
    },
  ): Promise<SlackResponse> {
    return this.interactive({
      type: 'view_submission',
      team: { id: this.team, domain: 'example' },
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.userTeam },
      api_app_id: 'A0APP',
      token: 'legacy',
      trigger_id: newTriggerId(),
      view: {
        id: view.id ?? `V${randomUUID().slice(0, 8).toUpperCase()}`,
        team_id: this.team,
        app_installed_team_id: this.team,
        type: 'modal',
        callback_id: view.callback_id,
        private_metadata: view.private_metadata ?? '',
        state: { values: view.values },
        hash: 'hash',
        title: { type: 'plain_text', text: 'x' },
        blocks: [],
      },
    });
  }

  blockSuggestion(user: string, actionId: string, value: string): Promise<SlackResponse> {
    return this.interactive({
      type: 'block_suggestion',
      user: { id: user, team_id: this.userTeam },
      team: { id: this.team, domain: 'example' },
      api_app_id: 'A0APP',
      token: 'legacy',
      action_id: actionId,
      block_id: 'account',
      value,
      container: { type: 'view', view_id: 'V1' },
      view: {
        id: 'V1',
        type: 'modal',
        callback_id: 'bg_request',
        team_id: this.team,
        app_installed_team_id: this.team,
        state: { values: {} },
      },
    });
  }

  event(event: Record<string, unknown>): Promise<SlackResponse> {
    const body = JSON.stringify({
      token: 'legacy',
      team_id: this.team,
      api_app_id: 'A0APP',
      event,
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.team,
          user_id: 'UBOT',
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      type: 'event_callback',
      event_id: `Ev${randomUUID().slice(0, 8)}`,
      event_time: Math.floor(Date.now() / 1000),
    });
    return this.send(body, 'application/json');
  }
}

/** Keep-alive connections, like Slack's; plain node:http keeps the load generator light in the benchmark. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
