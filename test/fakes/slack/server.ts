/**
 * A local fake of the Slack Web API (POST /api/<method>) and of response_url
 * endpoints (POST /response/<id>), recording every call. The real WebClient
 * reaches it through SLACK_API_URL.
 *
 * It is as strict as Slack where Slack documents a rule: Block Kit limits
 * (`invalid_blocks` for messages, `invalid_arguments` for views, see
 * block-kit.ts), single-use trigger ids that expire after 3 s, and tokens: a
 * Web API call with no token answers `not_authed`, a revoked one
 * `token_revoked`, an unknown one `invalid_auth` (see `install`). Tests can
 * program what Slack does when it misbehaves: an error answer, a 429 with
 * Retry-After, an HTTP 5xx, a channel the bot cannot post to, or an outage.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuseMessageBlocks, refuseView } from './block-kit.js';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** the request path (response_url calls differ by path) */
  path: string;
  /** the token the call carried (`Authorization: Bearer …` or a `token` argument) */
  token?: string;
  /** arrival time, epoch ms */
  at: number;
  /** when the fake answered, epoch ms (later than `at` for a delayed call) */
  answeredAt?: number;
  /** what the fake answered: HTTP status, and the Slack error if it refused */
  outcome?: { status: number; ok: boolean; error?: string };
}

/** A programmed answer for one call. */
export type FakeAnswer =
  | { kind: 'error'; error: string }
  | { kind: 'ratelimited'; retryAfterSeconds: number }
  | { kind: 'http'; status: number }
  /**
   * Slack does the work, then the connection drops before the answer (a lost
   * answer); with `channel`, only a call to that channel (others pass it by)
   */
  | { kind: 'lost'; channel?: string };

