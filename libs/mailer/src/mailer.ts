/**
 * The mailer: sends through a target (a resolved profile), checks the egress guard before every
 * connection of a guarded target, keeps one pooled nodemailer transport per profile and version, and
 * classifies every failure by stage. It owns no state about profiles or tenants; it must never log or
 * return a credential, a token or a message body. Every failure and every server reply leaves through
 * `failureFor` / `replyFor`, which take the target's secrets (and tokens issued for it) out of the
 * server's text, so the verification answer, the delivery worker, health and logs all get redacted text.
 */
import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { CheckedDestination, EgressPolicy } from './egress-guard';
import { DomainError } from '@mailstrata/common';
import { assertSendable, messageIdentity, OutgoingEmail } from './message';
import { composeMime, foldableText } from './mime';
import { OAuth2TokenClient } from './oauth2-token-client';
import { redactSecrets, secretsOf } from './redaction';
import { classifySmtpError, SmtpDeliveryError, SmtpFailure, SmtpStage, tlsFailure } from './smtp-failure';
import { authUsername, SmtpTarget } from './smtp-target';
import { speaksImplicitTls } from './tls-failure';
import { connectionOptions, DEFAULT_TIMEOUTS, SmtpTimeouts } from './transport-options';

export const MAILER_OPTIONS = Symbol('MailerOptions');

export interface MailerOptions {
  timeouts?: Partial<SmtpTimeouts>;
  /** Connections per pooled transport. */
  maxConnections?: number;
}

export interface SendResult {
  messageId: string;
  response: string | null;
  accepted: string[];
  rejected: string[];
}

export interface VerificationTimings {
  dns_ms: number;
  connect_ms: number;
  oauth_token_ms?: number;
  auth_ms?: number;
  send_ms?: number;
  total_ms: number;
}

export interface VerificationResult extends Partial<SendResult> {
  mode: 'send' | 'connect';
  timings: VerificationTimings;
}

interface PooledEntry {
  fingerprint: string;
  transporter: Transporter<SMTPPool.SentMessageInfo>;
}

type ProvisionCallback = (user: string, renew: boolean, callback: (err: Error | null, accessToken?: string) => void) => void;

/**
 * What nodemailer is given for one message: the finished MIME text (`composeMime`) with its envelope,
 * or, for what that composer does not handle, the fields for nodemailer's own. Either way the
 * Message-ID is ours, so the one returned is the one sent.
 */
function prepareMessage(
  target: SmtpTarget,
  email: OutgoingEmail,
): { messageId: string; envelope: { from: string; to: string[] }; options: Mail.Options } {
  const fromAddress = email.fromEmail ?? target.sender.email;
  const fromName = target.sender.name ?? '';
  const identity = messageIdentity(fromAddress, email.messageId);
  const envelope = { from: fromAddress, to: [email.to] };
  const raw = composeMime({
    fromName,
    fromAddress,
    to: email.to,
    ...(email.replyTo !== undefined ? { replyTo: email.replyTo } : {}),
    subject: email.subject,
    text: email.text,
    html: email.html,
    ...identity,
    date: new Date(),
  });
  const options: Mail.Options = raw
    ? { envelope, raw, messageId: identity.messageId }
    : {
        ...identity,
        from: { name: fromName, address: fromAddress },
        to: email.to,
        ...(email.replyTo !== undefined ? { replyTo: email.replyTo } : {}),
        // nodemailer folds only at spaces: a long unbroken subject would make a line over 998 octets.
        subject: foldableText('Subject', email.subject),
        text: email.text,
        ...(email.html !== undefined ? { html: email.html } : {}),
        disableFileAccess: true,
        disableUrlAccess: true,
      };
  return { messageId: identity.messageId, envelope, options };
}

