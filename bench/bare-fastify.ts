/**
 * The HTTP section's baseline: bare Fastify, from the project's own `fastify` dependency, answering a
 * small JSON on GET /healthz. Run as its own process: `node bare-fastify.js <port> [logging]`.
 * With `logging`, Fastify's own request logging is on (its built-in pino: an "incoming request" and a
 * "request completed" line per request, at info) and writes to this process's stdout, which the
 * bench points at the same destination as the service's logs.
 */
import Fastify from 'fastify';

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const logging = process.argv[3] === 'logging';
  const app = Fastify({ logger: logging ? { level: 'info' } : false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.listen({ port, host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`bare-fastify: ${String(error)}\n`);
  process.exit(1);
});
