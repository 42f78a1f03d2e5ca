/** A throwaway HTTP server on a free local port, for endpoints that misbehave on purpose. */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startLocalServer(listener: RequestListener): Promise<LocalServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A server that takes every request and never answers; `requests` counts them. */
export type SilentServer = LocalServer & { readonly requests: number };

export async function startSilentServer(): Promise<SilentServer> {
  let requests = 0;
  const server = await startLocalServer(() => {
    requests += 1;
  });
  return {
    endpoint: server.endpoint,
    close: () => server.close(),
    get requests() {
      return requests;
    },
  };
}
