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
