/**
 * A real SMTP server (smtp-server) that holds every message for `delayMs` after its DATA before accepting
 * it, so sends are in flight long enough to kill or outlast a worker. Messages are keyed by subject. A
 * message counts as accepted only if its connection was still open when the 250 went out: a client that
 * died first never learned of it (and will rightly send it again).
 */
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SlowSmtpServer {
  port: number;
  /** Subject → how many times a message with it was accepted. */
  accepted: Map<string, number>;
  /** Subject → when (Date.now()) it was first accepted. */
  firstAcceptedAt: Map<string, number>;
  /** Every DATA received, accepted or still held. */
  dataReceived(): number;
  /** Messages whose DATA has been received but not yet acknowledged. */
  inFlight(): number;
  /** With `{ held: true }`: lets the held messages (and every later one) be acknowledged. */
  release(): void;
  close(): Promise<void>;
}

/**
 * `held: true` holds every message without an answer until `release()` (a client killed meanwhile never
 * had one acknowledged, so nothing it sent can reach the server twice).
 */
export async function startSlowSmtpServer(delayMs: number, options: { held?: boolean } = {}): Promise<SlowSmtpServer> {
  let releaseGate!: () => void;
  const gate = options.held ? new Promise<void>((resolve) => (releaseGate = resolve)) : Promise.resolve();
  const accepted = new Map<string, number>();
  const firstAcceptedAt = new Map<string, number>();
  const closed = new Set<string>();
  let inFlight = 0;
  let dataReceived = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    closeTimeout: 100,
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        inFlight += 1;
        dataReceived += 1;
        const acknowledge = () => {
          inFlight -= 1;
          if (!closed.has(session.id)) {
            const raw = Buffer.concat(chunks).toString('utf8');
            const subject = /^Subject: (.*)$/im.exec(raw)?.[1]?.trim() ?? '';
            accepted.set(subject, (accepted.get(subject) ?? 0) + 1);
            if (!firstAcceptedAt.has(subject)) firstAcceptedAt.set(subject, Date.now());
          }
          callback();
        };
        void gate.then(() => setTimeout(acknowledge, delayMs));
      });
    },
  });
  server.on('error', () => undefined);
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
  });
  return {
    port,
    accepted,
    firstAcceptedAt,
    dataReceived: () => dataReceived,
    inFlight: () => inFlight,
    release: () => releaseGate?.(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
