/**
 * The egress guard: partner and org admins name SMTP hosts (and OAuth2 token endpoints) that this
 * service then connects to, so without a guard a test email is a port scanner for the cluster's
 * network. The guard resolves a host once, refuses unless every address is public unicast (or inside
 * an operator-allowed network) and the port is an SMTP port (or operator-allowed), and hands back the
 * checked address: callers connect to that address, never re-resolve the name, so DNS rebinding cannot
 * swap the destination between check and connect. TLS still verifies the original host name.
 *
 * Every refusal is the same error with the same text, whatever the reason, so the answer does not tell a
 * prober what sits behind a name. The reason goes to the debug log only.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { Logger } from '@nestjs/common';
import { DomainError } from '@mailstrata/common';
import ipaddr from 'ipaddr.js';
import { MailerErrors } from './errors';
import { failure, SmtpDeliveryError } from './smtp-failure';

/** Resolves a host name to every address it has. A port so tests can map names without touching DNS. */
export type HostLookup = (host: string) => Promise<string[]>;
export const HOST_LOOKUP = Symbol('HostLookup');

export const systemLookup: HostLookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export const DEFAULT_SMTP_PORTS: readonly number[] = [25, 465, 587, 2525];

const PORT_NOT_ALLOWED = 'port not allowed';

/** The part of a destination a refusal concerns: the port, or the host and the addresses it names. */
export type DestinationPart = 'host' | 'port';

/**
 * The guard's one refusal. `refused` says which parts of the destination the rule refused, so a form can put
 * the error next to each field; the answer's text stays the same either way, so it tells a prober nothing
 * about the network behind a name.
 */
export class DestinationRefusedError extends DomainError<'SMTP_DESTINATION_REFUSED'> {
  readonly refused: readonly DestinationPart[];

  constructor(...refused: DestinationPart[]) {
    const { code, kind, defaultDetail } = MailerErrors.SMTP_DESTINATION_REFUSED;
    super(code, kind, defaultDetail ?? code);
    this.refused = refused.length > 0 ? refused : ['host'];
  }
}

export function destinationRefused(...refused: DestinationPart[]): DestinationRefusedError {
  return new DestinationRefusedError(...refused);
}

export interface CheckedDestination {
  /** The address to connect to: the one that was checked. */
  address: string;
  /** The name TLS must verify (undefined for an IP literal: the certificate must name the IP). */
  servername: string | undefined;
}

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

