/**
 * Sessions: a 256-bit random token in the `rsid` cookie, stored only as its SHA-256. Authentication is on
 * every request's hot path, so resolved sessions are cached per replica; a revocation (or a change to
 * the user) is published on the change bus and drops the entry on every replica, and a short TTL bounds
 * the damage of a missed notification.
 */
import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { ChangeBus } from '@mailstrata/database';
import { LRUCache } from 'lru-cache';
import { DataSource, EntityManager } from 'typeorm';
import { SessionEntity, UserEntity } from './entities';
import { UserPrincipal } from './principal';

const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const CACHE_TTL_MS = 30_000;
const NEGATIVE_TTL_MS = 5_000;
export const SESSION_TOPIC = 'session';
export const USER_TOPIC = 'user';

type Cached = { principal: UserPrincipal } | { principal: null };

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

// One-shot hashing (Node ≥ 20.12) skips the Hash object: this runs on every authenticated request.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string) => string }).hash;
export const tokenHashHex = (token: string): string => (oneShotHash ? oneShotHash('sha256', token) : hashToken(token).toString('hex'));

@Injectable()
export class SessionService implements OnModuleInit {
  private readonly cache = new LRUCache<string, Cached>({ max: 100_000, ttl: CACHE_TTL_MS });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: ChangeBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe(SESSION_TOPIC, (event) => {
      if ('reset' in event || !event.key) this.cache.clear();
      else this.cache.delete(event.key);
    });
    this.bus.subscribe(USER_TOPIC, (event) => {
      if ('reset' in event || !event.key) return this.cache.clear();
      for (const [key, value] of this.cache.entries()) {
        if (value.principal?.userId === event.key) this.cache.delete(key);
      }
    });
  }

  /** Creates a session inside the caller's transaction; the token is returned once and never stored. */
  async issue(
    manager: EntityManager,
    user: Pick<UserEntity, 'id'>,
    meta: { ip: string | null; userAgent: string | null },
  ): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.identity.sessionTtlSeconds * 1000);
    const result = await manager.insert(SessionEntity, {
      tokenHash: hashToken(token),
      userId: user.id,
      expiresAt,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 256) ?? null,
    });
    return { token, sessionId: result.identifiers[0]!.id as string, expiresAt };
  }

  /**
   * The principal for a token, or null for anything unknown, expired, revoked or inactive. Answers
   * synchronously when the replica already knows the session (the hot path), so a signed-in request
   * costs no promise; a Promise only when Postgres must be asked.
   */
  authenticate(token: string): UserPrincipal | null | Promise<UserPrincipal | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const key = tokenHashHex(token);
    const hit = this.cache.get(key);
    if (hit) return hit.principal && hit.principal.sessionExpiresAt.getTime() > Date.now() ? hit.principal : null;
    return this.load(token, key);
  }

  private async load(token: string, key: string): Promise<UserPrincipal | null> {
    const rows: Array<{
      session_id: string;
      expires_at: Date;
      user_id: string;
      email: string;
      role: UserPrincipal['role'];
      partner_id: string | null;
      org_id: string | null;
    }> = await this.dataSource.query(
      `SELECT s.id AS session_id, s.expires_at, u.id AS user_id, u.email, u.role, u.partner_id, u.org_id
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.status = 'active'`,
      [Buffer.from(key, 'hex')],
    );
    const row = rows[0];
    if (!row) {
      this.cache.set(key, { principal: null }, { ttl: NEGATIVE_TTL_MS });
      return null;
    }
    const principal: UserPrincipal = {
      kind: 'user',
      userId: row.user_id,
      email: row.email,
      role: row.role,
      partnerId: row.partner_id,
      orgId: row.org_id,
      sessionId: row.session_id,
      sessionExpiresAt: new Date(row.expires_at),
    };
    const ttl = Math.min(CACHE_TTL_MS, principal.sessionExpiresAt.getTime() - Date.now());
    if (ttl > 0) this.cache.set(key, { principal }, { ttl });
    return principal;
  }

  /** Revokes one session in the caller's transaction; every replica forgets it on commit. */
  async revoke(manager: EntityManager, sessionId: string): Promise<void> {
    const result = await manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()' })
      .where('id = :sessionId AND revoked_at IS NULL', { sessionId })
      .returning('token_hash')
      .execute();
    for (const row of result.raw as Array<{ token_hash: Buffer }>)
      await this.bus.publish(manager, { topic: SESSION_TOPIC, key: row.token_hash.toString('hex') });
  }

  /**
   * Revokes every live session of a user in the caller's transaction (a password reset): one user event
   * on the change bus makes every replica drop all of the user's cached sessions on commit, however many
   * there are. Returns how many sessions were revoked.
   */
  async revokeAllForUser(manager: EntityManager, userId: string): Promise<number> {
    const [, count]: [unknown, number] = await manager.query(
      `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [userId],
    );
    await this.bus.publish(manager, { topic: USER_TOPIC, key: userId });
    return count;
  }

  /** Local eviction right after commit, so this replica does not wait for its own notification. */
  forgetLocally(sessionTokenHashHex: string): void {
    this.cache.delete(sessionTokenHashHex);
  }

  forgetSession(sessionId: string): void {
    for (const [key, value] of this.cache.entries()) if (value.principal?.sessionId === sessionId) this.cache.delete(key);
  }
}