@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly logger = new Logger(Mailer.name);
  private readonly pooled = new Map<string, PooledEntry>();
  private readonly timeouts: SmtpTimeouts;
  private readonly maxConnections: number;

  constructor(
    private readonly egress: EgressPolicy,
    private readonly tokens: OAuth2TokenClient,
    @Optional() @Inject(MAILER_OPTIONS) options: MailerOptions | null = null,
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...(options?.timeouts ?? {}) };
    this.maxConnections = options?.maxConnections ?? 5;
  }

  /** Sends one message through the target's pooled transport. Throws `SmtpDeliveryError` or the guard's refusal. */
  async send(target: SmtpTarget, email: OutgoingEmail): Promise<SendResult> {
    try {
      assertSendable(email, target.sender.email, target.sender.name);
      const dest = await this.checkDestination(target);
      if (target.auth.type === 'oauth2') await this.tokens.getToken(target.auth, target.guarded ? this.egress : undefined);
      const transporter = this.transportFor(target, dest);
      let info: SMTPPool.SentMessageInfo;
      try {
        info = await transporter.sendMail(prepareMessage(target, email).options);
      } catch (error) {
        const classified = classifySmtpError(error);
        const failure = await this.explainSilence(target, dest, error, classified);
        // A pool that could not reach the server starts over next time instead of reusing its state.
        if (failure.stage === 'CONNECT' || failure.stage === 'TIMEOUT' || failure.stage === 'TLS') this.evict(target.cacheKey);
        // The raw error goes on to failureFor, which redacts the server's text before classifying it.
        throw failure === classified ? error : new SmtpDeliveryError(failure);
      }
      return {
        messageId: info.messageId,
        response: this.replyFor(target, info.response),
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
      };
    } catch (error) {
      throw this.failureFor(target, error);
    }
  }

  /**
   * The one place a failure leaves the mailer: classified by stage, with the server's (or token
   * endpoint's) text stripped of every secret of the target before anything else can see it. Our own
   * DomainErrors (a refused destination, an unsendable message) carry only our text and pass unchanged.
   */
  private failureFor(target: SmtpTarget, error: unknown, phase?: SmtpStage): Error {
    if (error instanceof DomainError && !(error instanceof SmtpDeliveryError)) return error;
    const secrets = this.secretsFor(target);
    // Redact before classifying: classifying shortens long replies, which could cut an encoded secret in half.
    const failure = classifySmtpError(withRedactedText(error, secrets), phase);
    return new SmtpDeliveryError({ ...failure, smtpResponse: redactSecrets(failure.smtpResponse, secrets) });
  }

  /** A success reply, redacted the same way (a server may echo anything in it). */
  private replyFor(target: SmtpTarget, response: unknown): string | null {
    return typeof response === 'string' ? redactSecrets(response, this.secretsFor(target)) : null;
  }

  private secretsFor(target: SmtpTarget): string[] {
    return secretsOf(target, target.auth.type === 'oauth2' ? this.tokens.recentTokens(target.auth) : []);
  }

  /**
   * A one-off conversation (never pooled) for test emails: connect, TLS, authenticate and, in `send`
   * mode, transfer the message; every step is timed and a failure names its stage.
   */
  async verify(target: SmtpTarget, email: OutgoingEmail | undefined): Promise<VerificationResult> {
    try {
      return await this.converse(target, email);
    } catch (error) {
      throw this.failureFor(target, error);
    }
  }

  private async converse(target: SmtpTarget, email: OutgoingEmail | undefined): Promise<VerificationResult> {
    if (email) assertSendable(email, target.sender.email, target.sender.name);
    const started = performance.now();
    const lap = (() => {
      let last = started;
      return () => {
        const now = performance.now();
        const ms = Math.round((now - last) * 10) / 10;
        last = now;
        return ms;
      };
    })();
    const dest = await this.checkDestination(target);
    const timings: VerificationTimings = { dns_ms: lap(), connect_ms: 0, total_ms: 0 };

    const options = connectionOptions(target, dest, this.timeouts);
    const connection = new SMTPConnection(options);
    let failed: ((error: unknown) => void) | undefined;
    connection.on('error', (error: unknown) => failed?.(error));
    // No greeting soon on a plain or STARTTLS port: if the port answers a TLS handshake it waits for
    // implicit TLS, and we say so now instead of after the whole greeting timeout.
    let greeted = false;
    const probe =
      target.tlsMode === 'implicit'
        ? undefined
        : setTimeout(() => {
            void speaksImplicitTls(options.host!, target.port, dest?.servername, this.timeouts.greetingMs).then((tlsFirst) => {
              if (tlsFirst && !greeted) failed?.(new SmtpDeliveryError(tlsFailure('implicit_tls_port')));
            });
          }, this.timeouts.tlsProbeAfterMs);
    const step = <T>(phase: SmtpStage, run: (done: (error: Error | null, value?: T) => void) => void): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const fail = (error: unknown) => reject(this.failureFor(target, error, phase));
        failed = fail;
        run((error, value) => (error ? fail(error) : resolve(value as T)));
      });
    try {
      await step<void>('CONNECT', (done) => connection.connect((error?: Error) => done(error ?? null)));
      greeted = true;
      clearTimeout(probe);
      timings.connect_ms = lap();
      const auth = target.auth;
      if (auth.type === 'basic') {
        await step<boolean>('AUTH', (done) => connection.login({ user: auth.username, pass: auth.password }, done));
        timings.auth_ms = lap();
      } else if (auth.type === 'oauth2') {
        const egress = target.guarded ? this.egress : undefined;
        await this.tokens.getToken(auth, egress);
        timings.oauth_token_ms = lap();
        const user = authUsername(target)!;
        const oauth2 = {
          getToken: (renew: boolean, cb: (err: Error | null, token?: string) => void) =>
            this.tokens.getToken(auth, egress, renew).then((t) => cb(null, t), cb),
          buildXOAuth2Token: (token: string) => Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64'),
        };
        await step<boolean>('AUTH', (done) =>
          connection.login({ user, oauth2 } as unknown as SMTPConnection.AuthenticationCredentials, done),
        );
        timings.auth_ms = lap();
      }
      if (!email) {
        timings.total_ms = Math.round((performance.now() - started) * 10) / 10;
        return { mode: 'connect', timings };
      }
      const message = prepareMessage(target, email);
      const raw = Buffer.isBuffer(message.options.raw)
        ? message.options.raw
        : await new Promise<Buffer>((resolve, reject) =>
            new MailComposer(message.options).compile().build((err, built) => (err ? reject(err) : resolve(built))),
          );
      const info = await step<SMTPConnection.SentMessageInfo>('DATA', (done) => connection.send(message.envelope, raw, done));
      timings.send_ms = lap();
      timings.total_ms = Math.round((performance.now() - started) * 10) / 10;
      return {
        mode: 'send',
        timings,
        messageId: message.messageId,
        response: this.replyFor(target, info.response),
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
      };
    } finally {
      clearTimeout(probe);
      failed = undefined;
      connection.on('error', () => undefined);
      try {
        connection.quit();
      } catch {
        // already gone
      }
      connection.close();
    }
  }

  /** Closes the pooled transport of a profile (e.g. when it was deleted). */
  evict(cacheKey: string): void {
    const entry = this.pooled.get(cacheKey);
    if (!entry) return;
    this.pooled.delete(cacheKey);
    entry.transporter.close();
  }

  onApplicationShutdown(): void {
    for (const key of [...this.pooled.keys()]) this.evict(key);
  }

  get pooledCount(): number {
    return this.pooled.size;
  }

  /**
   * A pooled send that timed out waiting for the greeting on a plain or STARTTLS port: if the port
   * answers a TLS handshake, the failure is the TLS mode, not a slow server.
   */
  private async explainSilence(
    target: SmtpTarget,
    dest: CheckedDestination | undefined,
    error: unknown,
    failure: SmtpFailure,
  ): Promise<SmtpFailure> {
    if (failure.stage !== 'TIMEOUT' || target.tlsMode === 'implicit') return failure;
    if (!/greeting/i.test(String((error as { message?: unknown })?.message ?? ''))) return failure;
    const tlsFirst = await speaksImplicitTls(dest ? dest.address : target.host, target.port, dest?.servername, 2_000);
    return tlsFirst ? tlsFailure('implicit_tls_port') : failure;
  }

  private async checkDestination(target: SmtpTarget): Promise<CheckedDestination | undefined> {
    return target.guarded ? this.egress.check(target.host, target.port) : undefined;
  }

  /** One pooled transport per profile; a new version (or a new checked address) replaces and closes the old one. */
  private transportFor(target: SmtpTarget, dest: CheckedDestination | undefined): Transporter<SMTPPool.SentMessageInfo> {
    const fingerprint = `${target.version}|${dest?.address ?? '-'}|${target.secretsDigest ?? ''}`;
    const existing = this.pooled.get(target.cacheKey);
    if (existing?.fingerprint === fingerprint) return existing.transporter;
    if (existing) existing.transporter.close();

    const auth = target.auth;
    let authOptions: Record<string, unknown> | undefined;
    if (auth.type === 'basic') authOptions = { user: auth.username, pass: auth.password };
    else if (auth.type === 'oauth2') {
      const egress = target.guarded ? this.egress : undefined;
      const provisionCallback: ProvisionCallback = (_user, renew, callback) => {
        this.tokens.getToken(auth, egress, renew).then(
          (token) => callback(null, token),
          (error: unknown) => callback(error instanceof Error ? error : new Error('token request failed')),
        );
      };
      authOptions = { type: 'OAuth2', user: authUsername(target), provisionCallback };
    }
    const transporter = nodemailer.createTransport({
      ...connectionOptions(target, dest, this.timeouts),
      pool: true,
      maxConnections: this.maxConnections,
      maxMessages: Infinity,
      ...(authOptions ? { auth: authOptions } : {}),
      disableFileAccess: true,
      disableUrlAccess: true,
    } as SMTPPool.Options);
    transporter.on('error', (error: unknown) =>
      this.logger.warn({ profile: target.cacheKey, code: (error as { code?: string }).code }, 'SMTP pool error'),
    );
    this.pooled.set(target.cacheKey, { fingerprint, transporter });
    return transporter;
  }
}

/** A copy of a transport error whose server text (reply and message) has the secrets taken out. */
function withRedactedText(error: unknown, secrets: readonly string[]): unknown {
  if (error === null || typeof error !== 'object' || error instanceof SmtpDeliveryError) return error;
  const e = error as { response?: unknown; message?: unknown };
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as object, error) as Record<string, unknown>;
  if (typeof e.response === 'string') copy.response = redactSecrets(e.response, secrets);
  if (typeof e.message === 'string') copy.message = redactSecrets(e.message, secrets);
  return copy;
}
