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
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { refuseMessageBlocks, refuseView } from './block-kit.js';

/** The bot scopes manifest.yml asks for: what an installed app was granted, unless a test says otherwise. */
export function manifestScopes(): string[] {
  const manifest = parse(readFileSync(new URL('../../../manifest.yml', import.meta.url), 'utf8')) as {
    oauth_config: { scopes: { bot: string[] } };
  };
  return manifest.oauth_config.scopes.bot;
}

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
  /** the app that posted it: one id per token, as auth.test answers it */
  bot_id?: string;
  text?: string;
  thread_ts?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** files shared with the message (files.completeUploadExternal) */
  files?: { id: string; name: string; title: string }[];
}

/** Errors Slack answers for a channel the bot cannot post to. */
export type ChannelError = 'not_in_channel' | 'channel_not_found' | 'is_archived';

/**
 * How an outage looks: every call answers HTTP 503, or the connection is
 * reset before any answer (as when Slack cannot be reached).
 */
export type DownMode = '503' | 'reset';

/**
 * A file upload as Slack's external upload flow keeps it: files.getUploadURLExternal
 * reserves it (declared `length`), the upload URL receives its bytes, and
 * files.completeUploadExternal shares it (in `channel_id`, as a reply when `thread_ts`).
 */
export interface FakeFile {
  id: string;
  filename: string;
  length: number;
  /** the bytes received at the upload URL */
  content?: Buffer;
  title?: string;
  completed: boolean;
  channel?: string;
  threadTs?: string;
}

