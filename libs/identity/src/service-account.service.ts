/**
 * Service accounts: machine callers (the admin API, alerting, billing) that hold a bearer token instead
 * of a session. The token is 256 random bits behind a recognisable `mst_` prefix, so secret scanners can
 * find a leaked one; it is shown once at creation and stored only as its SHA-256. Like sessions,
 * resolved tokens are cached per replica (authentication is on every request's hot path), and a
 * revocation is published on the change bus in the revoking transaction, so every replica drops it on
 * commit. `last_used_at` is written at most once a minute per account, off the request's path.
 */
import { randomBytes } from 'node:crypto';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditWriter } from '@mailstrata/audit';
import { CommonErrors, fieldError, notFound } from '@mailstrata/common';
import { ChangeBus } from '@mailstrata/database';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { ServiceAccountEntity } from './entities';
import { IdentityErrors } from './errors';
import { ServiceAccountCreated, ServiceAccountRevoked } from './identity.events';
import { uniqueViolation } from './pg-errors';
import { Actor, Principal, ServiceAccountPrincipal, UserPrincipal } from './principal';
import { canGrantToServiceAccount, Permission, SERVICE_ACCOUNT_PERMISSIONS } from './roles';
import { hashToken, tokenHashHex } from './session.service';
import { TenantService } from './tenant.service';

export const SERVICE_ACCOUNT_TOPIC = 'service_account';
/** What every service-account token starts with: secret scanners match on it, the guard routes on it. */
export const SERVICE_ACCOUNT_TOKEN_PREFIX = 'mst_';

const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^mst_[A-Za-z0-9_-]{43}$/;
const CACHE_TTL_MS = 30_000;
const NEGATIVE_TTL_MS = 5_000;
/** `last_used_at` is a coarse signal ("is this account still in use?"), not a request log. */
export const LAST_USED_RESOLUTION_MS = 60_000;

type Cached = { principal: ServiceAccountPrincipal } | { principal: null };
type SignedIn = Actor & { principal: Principal };

export interface CreateServiceAccountInput {
  name: string;
  partnerId?: string;
  permissions: Permission[];
}

export function isServiceAccountToken(token: string): boolean {
  return token.startsWith(SERVICE_ACCOUNT_TOKEN_PREFIX);
}