/** `[::1]` → `::1`, `Mail.Example.com.` → `mail.example.com`. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

export class EgressPolicy {
  private readonly logger = new Logger('EgressPolicy');
  private readonly networks: [Parsed, number][];
  private readonly ports: Set<number>;

  constructor(
    allowedNetworks: readonly string[],
    allowedPorts: readonly number[],
    private readonly lookup: HostLookup = systemLookup,
  ) {
    this.networks = allowedNetworks.map((cidr) => {
      if (cidr.includes('/')) return ipaddr.parseCIDR(cidr) as [Parsed, number];
      const addr = ipaddr.process(cidr);
      return [addr, addr.kind() === 'ipv4' ? 32 : 128];
    });
    this.ports = new Set([...DEFAULT_SMTP_PORTS, ...allowedPorts]);
  }

  portAllowed(port: number): boolean {
    return this.ports.has(port);
  }

  /** Public unicast, or inside a network the operator allowed. IPv4-mapped IPv6 is judged as IPv4. */
  addressAllowed(address: string): boolean {
    let addr: Parsed;
    try {
      addr = ipaddr.process(address);
    } catch {
      return false;
    }
    for (const [net, bits] of this.networks) {
      if (net.kind() === addr.kind() && addr.match(net, bits)) return true;
    }
    // Everything ipaddr.js does not call plain unicast is refused: loopback, private, link-local
    // (169.254.169.254 and other metadata services), unspecified, multicast, unique-local (fd00:ec2::254),
    // carrier-grade NAT (100.100.100.200), 6to4/Teredo/NAT64 embeddings of other addresses, reserved.
    return addr.range() === 'unicast';
  }

  /**
   * Checks the destination and returns the address to connect to. DNS failures surface as an
   * `SmtpDeliveryError` at stage DNS (the name may be fine, just not resolvable now).
   */
  async check(host: string, port: number): Promise<CheckedDestination> {
    return this.checkWith(host, port, this.portAllowed(port));
  }

  private async checkWith(host: string, port: number, portOk: boolean): Promise<CheckedDestination> {
    const name = normalizeHost(host);
    if (!portOk) throw this.refuse(name, port, PORT_NOT_ALLOWED);
    const literal = parseLiteral(name);
    if (literal) {
      const address = literal.toString();
      if (!this.addressAllowed(address)) throw this.refuse(name, port, 'address not allowed');
      return { address, servername: undefined };
    }
    if (!isHostName(name)) throw this.refuse(name, port, 'not a host name');
    let addresses: string[];
    try {
      addresses = await this.lookup(name);
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      throw new SmtpDeliveryError(failure('DNS', null, null, code === 'EAI_AGAIN' || code === 'ETIMEOUT'));
    }
    if (addresses.length === 0) throw new SmtpDeliveryError(failure('DNS', null, null, false));
    // Any refused address refuses the name: otherwise a name with one public and one internal
    // address could be steered to the internal one.
    if (!addresses.every((a) => this.addressAllowed(a))) throw this.refuse(name, port, 'resolves to an address not allowed');
    return { address: ipaddr.process(addresses[0]!).toString(), servername: name };
  }

  /**
   * The save-time check: the same rules, except that a name which does not resolve is accepted (it may
   * resolve only inside the cluster); it is checked again at every send.
   */
  async checkAtSave(host: string, port: number): Promise<void> {
    try {
      await this.check(host, port);
    } catch (error) {
      if (error instanceof SmtpDeliveryError && error.stage === 'DNS') return;
      // A refused port says nothing of the host: judge it too, so one answer names every field to change.
      if (error instanceof DestinationRefusedError && error.refused.includes('port') && !(await this.hostAllowedAtSave(host, port))) {
        throw destinationRefused('port', 'host');
      }
      throw error;
    }
  }

  private async hostAllowedAtSave(host: string, port: number): Promise<boolean> {
    try {
      await this.checkWith(host, port, true);
      return true;
    } catch (error) {
      return error instanceof SmtpDeliveryError && error.stage === 'DNS';
    }
  }

  /** Token endpoints: the same network rule; the port is the URL's (HTTPS endpoints are not on SMTP ports). */
  async checkUrl(url: URL): Promise<CheckedDestination> {
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return this.checkWith(url.hostname, port, true);
  }

  /** The save-time check of a token endpoint: like `checkAtSave`, a name that does not resolve yet is accepted. */
  async checkUrlAtSave(url: URL): Promise<void> {
    try {
      await this.checkUrl(url);
    } catch (error) {
      if (error instanceof SmtpDeliveryError && error.stage === 'DNS') return;
      throw error;
    }
  }

  private refuse(host: string, port: number, reason: string): DomainError {
    this.logger.debug({ host, port, reason }, 'egress refused');
    return destinationRefused(reason === PORT_NOT_ALLOWED ? 'port' : 'host');
  }
}

/** Any spelling of an IP address (dotted, decimal 2130706433, hex, IPv6, mapped) or undefined. */
function parseLiteral(host: string): Parsed | undefined {
  if (ipaddr.isValid(host)) {
    try {
      return ipaddr.process(host);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function isHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  // An all-numeric last label is not a DNS name: something like 127.1 or 0x7f.1 that only
  // inet_aton would read as an address.
  if (/^(0x)?[0-9a-f]*$/.test(labels[labels.length - 1]!) && /^[0-9x.]+$/.test(host)) return false;
  return labels.every((l) => LABEL.test(l));
}
