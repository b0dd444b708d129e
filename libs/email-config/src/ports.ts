import type { AppConfig } from '@mailstrata/config';

/**
 * What a profile's destination is checked against when it is saved (and by the verification endpoint
 * before it connects): `check` throws a DomainError (e.g. `SMTP_DESTINATION_FORBIDDEN`) when the host
 * resolves to a refused network or the port is not allowed. EmailConfigModule binds it to the mailer's
 * egress guard; a test module may leave it unbound, and then nothing is checked at save time.
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
