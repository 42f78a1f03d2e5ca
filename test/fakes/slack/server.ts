/**
 * A local fake of the Slack Web API (POST /api/<method>) and of response_url
 * endpoints (POST /response/<id>), recording every call. The real WebClient
 * reaches it through SLACK_API_URL.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** the request path (response_url calls differ by path) */
  path: string;
  /** arrival time, epoch ms */
  at: number;
}

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** user-group id -> member user ids, for usergroups.users.list */
  readonly groups = new Map<string, string[]>();
  /** users.info answers: guests (is_restricted) and single-channel guests (is_ultra_restricted) */
  readonly guests = new Map<string, 'multi-channel' | 'single-channel'>();
  url = '';
  /** called for every call as it arrives (the demo prints them) */
  onCall: ((call: SlackCall) => void) | undefined;
  private ts = 0;
  private failures = new Map<string, string>();
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith('/__fake/calls')) {
        // Control route for out-of-process use (the benchmark): not a Slack API.
        const method = new URL(req.url, 'http://x').searchParams.get('method');
        const calls = this.calls
          .filter((c) => !method || c.method === method)
          .map((c) => ({ path: c.path, at: c.at, text: c.args.text }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(calls));
        return;
      }
      void this.answer(req).then((body) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
  }

  static async start(): Promise<FakeSlack> {
    const fake = new FakeSlack();
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

  /** The next call of `method` answers { ok: false, error }. */
  failNext(method: string, error: string): void {
    this.failures.set(method, error);
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Every text a person could read, from messages, updates, ephemerals and responses. */
  texts(method?: string): string[] {
    return this.calls
      .filter((c) => !method || c.method === method)
      .map((c) => `${String(c.args.text ?? '')} ${JSON.stringify(c.args.blocks ?? '')}`);
  }

  private async answer(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const args = parseBody(raw, String(req.headers['content-type'] ?? ''));
    const path = (req.url ?? '').split('?')[0] ?? '';
    const method = path.startsWith('/api/')
      ? path.slice(5)
      : path.startsWith('/response/')
        ? 'response_url'
        : path;
    const call = { method, args, path, at: Date.now() };
    this.calls.push(call);
    this.onCall?.(call);
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      return { ok: false, error: failure };
    }
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEAM', user: 'breakglass' };
      case 'chat.postMessage':
        this.ts += 1;
        return {
          ok: true,
          channel: String(args.channel),
          ts: `1800000000.${String(this.ts).padStart(6, '0')}`,
        };
      case 'views.open':
      case 'views.update':
      case 'views.publish':
        return { ok: true, view: { id: `V${this.calls.length}`, hash: 'h' } };
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
      case 'usergroups.users.list':
        return { ok: true, users: this.groups.get(String(args.usergroup)) ?? [] };
      default:
        return { ok: true };
    }
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
