/**
 * A local fake of Slack's Socket Mode: `apps.connections.open` on the fake Web
 * API (FakeSlack) and the websocket service it hands out. The real Bolt
 * SocketModeReceiver / @slack/socket-mode client connects to it unchanged.
 *
 * What it does, as Slack does (shapes from Slack's Socket Mode docs and
 * @slack/socket-mode's own tests):
 * - `apps.connections.open` takes only the app-level token (`Authorization:
 *   Bearer xapp-…`): none is `not_authed`, another kind of token
 *   `not_allowed_token_type`, a wrong one `invalid_auth`. It answers
 *   `{ ok, url: 'ws://127.0.0.1:<port>/link/?ticket=…&app_id=…' }`; a ticket
 *   opens one connection.
 * - On connect it sends `hello` (`num_connections`, `debug_info`,
 *   `connection_info.app_id`).
 * - It delivers envelopes `{ envelope_id, payload, type,
 *   accepts_response_payload }` of type `slash_commands`, `interactive`
 *   (block_actions, view_submission, block_suggestion, …) and `events_api`
 *   (the latter always with `retry_attempt` and `retry_reason`), and records
 *   each ack `{ envelope_id, payload? }` with its latency.
 * - An envelope not acked within the deadline (3 s) is sent again under a new
 *   envelope_id with `retry_attempt` n and `retry_reason: 'timeout'`, at most 3
 *   times (Slack: at once, after 1 min, after 5 min). One that finds no open
 *   connection is held and sent, as a retry, on the next connection. (Slack
 *   documents retries for Events API envelopes; this fake retries every type
 *   the same way, the stricter case for the bot: handlers must be idempotent.)
 * - `loseAcks(n)` drops the next n acks in transit: Slack never sees them and
 *   redelivers, so the app gets a payload it already handled.
 * - `disconnect(reason)` sends `{ type: 'disconnect', reason }`
 *   (`refresh_requested`, `warning`, …) and leaves the closing to the client;
 *   `drop()` cuts the TCP connection with no close frame.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeSlack, SlackCall } from './server.js';
import { acceptWebSocket, refuseUpgrade, type WebSocketConnection } from './websocket.js';

export const APP_TOKEN = 'xapp-1-A0APP-1-0123456789abcdef';
export const APP_ID = 'A0APP';
/** Slack's deadline for acknowledging an envelope. */
export const ACK_DEADLINE_MS = 3000;

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled' | 'too_many_websockets';

export interface SocketModeOptions {
  appToken?: string;
  ackDeadlineMs?: number;
  /** wait before retry 1, 2, 3 once an ack is overdue (Slack: 0, 1 min, 5 min) */
  retryDelaysMs?: number[];
}

export interface RecordedAck {
  envelope_id: string;
  /** the response payload, when the app sent a non-empty one */
  payload?: Record<string, unknown>;
  at: number;
  /** from sending the envelope to receiving its ack */
  latencyMs: number;
  /** after the deadline: Slack has given up on this envelope and retries it */
  late: boolean;
}

/** One attempt at delivering a payload: an envelope sent, or held for want of a connection. */
export interface SentEnvelope {
  envelope_id: string;
  retry_attempt: number;
  /** the connection that carried it; undefined while held */
  connection: number | undefined;
  sentAt: number | undefined;
  ack?: RecordedAck;
}

/** One payload Slack has to deliver, over all its attempts. */
export interface Delivery {
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  attempts: SentEnvelope[];
  /** the first ack, on any attempt */
  acked: RecordedAck | undefined;
  /** all retries spent without an ack */
  lost: boolean;
  /** resolves with the first ack, or undefined once lost */
  response: Promise<RecordedAck | undefined>;
}

interface Connection {
  id: number;
  ws: WebSocketConnection;
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
}

