/**
 * The server side of a WebSocket (RFC 6455), just enough for the Socket Mode
 * fake: the opening handshake on an HTTP upgrade, text frames both ways
 * (client frames are masked, fragmented ones are joined), ping -> pong, the
 * close handshake, and an abrupt drop. (The `ws` package is not a dependency
 * of this project: @slack/socket-mode 3 connects with undici's WebSocket.)
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Accepts the upgrade request; undefined (and a 400 written) if it is not a WebSocket handshake. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return undefined;
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  return new WebSocketConnection(socket);
}

/** Refuses an upgrade with an HTTP status, as a server does for a bad ticket. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Events: `message` (text), `close` (code, after the handshake or a drop).
 */
export class WebSocketConnection extends EventEmitter {
  open = true;
  private buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closeSent = false;
  private closed = false;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('close', () => this.finish(1006));
    socket.on('error', () => this.finish(1006));
  }

  send(text: string): void {
    if (!this.open) throw new Error('WebSocket is not open');
    this.socket.write(frame(OP.text, Buffer.from(text, 'utf8')));
  }

  /** Starts the close handshake; the peer answers with its close frame. */
  close(code = 1000): void {
    if (!this.open || this.closeSent) return;
    this.closeSent = true;
    this.open = false;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.socket.write(frame(OP.close, body));
  }

  /** Drops the TCP connection with no close frame, as a network failure does. */
  terminate(): void {
    this.open = false;
    this.socket.destroy();
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.emit('close', code);
  }

  private parse(): void {
    for (;;) {
      const head = this.buffer;
      if (head.length < 2) return;
      const fin = (head[0] as number) & 0x80;
      const opcode = (head[0] as number) & 0x0f;
      const masked = (head[1] as number) & 0x80;
      let length = (head[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (head.length < 4) return;
        length = head.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (head.length < 10) return;
        length = Number(head.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (head.length < offset + length) return;
      const payload = Buffer.from(head.subarray(offset, offset + length));
      if (masked) {
        for (let i = 0; i < payload.length; i++) {
          payload[i] = (payload[i] as number) ^ (head[maskOffset + (i % 4)] as number);
        }
      }
      this.buffer = head.subarray(offset + length);
      this.onFrame(Boolean(fin), opcode, payload);
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP.ping:
        if (!this.closed) this.socket.write(frame(OP.pong, payload));
        return;
      case OP.pong:
        return;
      case OP.close: {
        if (!this.closeSent) {
          this.closeSent = true;
          this.socket.write(frame(OP.close, payload.subarray(0, 2)));
        }
        this.open = false;
        this.socket.end();
        this.finish(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
        return;
      }
      case OP.text:
      case OP.binary:
      case OP.continuation: {
        this.fragments.push(payload);
        if (!fin) return;
        const message = Buffer.concat(this.fragments).toString('utf8');
        this.fragments = [];
        if (!this.closed) this.emit('message', message);
        return;
      }
    }
  }
}

/** A server frame: never masked, never fragmented. */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head = length < 126 ? Buffer.alloc(2) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (length < 126) {
    head[1] = length;
  } else if (length < 0x10000) {
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([head, payload]);
}