@Injectable()
export class ServiceAccountService implements OnModuleInit {
  private readonly logger = new Logger(ServiceAccountService.name);
  private readonly cache = new LRUCache<string, Cached>({ max: 10_000, ttl: CACHE_TTL_MS });
  /** When this replica last wrote `last_used_at` per account. */
  private readonly lastUseWritten = new LRUCache<string, number>({ max: 10_000 });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: ChangeBus,
    private readonly audit: AuditWriter,
    private readonly tenants: TenantService,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe(SERVICE_ACCOUNT_TOPIC, (event) => {
      if ('reset' in event || !event.key) this.cache.clear();
      else this.cache.delete(event.key);
    });
  }

  /** Creates an account; the token in the answer is the only copy there will ever be. */
  async create(actor: SignedIn, input: CreateServiceAccountInput): Promise<{ account: ServiceAccountEntity; token: string }> {
    const creator = this.requireUser(actor.principal);
    const permissions = [...new Set(input.permissions)];
    const platformWide = !creator.partnerId && input.partnerId === undefined;
    permissions.forEach((permission, i) => {
      if (!canGrantToServiceAccount(creator.role, permission)) {
        throw IdentityErrors.PERMISSION_NOT_GRANTABLE(`A ${creator.role} cannot grant ${permission} to a service account.`, {
          errors: [fieldError(`permissions[${i}]`, 'grantable', `${permission} is not a permission this caller may grant`)],
        });
      }
      // Only the platform creates partners, so a partner's account would hold this without ever being able to use it.
      if (permission === 'partner:create' && !platformWide) {
        throw IdentityErrors.PERMISSION_NOT_GRANTABLE('partner:create is for platform-wide accounts only.', {
          errors: [fieldError(`permissions[${i}]`, 'grantable', 'partner:create is for platform-wide accounts only')],
        });
      }
    });
    const partnerId = await this.partnerForNewAccount(creator, input.partnerId);
    const token = SERVICE_ACCOUNT_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    return this.dataSource.transaction(async (manager) => {
      let id: string;
      try {
        const result = await manager.insert(ServiceAccountEntity, {
          name: input.name.trim(),
          partnerId,
          permissions,
          tokenHash: hashToken(token),
          createdById: creator.userId,
          createdByName: creator.email,
        });
        id = result.identifiers[0]!.id as string;
      } catch (error) {
        if (uniqueViolation(error) === 'service_accounts_live_name_key') {
          throw IdentityErrors.SERVICE_ACCOUNT_EXISTS(undefined, {
            errors: [fieldError('name', 'unique', 'is already taken in this scope')],
          });
        }
        throw error;
      }
      const account = await manager.findOneByOrFail(ServiceAccountEntity, { id });
      await this.audit.record(manager, ServiceAccountCreated, {
        outcome: 'success',
        actor,
        partnerId,
        resource: { type: 'service_account', id },
        details: { name: account.name, permissions },
      });
      return { account, token };
    });
  }

  /** Live accounts in the caller's scope (a partner's own, or for the controller all or one partner's). */
  async list(principal: Principal, filter: { partnerId?: string } = {}): Promise<ServiceAccountEntity[]> {
    const creator = this.requireUser(principal);
    const qb = this.dataSource
      .getRepository(ServiceAccountEntity)
      .createQueryBuilder('a')
      .where('a.revoked_at IS NULL')
      .orderBy('a.created_at', 'ASC')
      .addOrderBy('a.id');
    if (filter.partnerId !== undefined) await this.tenants.findPartnerInScope(creator, filter.partnerId);
    const partnerId = filter.partnerId ?? creator.partnerId;
    if (partnerId) qb.andWhere('a.partner_id = :partnerId', { partnerId });
    return qb.getMany();
  }

  /** Revokes an account in the caller's scope; every replica refuses its token from the commit on. */
  async revoke(actor: SignedIn, id: string): Promise<void> {
    const creator = this.requireUser(actor.principal);
    await this.dataSource.transaction(async (manager) => {
      const update = manager
        .createQueryBuilder()
        .update(ServiceAccountEntity)
        .set({ revokedAt: () => 'now()' })
        .where('id = :id AND revoked_at IS NULL', { id })
        .returning('token_hash, name, partner_id');
      if (creator.partnerId) update.andWhere('partner_id = :partnerId', { partnerId: creator.partnerId });
      const result = await update.execute();
      const row = (result.raw as Array<{ token_hash: Buffer; name: string; partner_id: string | null }>)[0];
      if (!row) throw notFound('Service account');
      await this.bus.publish(manager, { topic: SERVICE_ACCOUNT_TOPIC, key: row.token_hash.toString('hex') });
      await this.audit.record(manager, ServiceAccountRevoked, {
        outcome: 'success',
        actor,
        partnerId: row.partner_id,
        resource: { type: 'service_account', id },
        details: { name: row.name },
      });
    });
  }

  /**
   * The principal for a token, or null for anything unknown or revoked. Synchronous when this replica
   * already knows the token (the hot path); a Promise only when Postgres must be asked.
   */
  authenticate(token: string): ServiceAccountPrincipal | null | Promise<ServiceAccountPrincipal | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const key = tokenHashHex(token);
    const hit = this.cache.get(key);
    if (hit) return this.used(hit.principal);
    return this.load(key).then((principal) => this.used(principal));
  }

  private async load(key: string): Promise<ServiceAccountPrincipal | null> {
    const rows: Array<{ id: string; name: string; partner_id: string | null; permissions: string[] }> = await this.dataSource.query(
      `SELECT id, name, partner_id, permissions FROM service_accounts WHERE token_hash = $1 AND revoked_at IS NULL`,
      [Buffer.from(key, 'hex')],
    );
    const row = rows[0];
    if (!row) {
      this.cache.set(key, { principal: null }, { ttl: NEGATIVE_TTL_MS });
      return null;
    }
    const principal: ServiceAccountPrincipal = {
      kind: 'service_account',
      serviceAccountId: row.id,
      name: row.name,
      partnerId: row.partner_id,
      orgId: null,
      // Only what a service account may hold today, even if an older row names more.
      permissions: SERVICE_ACCOUNT_PERMISSIONS.filter((p) => row.permissions.includes(p)),
    };
    this.cache.set(key, { principal });
    return principal;
  }

  /** Notes the use, writing `last_used_at` at most once a minute per account and never on the request's path. */
  private used(principal: ServiceAccountPrincipal | null): ServiceAccountPrincipal | null {
    if (!principal) return null;
    const now = Date.now();
    const last = this.lastUseWritten.get(principal.serviceAccountId);
    if (last === undefined || now - last >= LAST_USED_RESOLUTION_MS) {
      this.lastUseWritten.set(principal.serviceAccountId, now);
      // The condition keeps other replicas to the same once-a-minute write.
      this.dataSource
        .query(
          `UPDATE service_accounts SET last_used_at = now()
            WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
          [principal.serviceAccountId, LAST_USED_RESOLUTION_MS / 1000],
        )
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not record a service account’s last use'));
    }
    return principal;
  }

  private requireUser(principal: Principal): UserPrincipal {
    if (principal.kind !== 'user') throw IdentityErrors.USERS_ONLY('Service accounts cannot manage service accounts.');
    return principal;
  }

  private async partnerForNewAccount(creator: UserPrincipal, partnerId: string | undefined): Promise<string | null> {
    if (creator.orgId) throw CommonErrors.FORBIDDEN('Organization users cannot create service accounts.');
    if (creator.partnerId) {
      // A partner admin's accounts are its partner's; naming any other partner answers like a missing one.
      if (partnerId !== undefined && partnerId !== creator.partnerId) throw notFound('Partner');
      return creator.partnerId;
    }
    if (partnerId === undefined) return null;
    await this.tenants.findPartnerInScope(creator, partnerId);
    return partnerId;
  }
}
