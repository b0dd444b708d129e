/**
 * A local SMTP server for development: it listens on loopback only, accepts every message without
 * authentication or TLS, and keeps it in the mailbox for the console to show. It runs only when the
 * configuration says so (never in production, never beside a controller SMTP server); then it is the
 * controller level of the resolution, which the operator trusts, so the egress guard does not apply.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { MailCatcherConfig } from '@mailstrata/config';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { Mailbox } from './mailbox';

export const MAIL_CATCHER_OPTIONS = Symbol('MailCatcherOptions');
export const MAIL_CATCHER_LISTENER = Symbol('MailCatcherListener');

/** Loopback only: the catcher must never be reachable from another machine. */
export const MAIL_CATCHER_HOST = '127.0.0.1';
export const MAIL_CATCHER_SENDER = 'no-reply@mailstrata.local';
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export interface MailCatcherEndpoint {
  host: string;
  port: number;
  senderEmail: string;
}

/**
 * The catcher's SMTP listener. It starts before the application is built (its address becomes the
 * controller level of the configuration, like an operator's FW_EVENT_SMTP_SERVER_ADDR would) and keeps
 * what it receives in the mailbox it is handed once the database is up; until then it answers 451.
 */
export class MailCatcherListener {
  private readonly logger = new Logger('MailCatcher');
  private mailbox: Mailbox | undefined;

  private constructor(
    private readonly server: SMTPServer,
    readonly endpoint: MailCatcherEndpoint,
  ) {}

  static async start(options: MailCatcherConfig): Promise<MailCatcherListener> {
    // The server's callbacks need the listener, which needs the started server.
    const self: { listener?: MailCatcherListener } = {};
    const server = new SMTPServer({
      name: 'mailstrata-mail-catcher',
      banner: 'mailstrata development mail catcher',
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: MAX_MESSAGE_BYTES,
      logger: false,
      // Pooled clients keep idle connections open; shutting down must not wait smtp-server's default 30 s for them.
      closeTimeout: 100,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (stream.sizeExceeded) return callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
          const mailbox = self.listener?.mailbox;
          if (!mailbox) return callback(Object.assign(new Error('The mailbox is not ready yet'), { responseCode: 451 }));
          const raw = Buffer.concat(chunks).toString('utf8');
          const envelope = session.envelope;
          simpleParser(raw)
            .then((parsed) =>
              mailbox.save({
                envelopeFrom: envelope.mailFrom ? envelope.mailFrom.address : null,
                envelopeTo: envelope.rcptTo.map((r) => r.address),
                from: parsed.from?.text ?? null,
                to: (Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : parsed.to?.text) ?? null,
                subject: parsed.subject ?? null,
                headers: parsed.headerLines.map((h) => ({ name: h.line.slice(0, h.line.indexOf(':')), value: unfold(h.line) })),
                text: parsed.text ?? null,
                html: typeof parsed.html === 'string' ? parsed.html : null,
                raw,
              }),
            )
            .then(
              (id) => callback(null, `Caught as ${id}`),
              (error: unknown) => {
                self.listener?.logger.error(`could not store a caught message: ${error instanceof Error ? error.message : String(error)}`);
                callback(Object.assign(new Error('Could not store the message'), { responseCode: 451 }));
              },
            );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, MAIL_CATCHER_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo).port;
    const listener = new MailCatcherListener(server, { host: MAIL_CATCHER_HOST, port, senderEmail: MAIL_CATCHER_SENDER });
    self.listener = listener;
    server.on('error', (error) => listener.logger.warn(`mail catcher: ${error.message}`));
    return listener;
  }

  /** Where caught messages go from now on. */
  deliverTo(mailbox: Mailbox): void {
    this.mailbox = mailbox;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The catcher inside the application: its mailbox (for the console) and, on shutdown, the listener's end. */
@Injectable()
export class MailCatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MailCatcher');
  readonly mailbox: Mailbox | null;

  constructor(
    @Inject(MAIL_CATCHER_LISTENER) private readonly listener: MailCatcherListener | null,
    @Inject(MAIL_CATCHER_OPTIONS) options: MailCatcherConfig | null,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.mailbox = listener && options ? new Mailbox(dataSource, options.keep) : null;
    if (listener && this.mailbox) listener.deliverTo(this.mailbox);
  }

  get enabled(): boolean {
    return this.listener !== null;
  }

  /** Said once the application's logger is in place (the listener starts before it). */
  onApplicationBootstrap(): void {
    const at = this.listener?.endpoint;
    if (!at) return;
    this.logger.log(
      `development mail catcher on ${at.host}:${at.port} is the controller SMTP default; read its mail in the console (Mailbox). MAIL_CATCHER=off disables it.`,
    );
  }

  /** Where it listens; null when it does not run. */
  get address(): MailCatcherEndpoint | null {
    return this.listener?.endpoint ?? null;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.close();
  }
}

function unfold(line: string): string {
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}