export class FakeSocketMode {
  /** every ack received, in order (including late and duplicate ones) */
  readonly acks: RecordedAck[] = [];
  /** acks naming an envelope_id the fake never sent */
  readonly strayAcks: unknown[] = [];
  /** acks lost in transit (see `loseAcks`) */
  readonly lostAcks: string[] = [];
  private acksToLose = 0;
  readonly deliveries: Delivery[] = [];
  readonly connections: Connection[] = [];
  url = '';
  private readonly appToken: string;
  private readonly ackDeadlineMs: number;
  private readonly retryDelaysMs: number[];
  private readonly tickets = new Set<string>();
  private readonly inflight = new Map<string, { delivery: Delivery; sent: SentEnvelope }>();
  private readonly held: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private readonly resolvers = new Map<Delivery, (ack: RecordedAck | undefined) => void>();
  private live: Connection | undefined;
  private readonly server: Server;

  private constructor(
    readonly slack: FakeSlack,
    options: SocketModeOptions,
  ) {
    this.appToken = options.appToken ?? APP_TOKEN;
    this.ackDeadlineMs = options.ackDeadlineMs ?? ACK_DEADLINE_MS;
    this.retryDelaysMs = options.retryDelaysMs ?? [0, 60_000, 300_000];
    this.server = createServer((_req, res) => res.writeHead(426).end());
    this.server.on('upgrade', (req, socket) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
        refuseUpgrade(socket, 401, 'Unauthorized');
        return;
      }
      const ws = acceptWebSocket(req, socket);
      if (ws) this.opened(ws);
    });
    slack.serve('apps.connections.open', (call) => this.open(call));
  }

  /** Starts the websocket service and serves apps.connections.open on `slack`. */
  static async start(slack: FakeSlack, options: SocketModeOptions = {}): Promise<FakeSocketMode> {
    const fake = new FakeSocketMode(slack, options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `ws://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  get token(): string {
    return this.appToken;
  }

  /** Connections Slack has said hello on. */
  get hellos(): number {
    return this.connections.length;
  }

  get connected(): boolean {
    return this.live !== undefined;
  }

  /** Resolves once `count` connections have been opened in all (default: one more than now, or now if one is live). */
  async waitForConnection(count?: number, timeoutMs = 15_000): Promise<void> {
    const target = count ?? (this.live ? this.hellos : this.hellos + 1);
    const deadline = Date.now() + timeoutMs;
    while (this.hellos < target || !this.live) {
      if (Date.now() > deadline)
        throw new Error(`no Socket Mode connection #${target} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Slack asks the app to reconnect: `{ type: 'disconnect', reason }` on the live connection. */
  disconnect(reason: DisconnectReason = 'refresh_requested'): void {
    const live = this.requireLive();
    live.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake-1' } }));
  }

  /** The next `count` acks are lost on the way: Slack redelivers their envelopes after the deadline. */
  loseAcks(count = 1): void {
    this.acksToLose += count;
  }

  /** The connection drops: no close frame, no goodbye. */
  drop(): void {
    const live = this.requireLive();
    this.closedConnection(live, 1006);
    live.ws.terminate();
  }

  /**
   * Delivers a payload as an envelope of `type`, on the live connection or, if
   * none, on the next one. The returned delivery's `response` settles on the
   * first ack (or once every retry went unacked).
   */
  deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    options: { acceptsResponsePayload?: boolean } = {},
  ): Delivery {
    let resolve: (ack: RecordedAck | undefined) => void = () => {};
    const response = new Promise<RecordedAck | undefined>((r) => {
      resolve = r;
    });
    const delivery: Delivery = {
      type,
      payload,
      accepts_response_payload: options.acceptsResponsePayload ?? acceptsResponsePayload(type, payload),
      attempts: [],
      acked: undefined,
      lost: false,
      response,
    };
    this.resolvers.set(delivery, resolve);
    this.deliveries.push(delivery);
    this.attempt(delivery);
    return delivery;
  }

  /** Every envelope sent over a socket, in order. */
  get envelopes(): (SentEnvelope & { type: EnvelopeType })[] {
    return this.deliveries.flatMap((d) =>
      d.attempts.filter((a) => a.sentAt !== undefined).map((a) => ({ ...a, type: d.type })),
    );
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const c of this.connections) if (c.closedAt === undefined) c.ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private open(call: SlackCall): Record<string, unknown> {
    if (!call.token) return { ok: false, error: 'not_authed' };
    if (!call.token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (call.token !== this.appToken) return { ok: false, error: 'invalid_auth' };
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return { ok: true, url: `${this.url}/link/?ticket=${ticket}&app_id=${APP_ID}` };
  }

  private opened(ws: WebSocketConnection): void {
    const connection: Connection = { id: this.connections.length + 1, ws, openedAt: Date.now() };
    this.connections.push(connection);
    ws.on('message', (text: string) => this.received(text));
    ws.on('close', (code: number) => this.closedConnection(connection, code));
    const open = this.connections.filter((c) => c.closedAt === undefined).length;
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: open,
        debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: APP_ID },
      }),
    );
    this.live = connection;
    for (const waiter of this.waiters.splice(0)) waiter();
    for (const delivery of this.held.splice(0)) this.attempt(delivery);
  }

  private closedConnection(connection: Connection, code: number): void {
    if (connection.closedAt !== undefined) return;
    connection.closedAt = Date.now();
    connection.closeCode = code;
    if (this.live === connection) this.live = undefined;
  }

  private requireLive(): Connection {
    if (!this.live) throw new Error('no live Socket Mode connection');
    return this.live;
  }

  private attempt(delivery: Delivery): void {
    if (delivery.acked || delivery.lost) return;
    const retry = delivery.attempts.length;
    if (retry > this.retryDelaysMs.length) {
      delivery.lost = true;
      this.resolvers.get(delivery)?.(undefined);
      return;
    }
    const sent: SentEnvelope = {
      envelope_id: randomUUID(),
      retry_attempt: retry,
      connection: this.live?.id,
      sentAt: undefined,
    };
    delivery.attempts.push(sent);
    const live = this.live;
    if (!live?.ws.open) {
      // No connection to deliver on: this attempt fails; the next goes out on the next connection.
      this.held.push(delivery);
      return;
    }
    const retryFields =
      delivery.type === 'events_api' || retry > 0
        ? { retry_attempt: retry, retry_reason: retry > 0 ? 'timeout' : '' }
        : {};
    sent.sentAt = Date.now();
    this.inflight.set(sent.envelope_id, { delivery, sent });
    live.ws.send(
      JSON.stringify({
        envelope_id: sent.envelope_id,
        payload: delivery.payload,
        type: delivery.type,
        accepts_response_payload: delivery.accepts_response_payload,
        ...retryFields,
      }),
    );
    this.later(this.ackDeadlineMs, () => {
      if (delivery.acked || sent.ack) return;
      this.later(this.retryDelaysMs[retry] ?? 0, () => this.attempt(delivery));
    });
  }

  private received(text: string): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      this.strayAcks.push(text);
      return;
    }
    const found =
      typeof message.envelope_id === 'string' ? this.inflight.get(message.envelope_id) : undefined;
    if (!found?.sent.sentAt) {
      this.strayAcks.push(message);
      return;
    }
    if (this.acksToLose > 0) {
      this.acksToLose -= 1;
      this.lostAcks.push(found.sent.envelope_id);
      return;
    }
    const at = Date.now();
    const latencyMs = at - found.sent.sentAt;
    const payload =
      message.payload && typeof message.payload === 'object' && Object.keys(message.payload).length
        ? (message.payload as Record<string, unknown>)
        : undefined;
    const ack: RecordedAck = {
      envelope_id: found.sent.envelope_id,
      ...(payload ? { payload } : {}),
      at,
      latencyMs,
      late: latencyMs > this.ackDeadlineMs,
    };
    this.acks.push(ack);
    if (found.sent.ack) return;
    found.sent.ack = ack;
    if (!found.delivery.acked && !ack.late) {
      found.delivery.acked = ack;
      this.resolvers.get(found.delivery)?.(ack);
    }
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}

/**
 * Slack takes a response in the ack for slash commands, view submissions and
 * options requests (block_suggestion); not for clicks or events.
 */
function acceptsResponsePayload(type: EnvelopeType, payload: Record<string, unknown>): boolean {
  if (type === 'slash_commands') return true;
  if (type === 'interactive') {
    return ['view_submission', 'block_suggestion', 'dialog_suggestion'].includes(String(payload.type));
  }
  return false;
}
