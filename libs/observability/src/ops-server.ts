/**
 * A tiny HTTP listener for processes without an API (the worker): `GET /healthz` (alive),
 * `GET /readyz` (ready unless shutting down) and `GET /metrics`. Nothing else; no request bodies.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { collectProcessMetrics, renderMetrics } from './metrics';

export interface OpsServerOptions {
  host: string;
  port: number;
  /** false while starting or draining: /readyz answers 503. */
  ready: () => boolean;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  collectProcessMetrics();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'application/json', '{"status":"method not allowed"}');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      return options.ready()
        ? send(200, 'application/json', '{"status":"ok"}')
        : send(503, 'application/json', '{"status":"shutting down"}');
    }
    if (path === '/metrics') {
      renderMetrics().then(
        (m) => send(200, m.contentType, m.body),
        () => send(500, 'application/json', '{"status":"metrics failed"}'),
      );
      return;
    }
    send(404, 'application/json', '{"status":"not found"}');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
