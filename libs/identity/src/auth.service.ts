import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditWriter } from '@mailstrata/audit';
import { DataSource } from 'typeorm';
import { UserEntity } from './entities';
import { IdentityErrors } from './errors';
import { LoggedOut, LoginFailed, LoginSucceeded } from './identity.events';
import { PasswordHasher } from './password';
import { Actor, actingAsSelf, UserPrincipal } from './principal';
import { SessionService } from './session.service';

export interface LoginResult {
  token: string;
  principal: UserPrincipal;
}

const invalidCredentials = () => IdentityErrors.INVALID_CREDENTIALS();

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionService,
    private readonly audit: AuditWriter,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * Unknown email, wrong password and inactive account answer the same error after the same work (a
   * full hash verification), so neither the answer nor its timing tells which one it was.
   */
  async login(email: string, password: string, meta: { ip: string | null; userAgent: string | null }): Promise<LoginResult> {
    const normalized = normalizeEmail(email);
    const user = await this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: normalized })
      .getOne();
    const passwordOk = await this.hasher.verify(user?.passwordHash ?? null, password);

    if (!user || !passwordOk || user.status !== 'active') {
      const reason = !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : `user_${user.status}`;
      await this.audit.record(this.dataSource.manager, LoginFailed, {
        outcome: 'failure',
        // An unknown "email" may be a password typed in the wrong box: keep it only if it looks like an address.
        actor: {
          type: 'user',
          id: user?.id ?? null,
          email: user?.email ?? (/^[^\s@]+@[^\s@]+$/.test(normalized) ? normalized.slice(0, 254) : null),
          role: user?.role ?? null,
          ip: meta.ip,
          userAgent: meta.userAgent,
        },
        partnerId: user?.partnerId ?? null,
        orgId: user?.orgId ?? null,
        details: { reason },
      });
      throw invalidCredentials();
    }

    return this.dataSource.transaction(async (manager) => {
      const session = await this.sessions.issue(manager, user, meta);
      await this.audit.record(manager, LoginSucceeded, {
        outcome: 'success',
        ...actingAsSelf(user, meta),
        resource: { type: 'session', id: session.sessionId },
        details: { session_id: session.sessionId },
      });
      return {
        token: session.token,
        principal: {
          kind: 'user',
          userId: user.id,
          email: user.email,
          role: user.role,
          partnerId: user.partnerId,
          orgId: user.orgId,
          sessionId: session.sessionId,
          sessionExpiresAt: session.expiresAt,
        },
      };
    });
  }

  async logout(actor: Actor & { principal: UserPrincipal }): Promise<void> {
    const { principal } = actor;
    await this.dataSource.transaction(async (manager) => {
      await this.sessions.revoke(manager, principal.sessionId);
      await this.audit.record(manager, LoggedOut, {
        outcome: 'success',
        actor,
        partnerId: principal.partnerId,
        orgId: principal.orgId,
        resource: { type: 'session', id: principal.sessionId },
        details: { session_id: principal.sessionId },
      });
    });
    this.sessions.forgetSession(principal.sessionId);
  }
}
