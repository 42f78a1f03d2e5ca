/**
 * A minimal keep-alive HTTP/1.1 load generator: requests are serialized to bytes
 * up front and written to open sockets, responses are only framed, not parsed.
 * Like wrk, it keeps the client's CPU out of the latency being measured.
 */
import { connect, type Socket } from 'node:net';

export interface RawRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export function serialize(host: string, request: RawRequest): Buffer {
  const head = [`POST ${request.path} HTTP/1.1`, `host: ${host}`, 'connection: keep-alive'];
  for (const [name, value] of Object.entries(request.headers)) head.push(`${name}: ${value}`);
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${request.body}`);
}

/** One connection; `send` resolves with the status code when the whole response has arrived. */
export class RawConnection {
  private buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private waiting: ((status: number) => void) | undefined;
  private failed: ((error: Error) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.complete();
    });
    socket.on('error', (error) => this.failed?.(error));
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private complete(): void {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let total: number;
    if (length) {
      total = end + 4 + Number(length[1]);
    } else {
      const last = this.buffer.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return;
      total = last + 7;
    }
    if (this.buffer.length < total) return;
    const status = Number(head.slice(9, 12));
    this.buffer = this.buffer.subarray(total);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve(status);
  }
}
