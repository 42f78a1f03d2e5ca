/**
 * Sends what SlackTestClient sends, over Socket Mode instead of signed HTTP:
 * the same payloads (Slack's payloads are the same in both), as envelopes from
 * the fake Socket Mode service. A slash command's form fields become the
 * `slash_commands` payload, an interaction's `payload` field the `interactive`
 * one, an event callback the `events_api` one. The answer is the ack: status
 * 200 once acked within the deadline (0 if never), and as body the response
 * payload the ack carried ('' for a plain ack), as the HTTP body would be.
 */
import type { Delivery, EnvelopeType, FakeSocketMode } from '../fakes/slack/socket-mode.js';
import { type SlackResponse, SlackTestClient, type TeamOverride } from './slack-client.js';

export interface SocketModeResponse extends SlackResponse {
  delivery: Delivery;
}

export class SocketModeTestClient extends SlackTestClient {
  constructor(
    readonly socket: FakeSocketMode,
    private readonly responseUrlFor: (id: string) => string,
    teams: TeamOverride = {},
  ) {
    super('socket-mode:', responseUrlFor, teams);
  }

  override withTeam(teams: TeamOverride): SocketModeTestClient {
    return new SocketModeTestClient(this.socket, this.responseUrlFor, teams);
  }

  override async send(body: string, contentType: string): Promise<SocketModeResponse> {
    const delivery = this.socket.deliver(...envelopeOf(body, contentType));
    const ack = await delivery.response;
    const text = ack?.payload ? JSON.stringify(ack.payload) : '';
    return {
      status: ack ? 200 : 0,
      body: text,
      json: () => (text ? (JSON.parse(text) as Record<string, unknown>) : {}),
      delivery,
    };
  }
}

function envelopeOf(body: string, contentType: string): [EnvelopeType, Record<string, unknown>] {
  if (contentType.includes('json')) {
    const payload = JSON.parse(body) as Record<string, unknown>;
    if (payload.type !== 'event_callback') throw new Error(`not an event callback: ${String(payload.type)}`);
    return ['events_api', payload];
  }
  const form = new URLSearchParams(body);
  const interaction = form.get('payload');
  if (interaction !== null) return ['interactive', JSON.parse(interaction) as Record<string, unknown>];
  if (form.get('command')) return ['slash_commands', Object.fromEntries(form)];
  throw new Error(`cannot tell what this request is: ${body.slice(0, 80)}`);
}
