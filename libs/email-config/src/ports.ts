import type { AppConfig } from '@mailstrata/config';

/**
 * Egress policy port, checked when a profile is saved (and by the verification endpoint before it
 * connects). Implemented and bound by the mailer (issue 4): `check` throws a DomainError (e.g.
 * `SMTP_DESTINATION_FORBIDDEN`) when the host resolves to a refused network or the port is not
 * allowed. Optional: without a binding nothing is checked at save time.
 */
export interface SmtpDestinationPolicy {
  check(host: string, port: number): Promise<void>;
  /** The same network rule for an OAuth2 token endpoint (an http(s) URL; its port is not restricted). */
  checkTokenEndpoint(url: string): Promise<void>;
}
export const SMTP_DESTINATION_POLICY = Symbol('SmtpDestinationPolicy');

/** The validated controller-level profile from the environment, or undefined when none is configured. */
export const CONTROLLER_PROFILE = Symbol('ControllerSmtpProfile');

export type ControllerSmtpEnv = NonNullable<AppConfig['controllerSmtp']>;

/**
 * Optional: an operator-trusted SMTP endpoint that becomes the controller level when no
 * FW_EVENT_SMTP_SERVER_ADDR is configured (the app binds the development mail catcher here). Same
 * shape as the environment's controller SMTP, validated by the same rules. Never consulted when the
 * environment names a controller server.
 */
export const CONTROLLER_SMTP_FALLBACK = Symbol('ControllerSmtpFallback');