/** Methods of the external upload flow, and the scope they need (files:write). */
const FILE_METHODS = new Set(['files.getUploadURLExternal', 'files.completeUploadExternal']);

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
  /** channels that are private (their history needs groups:history) */
  readonly privateChannels = new Set<string>();
  /**
   * The bot scopes the token was granted (default: manifest.yml's), sent as Slack
   * does in the `x-oauth-scopes` header of every Web API answer, minus `missingScopes`.
   */
  readonly grantedScopes = new Set<string>(manifestScopes());
  /**
   * Channels the bot is not a member of: conversations.info says `is_member: false`,
   * chat.postMessage and files.completeUploadExternal answer `not_in_channel`. Any other well-formed channel id
   * exists with the bot in it (as posts to it succeed); `failChannel(id,
   * 'channel_not_found')` makes one unknown.
   */
  readonly notMemberOf = new Set<string>();
  /** users.info answers `deleted: true` for these (deactivated accounts) */
  readonly deactivated = new Set<string>();
  /** App Home → Home tab; when off, views.publish of a home view answers `not_enabled` (views.publish reference) */
  homeTabEnabled = true;
  /** uploads by file id, in the order reserved */
  readonly files = new Map<string, FakeFile>();
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
        const params = new URL(req.url, 'http://x').searchParams;
        const method = params.get('method');
        // `full=1` (npm run local's driver): whole calls, and the ts each accepted post got.
        const full = params.get('full') === '1';
        const posted = full ? this.postedTs() : new Map<SlackCall, string>();
        const calls = this.calls
          .filter((c) => !method || c.method === method)
          .map((c) =>
            full
              ? {
                  method: c.method,
                  path: c.path,
                  at: c.at,
                  args: c.args,
                  outcome: c.outcome,
                  ts: posted.get(c),
                }
              : { path: c.path, at: c.at, text: c.args.text, ok: c.outcome?.ok },
          );
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

  /**
   * The ts of each post Slack stored (accepted, or done with its answer lost):
   * per channel, such posts and the stored messages line up in order.
   */
  private postedTs(): Map<SlackCall, string> {
    const next = new Map<string, number>();
    const posted = new Map<SlackCall, string>();
    for (const call of this.calls) {
      if (call.method !== 'chat.postMessage') continue;
      if (!call.outcome?.ok && call.outcome?.error !== 'answer_lost') continue;
      const channel = String(call.args.channel);
      const i = next.get(channel) ?? 0;
      next.set(channel, i + 1);
      const ts = this.messages.get(channel)?.[i]?.ts;
      if (ts) posted.set(call, ts);
    }
    return posted;
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
    if (path.startsWith('/upload/')) {
      await this.upload(req, res, path, Buffer.concat(chunks));
      return;
    }
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
      const done = { status: 200, body: this.success(method, args, call.token) };
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
        ...this.scopeHeader(call),
        ...answer.headers,
      })
      .end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  }

  /**
   * `x-oauth-scopes`: the token's granted scopes, on Web API answers to a token
   * Slack accepted (not while down, not to response_url posts).
   */
  private scopeHeader(call: SlackCall): Record<string, string> {
    if (!call.path.startsWith('/api/') || this.isDown || this.refuseToken(call.token)) return {};
    const granted = [...this.grantedScopes].filter((scope) => !this.missingScopes.has(scope));
    return { 'x-oauth-scopes': granted.join(',') };
  }

  /**
   * The upload URL files.getUploadURLExternal handed out: takes the bytes raw or
   * multipart-encoded and answers HTTP 200 (Slack: "Slack will return HTTP 200
   * if the upload is successful"); a URL it never handed out is not found.
   */
  private async upload(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): Promise<void> {
    const call: SlackCall = { method: 'upload', args: {}, path, at: Date.now() };
    const file = this.files.get(decodeURIComponent(path.slice('/upload/'.length)));
    if (this.isDown || !file || file.completed) {
      const status = this.isDown ? 503 : 404;
      this.record(call, { status, body: 'error' });
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(this.isDown ? 'Slack is down' : 'not found');
      return;
    }
    const type = String(req.headers['content-type'] ?? '');
    let content = body;
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
      const part = [...form.values()].find((v) => typeof v !== 'string') as Blob | undefined;
      content = part ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
    }
    file.content = content;
    call.args = { file_id: file.id, bytes: content.length };
    this.record(call, { status: 200, body: `OK - ${content.length}` });
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${content.length}`);
  }

  /** files.getUploadURLExternal and files.completeUploadExternal, as their reference pages describe them. */
  private fileMethod(method: string, args: Record<string, unknown>): Record<string, unknown> {
    if (method === 'files.getUploadURLExternal') {
      const length = Number(args.length);
      if (
        typeof args.filename !== 'string' ||
        !args.filename ||
        args.length === undefined ||
        Number.isNaN(length)
      )
        return { ok: false, error: 'invalid_arguments' };
      // "missing_argument: … Typically only occurs when the length provided is 0."
      if (length <= 0) return { ok: false, error: 'missing_argument' };
      const id = `F${String(this.files.size + 1).padStart(9, '0')}`;
      this.files.set(id, { id, filename: args.filename, length, completed: false });
      return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
    }
    const files = Array.isArray(args.files) ? (args.files as { id?: unknown; title?: unknown }[]) : undefined;
    if (!files?.length) return { ok: false, error: 'invalid_arguments' };
    const found = files.map((f) => this.files.get(String(f.id)));
    if (found.some((f) => !f || f.content === undefined || f.completed))
      return { ok: false, error: 'file_not_found' };
    const channel = typeof args.channel_id === 'string' ? args.channel_id : undefined;
    // Sharing a file needs membership of the channel (getnao/nao#1372), as posting does without chat:write.public.
    if (channel && this.notMemberOf.has(channel)) return { ok: false, error: 'not_in_channel' };
    const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
    const shared = files.map((f, i) => {
      const file = found[i] as FakeFile;
      file.completed = true;
      file.title = typeof f.title === 'string' ? f.title : file.filename;
      if (channel) file.channel = channel;
      if (threadTs) file.threadTs = threadTs;
      return { id: file.id, name: file.filename, title: file.title };
    });
    if (channel) {
      // Sharing posts a message with the files (a thread reply with thread_ts), as history and replies show it.
      this.ts += 1;
      const ts = `${Math.floor(Date.now() / 1000)}.${String(this.ts).padStart(6, '0')}`;
      const list = this.messages.get(channel) ?? [];
      list.push({ ts, ...(threadTs ? { thread_ts: threadTs } : {}), files: shared });
      this.messages.set(channel, list);
    }
    return { ok: true, files: shared };
  }

  /** Slack refuses chat.update of a message it does not have (`message_not_found`). */
  private unknownMessage(args: Record<string, unknown>): boolean {
    const ts = String(args.ts ?? '');
    return !(this.messages.get(String(args.channel ?? '')) ?? []).some((m) => m.ts === ts);
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
    const channelArg = typeof args.channel === 'string' ? args.channel : args.channel_id;
    const channelError = typeof channelArg === 'string' ? this.channels.get(channelArg) : undefined;
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
    const scope = scopeOf(method, String(args.channel ?? ''), this.privateChannels);
    if (scope && (this.missingScopes.has(scope) || !this.grantedScopes.has(scope)))
      return {
        status: 200,
        body: { ok: false, error: 'missing_scope', needed: scope, provided: this.providedScopes() },
      };
    if (method === 'chat.postMessage' && this.notMemberOf.has(String(args.channel)))
      return slackError('not_in_channel');
    if (method === 'views.publish' && !this.homeTabEnabled && isHomeView(args.view))
      return slackError('not_enabled');
    if (
      FILE_METHODS.has(method) &&
      (this.missingScopes.has('files:write') || !this.grantedScopes.has('files:write'))
    )
      return {
        status: 200,
        body: { ok: false, error: 'missing_scope', needed: 'files:write', provided: this.providedScopes() },
      };
    if (MESSAGE_METHODS.has(method)) {
      const refused =
        refuseMessageBlocks(args.blocks, method !== 'response_url') ?? refuseMetadata(args.metadata);
      if (refused) return { status: 200, body: refused };
    }
    if (method === 'chat.update' && this.unknownMessage(args)) return slackError('message_not_found');
    if (FILE_METHODS.has(method)) {
      const body = this.fileMethod(method, args);
      return { status: 200, body };
    }
    if (VIEW_METHODS.has(method)) {
      const refused = refuseView(args.view);
      if (refused) return { status: 200, body: refused };
    }
    return { status: 200, body: this.success(method, args, call.token) };
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

  private providedScopes(): string {
    return [...this.grantedScopes].filter((s) => !this.missingScopes.has(s)).join(',');
  }

  private storeMessage(channel: string, ts: string, args: Record<string, unknown>, botId: string): void {
    const list = this.messages.get(channel) ?? [];
    const metadata = args.metadata as StoredMessage['metadata'];
    list.push({
      ts,
      bot_id: botId,
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

  private success(method: string, args: Record<string, unknown>, token?: string): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: botIdFor(token), team_id: 'T0TEAM', user: 'breakglass' };
      case 'chat.postMessage': {
        this.ts += 1;
        // Message timestamps are Slack's clock: seconds, then a counter that keeps them unique.
        const ts = `${Math.floor(Date.now() / 1000)}.${String(this.ts).padStart(6, '0')}`;
        // Slack posts a message whose metadata has a bad event_type, drops the metadata and warns.
        const badMetadata = metadataWarning(args.metadata);
        const posted = badMetadata ? { ...args, metadata: undefined } : args;
        this.storeMessage(String(args.channel), ts, posted, botIdFor(token));
        return {
          ok: true,
          channel: String(args.channel),
          ts,
          ...(badMetadata ? { warning: badMetadata, response_metadata: { warnings: [badMetadata] } } : {}),
        };
      }
      case 'conversations.history':
        return this.history(args, (m) => !m.thread_ts || m.thread_ts === m.ts);
      case 'conversations.info': {
        const id = String(args.channel ?? '');
        if (!/^[CG][A-Z0-9]{2,}$/.test(id)) return { ok: false, error: 'channel_not_found' };
        return {
          ok: true,
          channel: {
            id,
            name: id.toLowerCase(),
            is_channel: true,
            is_private: id.startsWith('G'),
            is_archived: false,
            is_member: !this.notMemberOf.has(id),
          },
        };
      }
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
            deleted: this.deactivated.has(id),
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

/**
 * The bot scope a method needs, per Slack's method reference (for those whose
 * missing scope the fake refuses): history and conversations.info need the
 * public-channel scope or the private-channel one (ids do not tell: private
 * channels created today start with C too).
 */
function scopeOf(method: string, channel: string, privateChannels: ReadonlySet<string>): string | undefined {
  const isPrivate = privateChannels.has(channel) || channel.startsWith('G');
  if (HISTORY_METHODS.has(method)) return isPrivate ? 'groups:history' : 'channels:history';
  if (method === 'conversations.info') return isPrivate ? 'groups:read' : 'channels:read';
  if (method === 'usergroups.users.list') return 'usergroups:read';
  if (method === 'users.info') return 'users:read';
  return undefined;
}

function isHomeView(view: unknown): boolean {
  return typeof view === 'object' && view !== null && (view as { type?: unknown }).type === 'home';
}

/** Slack refuses metadata that is not an object with an event_type string and an event_payload object. */
function refuseMetadata(metadata: unknown): Record<string, unknown> | undefined {
  if (metadata === undefined) return undefined;
  const m = metadata as { event_type?: unknown; event_payload?: unknown } | null;
  if (typeof m !== 'object' || m === null) return { ok: false, error: 'invalid_metadata_format' };
  if (typeof m.event_type !== 'string' || typeof m.event_payload !== 'object' || m.event_payload === null)
    return { ok: false, error: 'invalid_metadata_schema' };
  return undefined;
}

/**
 * "Event types can contain letters, numbers, underscores, and hyphens … Metadata
 * with an invalid event_type returns an invalid_metadata_schema warning and is
 * ignored" (Slack's message metadata guide): the post succeeds without it.
 */
function metadataWarning(metadata: unknown): string | undefined {
  const type = (metadata as { event_type?: unknown } | undefined)?.event_type;
  return typeof type === 'string' && !/^[A-Za-z0-9_-]+$/.test(type) ? 'invalid_metadata_schema' : undefined;
}

/** Each token is its own app here: the bot id auth.test answers and its posts carry. */
function botIdFor(token: string | undefined): string {
  if (!token) return 'BBOT';
  return `B${createHash('sha256').update(token).digest('hex').slice(0, 10).toUpperCase()}`;
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