/** A message as conversations.history and conversations.replies return it. */
export interface StoredMessage {
  ts: string;
  text?: string;
  thread_ts?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/** Errors Slack answers for a channel the bot cannot post to. */
export type ChannelError = 'not_in_channel' | 'channel_not_found' | 'is_archived';

/**
 * How an outage looks: every call answers HTTP 503, or the connection is
 * reset before any answer (as when Slack cannot be reached).
 */
export type DownMode = '503' | 'reset';

/** How many times Slack takes one response_url. */
export const RESPONSE_URL_USES = 5;

/** Slack's deadline for using a trigger id. */
export const TRIGGER_TTL_MS = 3000;

const MESSAGE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url']);
const VIEW_METHODS = new Set(['views.open', 'views.update', 'views.push', 'views.publish']);
const TRIGGER_METHODS = new Set(['views.open', 'views.push']);

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** user-group id -> member user ids, for usergroups.users.list */
  readonly groups = new Map<string, string[]>();
  /** users.info answers: guests (is_restricted) and single-channel guests (is_ultra_restricted) */
  readonly guests = new Map<string, 'multi-channel' | 'single-channel'>();
  url = '';
  /** messages posted per channel, oldest first, for conversations.history/replies */
  readonly messages = new Map<string, StoredMessage[]>();
  /** bot scopes the app was not granted: calls that need them answer `missing_scope` */
  readonly missingScopes = new Set<string>();
  /** called for every call as it arrives (the demo prints them) */
  onCall: ((call: SlackCall) => void) | undefined;
  private ts = 0;
  private views = 0;
  private readonly programmed = new Map<string, FakeAnswer[]>();
  private readonly delays = new Map<string, number[]>();
  private readonly channels = new Map<string, ChannelError>();
  private readonly usedTriggers = new Set<string>();
  private readonly responseUses = new Map<string, number>();
  private readonly served = new Map<string, (call: SlackCall) => Record<string, unknown>>();
  private outage: { until: number; mode: DownMode } | undefined;
  private readonly installed = new Set<string>();
  private readonly revoked = new Set<string>();
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith('/__fake/calls')) {
        // Control route for out-of-process use (the benchmark): not a Slack API.
        const method = new URL(req.url, 'http://x').searchParams.get('method');
        const calls = this.calls
          .filter((c) => !method || c.method === method)
          .map((c) => ({ path: c.path, at: c.at, text: c.args.text, ok: c.outcome?.ok }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(calls));
        return;
      }
      void this.handle(req, res);
    });
  }

  /**
   * `tokens`: the bot (or user) tokens of the apps installed in this workspace;
   * any other `xox…` token is unknown (`invalid_auth`). Without it, every
   * well-formed token counts as installed (the fake cannot know what was issued).
   */
  static async start(options: { tokens?: readonly string[] } = {}): Promise<FakeSlack> {
    const fake = new FakeSlack();
    for (const token of options.tokens ?? []) fake.install(token);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Serves another Web API method (e.g. apps.connections.open for the Socket
   * Mode fake). Outages and programmed answers still apply to it.
   */
  serve(method: string, handler: (call: SlackCall) => Record<string, unknown>): void {
    this.served.set(method, handler);
  }

  /** Installs an app with this bot token: from now on only installed tokens are known. */
  install(token: string): void {
    this.installed.add(token);
  }

  /** Revokes a token (the app uninstalled, the token regenerated): every call with it answers `token_revoked`. */
  revoke(token: string): void {
    this.revoked.add(token);
  }

  /**
   * Slack's answer to a Web API call's token, or undefined when it is accepted.
   * App-level tokens (`xapp-`) are left to whoever serves the method that takes
   * them (apps.connections.open).
   */
  private refuseToken(token: string | undefined): string | undefined {
    if (!token) return 'not_authed';
    if (this.revoked.has(token)) return 'token_revoked';
    if (token.startsWith('xapp-')) return undefined;
    if (!/^xox[bpa]-[A-Za-z0-9-]+$/.test(token)) return 'invalid_auth';
    if (this.installed.size && !this.installed.has(token)) return 'invalid_auth';
    return undefined;
  }

  /** The next call (or `times` calls) of `method` answer { ok: false, error }. */
  failNext(method: string, error: string, options: { times?: number } = {}): void {
    this.program(method, { kind: 'error', error }, options.times);
  }

  /** The next call(s) of `method` answer HTTP 429, `Retry-After`, { ok: false, error: 'ratelimited' }. */
  rateLimitNext(method: string, retryAfterSeconds = 1, options: { times?: number } = {}): void {
    this.program(method, { kind: 'ratelimited', retryAfterSeconds }, options.times);
  }

  /** The next call(s) of `method` answer with an HTTP error status (500, 502, 503, …). */
  httpErrorNext(method: string, status = 500, options: { times?: number } = {}): void {
    this.program(method, { kind: 'http', status }, options.times);
  }

  /** Queues `answer` for the next `times` calls of `method`, after any already queued. */
  program(method: string, answer: FakeAnswer, times = 1): void {
    const queue = this.programmed.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(answer);
    this.programmed.set(method, queue);
  }

  /**
   * The next call(s) of `method` are answered `ms` late, as a slow low-tier
   * method is (the answer itself is unchanged). Arrival stays `at`; the answer
   * time is `answeredAt`.
   */
  delayNext(method: string, ms: number, options: { times?: number } = {}): void {
    const queue = this.delays.get(method) ?? [];
    for (let i = 0; i < (options.times ?? 1); i++) queue.push(ms);
    this.delays.set(method, queue);
  }

  /** Every call naming `channel` answers { ok: false, error } until `restoreChannel`. */
  failChannel(channel: string, error: ChannelError): void {
    this.channels.set(channel, error);
  }

  restoreChannel(channel: string): void {
    this.channels.delete(channel);
  }

  /** Slack is down until `until` (epoch ms; default: until `up()`): every call answers 503 or is reset. */
  down(options: { until?: number; mode?: DownMode } = {}): void {
    this.outage = { until: options.until ?? Number.POSITIVE_INFINITY, mode: options.mode ?? '503' };
  }

  up(): void {
    this.outage = undefined;
  }

  get isDown(): boolean {
    if (this.outage && Date.now() >= this.outage.until) this.outage = undefined;
    return this.outage !== undefined;
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /**
   * What Slack interprets (mentions, links, emphasis come alive): the top-level
   * `text` and every mrkdwn text object, in calls Slack accepted.
   */
  interpretedTexts(): string[] {
    return this.calls
      .filter((c) => c.outcome?.ok !== false)
      .flatMap((c) => [
        String(c.args.text ?? ''),
        ...textObjects(c.args.blocks, 'mrkdwn'),
        ...textObjects(c.args.view, 'mrkdwn'),
      ]);
  }

  /** plain_text objects in calls Slack accepted: shown as typed, nothing interpreted. */
  plainTexts(): string[] {
    return this.calls
      .filter((c) => c.outcome?.ok !== false)
      .flatMap((c) => [
        ...textObjects(c.args.blocks, 'plain_text'),
        ...textObjects(c.args.view, 'plain_text'),
      ]);
  }

  /** Every text a person could read, from messages, updates, ephemerals and responses Slack accepted. */
  texts(method?: string): string[] {
    return this.calls
      .filter((c) => (!method || c.method === method) && c.outcome?.ok !== false)
      .map((c) => `${String(c.args.text ?? '')} ${JSON.stringify(c.args.blocks ?? '')}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const method = path.startsWith('/api/')
      ? path.slice(5)
      : path.startsWith('/response/')
        ? 'response_url'
        : path;
    if (this.isDown && this.outage?.mode === 'reset') {
      this.record({ method, args: {}, path, at: Date.now() }, { status: 0, body: undefined });
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const args = parseBody(raw, String(req.headers['content-type'] ?? ''));
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
    const call: SlackCall = { method, args, path, at: Date.now(), ...(token ? { token } : {}) };
    const delay = this.delays.get(method)?.shift();
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    const next = this.programmed.get(method)?.[0];
    if (next?.kind === 'lost' && (!next.channel || next.channel === args.channel) && !this.isDown) {
      this.programmed.get(method)?.shift();
      // Slack did the work; the answer never arrives.
      const done = { status: 200, body: this.success(method, args) };
      this.record(call, done);
      call.outcome = { status: 0, ok: false, error: 'answer_lost' };
      req.socket.destroy();
      return;
    }
    const answer = this.answer(call);
    this.record(call, answer);
    res
      .writeHead(answer.status, {
        'content-type': typeof answer.body === 'string' ? 'text/html' : 'application/json',
        ...answer.headers,
      })
      .end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  }

  private record(call: SlackCall, answer: Answer): void {
    const body = answer.body as { ok?: boolean; error?: string } | undefined;
    const ok = answer.status === 200 && body?.ok !== false;
    call.answeredAt = Date.now();
    call.outcome = {
      status: answer.status,
      ok,
      ...(ok ? {} : { error: body?.error ?? (answer.status ? `http_${answer.status}` : 'connection_reset') }),
    };
    this.calls.push(call);
    this.onCall?.(call);
  }

  private answer(call: SlackCall): Answer {
    const { method, args } = call;
    if (this.isDown) return { status: 503, body: '<html><body>Slack is down</body></html>' };
    if (call.path.startsWith('/api/')) {
      const refused = this.refuseToken(call.token);
      if (refused) return slackError(refused);
    }
    const queued = this.programmed.get(method)?.[0];
    // A lost answer meant for another channel waits for its call.
    const programmed = queued?.kind === 'lost' ? undefined : this.programmed.get(method)?.shift();
    if (programmed) return programmedAnswer(programmed);
    const served = this.served.get(method);
    if (served) return { status: 200, body: served(call) };
    const channelError = typeof args.channel === 'string' ? this.channels.get(args.channel) : undefined;
    if (channelError) return slackError(channelError);
    if (method === 'response_url') {
      // Slack takes a response_url up to 5 times.
      const uses = (this.responseUses.get(call.path) ?? 0) + 1;
      this.responseUses.set(call.path, uses);
      if (uses > RESPONSE_URL_USES) return slackError('used_url');
    }
    if (TRIGGER_METHODS.has(method)) {
      const refused = this.useTrigger(String(args.trigger_id ?? ''));
      if (refused) return slackError(refused);
    }
    const scope = HISTORY_METHODS.has(method) ? historyScope(String(args.channel ?? '')) : undefined;
    if (scope && this.missingScopes.has(scope))
      return { status: 200, body: { ok: false, error: 'missing_scope', needed: scope } };
    if (MESSAGE_METHODS.has(method)) {
      const refused = refuseMessageBlocks(args.blocks) ?? refuseMetadata(args.metadata);
      if (refused) return { status: 200, body: refused };
    }
    if (VIEW_METHODS.has(method)) {
      const refused = refuseView(args.view);
      if (refused) return { status: 200, body: refused };
    }
    return { status: 200, body: this.success(method, args) };
  }

  /**
   * Trigger ids the test client issues read `trigger.<issued ms>.<n>`: used
   * twice is `invalid_trigger_id`, older than 3 s is `expired_trigger_id`.
   * Any other format is accepted (the fake cannot know when it was issued).
   */
  private useTrigger(triggerId: string): string | undefined {
    const issued = /^trigger\.(\d+)\.\d+$/.exec(triggerId);
    if (!issued) return undefined;
    if (this.usedTriggers.has(triggerId)) return 'invalid_trigger_id';
    this.usedTriggers.add(triggerId);
    if (Date.now() - Number(issued[1]) > TRIGGER_TTL_MS) return 'expired_trigger_id';
    return undefined;
  }

  private storeMessage(channel: string, ts: string, args: Record<string, unknown>): void {
    const list = this.messages.get(channel) ?? [];
    const metadata = args.metadata as StoredMessage['metadata'];
    list.push({
      ts,
      ...(typeof args.text === 'string' ? { text: args.text } : {}),
      ...(typeof args.thread_ts === 'string' ? { thread_ts: args.thread_ts } : {}),
      ...(metadata ? { metadata } : {}),
    });
    this.messages.set(channel, list);
  }

  /**
   * A page of messages as Slack pages them: history newest first, replies
   * oldest first; `oldest` exclusive; `limit` per page with a cursor; metadata
   * only with `include_all_metadata`.
   */
  private history(
    args: Record<string, unknown>,
    keep: (m: StoredMessage) => boolean,
    oldestFirst = false,
  ): Record<string, unknown> {
    const channel = String(args.channel ?? '');
    if (!this.messages.has(channel) && !/^[CGD][A-Z0-9]+$/.test(channel))
      return { ok: false, error: 'channel_not_found' };
    const oldest = Number(args.oldest ?? 0);
    const all = (this.messages.get(channel) ?? []).filter((m) => keep(m) && Number(m.ts) > oldest);
    const ordered = oldestFirst ? all : [...all].reverse();
    const limit = Math.min(Number(args.limit ?? 100) || 100, 999);
    const start = Number(args.cursor ?? 0) || 0;
    const page = ordered.slice(start, start + limit);
    const withMetadata = String(args.include_all_metadata) === 'true';
    const next = start + limit < ordered.length ? String(start + limit) : '';
    return {
      ok: true,
      messages: page.map((m) => {
        const { metadata, ...rest } = m;
        return withMetadata && metadata ? { ...rest, metadata } : rest;
      }),
      has_more: next !== '',
      response_metadata: { next_cursor: next },
    };
  }

  private success(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEAM', user: 'breakglass' };
      case 'chat.postMessage': {
        this.ts += 1;
        // Message timestamps are Slack's clock: seconds, then a counter that keeps them unique.
        const ts = `${Math.floor(Date.now() / 1000)}.${String(this.ts).padStart(6, '0')}`;
        this.storeMessage(String(args.channel), ts, args);
        return { ok: true, channel: String(args.channel), ts };
      }
      case 'conversations.history':
        return this.history(args, (m) => !m.thread_ts || m.thread_ts === m.ts);
      case 'conversations.replies': {
        const parent = String(args.ts ?? '');
        const thread = (this.messages.get(String(args.channel)) ?? []).filter(
          (m) => m.ts === parent || m.thread_ts === parent,
        );
        if (!thread.some((m) => m.ts === parent)) return { ok: false, error: 'thread_not_found' };
        return this.history(args, (m) => m.ts === parent || m.thread_ts === parent, true);
      }
      case 'views.open':
      case 'views.update':
      case 'views.push':
      case 'views.publish':
        this.views += 1;
        return { ok: true, view: { id: `V${this.views}`, hash: 'h' } };
      case 'users.info': {
        const id = String(args.user ?? '');
        if (!/^[UW][A-Z0-9]+$/.test(id)) return { ok: false, error: 'user_not_found' };
        const guest = this.guests.get(id);
        return {
          ok: true,
          user: {
            id,
            team_id: 'T0TEAM',
            name: id.toLowerCase(),
            deleted: false,
            is_bot: false,
            is_restricted: guest !== undefined,
            is_ultra_restricted: guest === 'single-channel',
          },
        };
      }
      case 'usergroups.users.list': {
        // A group the workspace does not have is an error, not an empty group.
        const users = this.groups.get(String(args.usergroup));
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: true };
    }
  }
}

const HISTORY_METHODS = new Set(['conversations.history', 'conversations.replies']);

/** Public channels (C…) need channels:history, private ones (G…, or C… made private) groups:history. */
function historyScope(channel: string): string {
  return channel.startsWith('G') ? 'groups:history' : 'channels:history';
}

/** Slack refuses metadata without an event_type string and an event_payload object. */
function refuseMetadata(metadata: unknown): Record<string, unknown> | undefined {
  if (metadata === undefined) return undefined;
  const m = metadata as { event_type?: unknown; event_payload?: unknown } | null;
  if (typeof m !== 'object' || m === null) return { ok: false, error: 'invalid_metadata_format' };
  if (typeof m.event_type !== 'string' || typeof m.event_payload !== 'object' || m.event_payload === null)
    return { ok: false, error: 'invalid_metadata_schema' };
  return undefined;
}

function slackError(error: string): Answer {
  return { status: 200, body: { ok: false, error } };
}

function programmedAnswer(answer: FakeAnswer): Answer {
  switch (answer.kind) {
    case 'error':
      return slackError(answer.error);
    case 'ratelimited':
      return {
        status: 429,
        headers: { 'retry-after': String(answer.retryAfterSeconds) },
        body: { ok: false, error: 'ratelimited' },
      };
    case 'http':
      return { status: answer.status, body: `<html><body>HTTP ${answer.status}</body></html>` };
    case 'lost':
      throw new Error('a lost answer is handled before answering');
  }
}

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType.includes('json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The WebClient sends nested arguments (blocks, view) as JSON strings.
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The texts of every text object of `type` anywhere inside `value` (blocks, a view). */
function textObjects(value: unknown, type: 'mrkdwn' | 'plain_text'): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => textObjects(v, type));
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  const own = record.type === type && typeof record.text === 'string' ? [record.text] : [];
  return [...own, ...Object.values(record).flatMap((v) => textObjects(v, type))];
}
