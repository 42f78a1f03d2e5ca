/**
 * Whether the Socket Mode websocket to Slack is up, as the SocketModeClient
 * reports it. While it is down no click, command or event reaches the bot
 * (Slack holds them and redelivers after the reconnect), so `/readyz` fails.
 *
 * The client's lifecycle, from @slack/socket-mode 3: `connecting` ->
 * `authenticated` (apps.connections.open answered) -> `connected` (Slack's
 * `hello`). A dropped socket or a `disconnect` message from Slack emits `close`
 * (and no `disconnected` while it reconnects by itself), then `reconnecting`
 * after a delay, then the same sequence again. `disconnected` comes after a
 * deliberate stop.
 */
import type { Logger } from '../log.js';

export interface SocketEvents {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

export type SocketState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface SocketReport {
  connected: boolean;
  state: SocketState;
  /** when the state last changed, epoch ms */
  since: number;
  /** connections Slack said hello on, since the start */
  connections: number;
}

export class SocketConnection {
  private state: SocketState = 'connecting';
  private since = Date.now();
  private connections = 0;

  constructor(private readonly log: Logger) {}

  watch(client: SocketEvents): void {
    client.on('connecting', () => this.set(this.state === 'reconnecting' ? 'reconnecting' : 'connecting'));
    client.on('connected', () => {
      this.connections += 1;
      this.set('connected');
    });
    // `close`: the socket is gone (dropped, or closed after Slack's `disconnect`); the client reconnects.
    client.on('close', () => this.set('disconnected'));
    client.on('reconnecting', () => this.set('reconnecting'));
    client.on('disconnected', () => this.set('disconnected'));
  }

  report(): SocketReport {
    return {
      connected: this.state === 'connected',
      state: this.state,
      since: this.since,
      connections: this.connections,
    };
  }

  private set(state: SocketState): void {
    if (state === this.state) return;
    const was = this.state;
    this.state = state;
    this.since = Date.now();
    if (state === 'connected') {
      this.log.info({ connections: this.connections }, 'Slack Socket Mode connected');
    } else if (was === 'connected') {
      this.log.warn({ state }, 'Slack Socket Mode connection lost');
    }
  }
}
