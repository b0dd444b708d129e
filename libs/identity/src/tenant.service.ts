/**
 * Partners, organizations and users. Every read and write is scoped to the caller: a partner admin
 * sees its own partner and its organizations, an org admin its organization. An id outside the
 * caller's scope is answered exactly like an id that does not exist (404), never 403.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditWriter } from '@mailstrata/audit';
import { CommonErrors, DomainError, ErrorFactory, fieldError, notFound, validationFailed } from '@mailstrata/common';
import { ChangeBus } from '@mailstrata/database';
import { DataSource, EntityManager } from 'typeorm';
import { OrganizationEntity, PartnerEntity, UserEntity } from './entities';
import { IdentityErrorCode, IdentityErrors } from './errors';
import { OrganizationCreated, PartnerCreated, SmtpOverrideChanged, UserCreated } from './identity.events';
import { Onboarding, PasswordOnboarding, PreparedAccount } from './onboarding';
import { uniqueViolation } from './pg-errors';
import { Actor, Principal } from './principal';
import type { NewAccount } from './onboarding';
import { assignableRoles, Role } from './roles';

export const ORGANIZATION_TOPIC = 'organization';

export interface CreateUserInput extends NewAccount {
  role: Role;
  partnerId?: string;
  orgId?: string;
}

type ScopedActor = Actor & { principal: Principal };

function emailTaken(field: string): DomainError {
  return IdentityErrors.EMAIL_TAKEN(undefined, { errors: [fieldError(field, 'unique', 'is already used by another user')] });
}

@Injectable()
export class TenantService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
    private readonly bus: ChangeBus,
    private readonly passwords: PasswordOnboarding,
  ) {}

  // ---- partners ------------------------------------------------------------------------------------

  async createPartner(actor: ScopedActor, input: { name: string; admin: NewAccount }, onboarding: Onboarding) {
    this.requireController(actor.principal);
    const credentials = await onboarding.prepare(input.admin, 'admin.password', { partnerId: null, orgId: null });
    return this.dataSource.transaction(async (manager) => {
      const partner = await this.insertOrConflict(
        () => manager.save(manager.create(PartnerEntity, { name: input.name.trim() })),
        IdentityErrors.PARTNER_EXISTS,
        'name',
      );
      await this.audit.record(manager, PartnerCreated, {
        outcome: 'success',
        actor,
        partnerId: partner.id,
        resource: { type: 'partner', id: partner.id },
        details: { name: partner.name },
      });
      const admin = await this.insertUser(manager, actor, credentials, 'partner_admin', partner.id, null, 'admin.email');
      await onboarding.afterUserCreated(manager, admin, actor, { partnerName: partner.name, organizationName: null });
      return { partner: await manager.findOneByOrFail(PartnerEntity, { id: partner.id }), admin };
    });
  }

  async listPartners(principal: Principal): Promise<PartnerEntity[]> {
    const repo = this.dataSource.getRepository(PartnerEntity);
    if (principal.partnerId === null) return repo.find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return repo.find({ where: { id: principal.partnerId } });
  }

  // ---- organizations -------------------------------------------------------------------------------

  async createOrganization(actor: ScopedActor, input: { name: string; partnerId?: string; admin: NewAccount }, onboarding: Onboarding) {
    const partnerId = await this.partnerForNewOrganization(actor.principal, input.partnerId);
    // A new organization's SMTP switch is off: its admin's email goes through the partner's profile.
    const credentials = await onboarding.prepare(input.admin, 'admin.password', { partnerId, orgId: null });
    return this.dataSource.transaction(async (manager) => {
      const org = await this.insertOrConflict(
        () => manager.save(manager.create(OrganizationEntity, { name: input.name.trim(), partnerId })),
        IdentityErrors.ORGANIZATION_EXISTS,
        'name',
      );
      await this.audit.record(manager, OrganizationCreated, {
        outcome: 'success',
        actor,
        partnerId,
        orgId: org.id,
        resource: { type: 'organization', id: org.id },
        details: { name: org.name },
      });
      const admin = await this.insertUser(manager, actor, credentials, 'org_admin', partnerId, org.id, 'admin.email');
      const partner = await manager.findOneByOrFail(PartnerEntity, { id: partnerId });
      await onboarding.afterUserCreated(manager, admin, actor, { partnerName: partner.name, organizationName: org.name });
      return { organization: await manager.findOneByOrFail(OrganizationEntity, { id: org.id }), admin };
    });
  }

  async listOrganizations(principal: Principal, filter: { partnerId?: string } = {}): Promise<OrganizationEntity[]> {
    const qb = this.dataSource.getRepository(OrganizationEntity).createQueryBuilder('o').orderBy('o.created_at', 'ASC').addOrderBy('o.id');
    if (principal.orgId) qb.andWhere('o.id = :orgId', { orgId: principal.orgId });
    else if (principal.partnerId) qb.andWhere('o.partner_id = :partnerId', { partnerId: principal.partnerId });
    if (filter.partnerId) qb.andWhere('o.partner_id = :filterPartner', { filterPartner: filter.partnerId });
    return qb.getMany();
  }

  /** The organization if the caller may see it; otherwise the same 404 as a missing one. */
  async findOrganizationInScope(principal: Principal, orgId: string, manager?: EntityManager): Promise<OrganizationEntity> {
    const org = await (manager ?? this.dataSource.manager).findOneBy(OrganizationEntity, { id: orgId });
    if (!org || !this.canSeeOrganization(principal, org)) throw notFound('Organization');
    return org;
  }

  /** The partner if the caller may see it; otherwise 404. */
  async findPartnerInScope(principal: Principal, partnerId: string, manager?: EntityManager): Promise<PartnerEntity> {
    const partner = await (manager ?? this.dataSource.manager).findOneBy(PartnerEntity, { id: partnerId });
    if (!partner || (principal.partnerId !== null && principal.partnerId !== partner.id) || principal.orgId !== null) {
      throw notFound('Partner');
    }
    return partner;
  }

  async setSmtpOverride(actor: ScopedActor, orgId: string, enabled: boolean): Promise<OrganizationEntity> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OrganizationEntity[] = await manager
        .createQueryBuilder(OrganizationEntity, 'o')
        .setLock('pessimistic_write')
        .where('o.id = :orgId', { orgId })
        .getMany();
      const org = rows[0];
      if (!org || !this.canSeeOrganization(actor.principal, org)) throw notFound('Organization');
      const previous = org.smtpOverrideEnabled;
      await manager.update(OrganizationEntity, { id: org.id }, { smtpOverrideEnabled: enabled, updatedAt: () => 'now()' });
      await this.audit.record(manager, SmtpOverrideChanged, {
        outcome: 'success',
        actor,
        partnerId: org.partnerId,
        orgId: org.id,
        resource: { type: 'organization', id: org.id },
        details: { enabled, previous },
      });
      await this.bus.publish(manager, { topic: ORGANIZATION_TOPIC, key: org.id });
      return manager.findOneByOrFail(OrganizationEntity, { id: org.id });
    });
  }

  // ---- users ---------------------------------------------------------------------------------------

  async createUser(actor: ScopedActor, input: CreateUserInput, onboarding: Onboarding): Promise<UserEntity> {
    const { principal } = actor;
    // Service accounts hold no role and cannot add people.
    if (principal.kind !== 'user') throw IdentityErrors.USERS_ONLY('Service accounts cannot create users.');
    if (!assignableRoles(principal.role).includes(input.role)) {
      throw IdentityErrors.ROLE_NOT_ASSIGNABLE(`A ${principal.role} cannot create a ${input.role}.`);
    }
    const { partnerId, orgId } = await this.scopeForNewUser(principal, input);
    const credentials = await onboarding.prepare(input, 'password', { partnerId, orgId });
    return this.dataSource.transaction(async (manager) => {
      const user = await this.insertUser(manager, actor, credentials, input.role, partnerId, orgId, 'email');
      const partner = partnerId ? await manager.findOneByOrFail(PartnerEntity, { id: partnerId }) : null;
      const org = orgId ? await manager.findOneByOrFail(OrganizationEntity, { id: orgId }) : null;
      await onboarding.afterUserCreated(manager, user, actor, { partnerName: partner?.name ?? null, organizationName: org?.name ?? null });
      return user;
    });
  }

  /** Creates the first controller admin when there is no user at all; safe across racing replicas. */
  async bootstrapControllerAdmin(email: string, password: string): Promise<UserEntity | undefined> {
    const credentials = await this.passwords.prepare({ email, password }, 'BOOTSTRAP_ADMIN_PASSWORD');
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(827310443)');
      const [{ count }] = await manager.query('SELECT count(*)::int AS count FROM users');
      if (count > 0) return undefined;
      return this.insertUser(manager, null, credentials, 'controller_admin', null, null, 'email', true);
    });
  }

  async countUsers(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  // ---- internals -----------------------------------------------------------------------------------

  private canSeeOrganization(principal: Principal, org: OrganizationEntity): boolean {
    if (principal.orgId) return principal.orgId === org.id;
    if (principal.partnerId) return principal.partnerId === org.partnerId;
    return true;
  }

  private requireController(principal: Principal): void {
    if (principal.partnerId !== null) {
      throw CommonErrors.FORBIDDEN('Only a controller administrator may do this.');
    }
  }

  private async partnerForNewOrganization(principal: Principal, partnerId: string | undefined): Promise<string> {
    if (principal.orgId) throw CommonErrors.FORBIDDEN('Organization users cannot create organizations.');
    if (principal.partnerId) {
      if (partnerId !== undefined && partnerId !== principal.partnerId) throw notFound('Partner');
      return principal.partnerId;
    }
    if (partnerId === undefined) {
      throw validationFailed(
        [fieldError('partner_id', 'required', 'is required for a controller administrator')],
        'A controller administrator must name the partner.',
      );
    }
    await this.findPartnerInScope(principal, partnerId);
    return partnerId;
  }

  private async scopeForNewUser(principal: Principal, input: CreateUserInput): Promise<{ partnerId: string | null; orgId: string | null }> {
    const refuse = (field: string, message: string) =>
      validationFailed([fieldError(field, 'notAllowed', message)], `The ${input.role} role does not take this field.`);
    if (input.orgId !== undefined) {
      if (input.role === 'controller_admin' || input.role === 'partner_admin') {
        throw refuse('org_id', `must be absent for role ${input.role}`);
      }
      const org = await this.findOrganizationInScope(principal, input.orgId);
      if (input.partnerId !== undefined && input.partnerId !== org.partnerId) throw notFound('Organization');
      return { partnerId: org.partnerId, orgId: org.id };
    }
    if (input.role === 'controller_admin') {
      if (input.partnerId !== undefined) throw refuse('partner_id', 'must be absent for role controller_admin');
      return { partnerId: null, orgId: null };
    }
    if (principal.orgId) {
      // An org admin adds users to its own organization; naming any other partner is refused like a missing one, never ignored.
      if (input.partnerId !== undefined && input.partnerId !== principal.partnerId) throw notFound('Partner');
      return { partnerId: principal.partnerId, orgId: principal.orgId };
    }
    if (input.role === 'org_admin') {
      throw validationFailed(
        [fieldError('org_id', 'required', 'is required for role org_admin')],
        'An organization administrator needs an organization.',
      );
    }
    const partnerId = input.partnerId ?? principal.partnerId ?? undefined;
    if (partnerId === undefined) {
      if (input.role === 'auditor') return { partnerId: null, orgId: null };
      throw validationFailed(
        [fieldError('partner_id', 'required', `is required for role ${input.role}`)],
        'A controller administrator must name the partner.',
      );
    }
    await this.findPartnerInScope(principal, partnerId);
    return { partnerId, orgId: null };
  }

  private async insertUser(
    manager: EntityManager,
    actor: Actor | null,
    credentials: PreparedAccount,
    role: Role,
    partnerId: string | null,
    orgId: string | null,
    emailField: string,
    bootstrap = false,
  ): Promise<UserEntity> {
    const user = await this.insertOrConflict(
      () =>
        manager.save(
          manager.create(UserEntity, {
            email: credentials.email,
            passwordHash: credentials.passwordHash,
            role,
            partnerId,
            orgId,
            status: credentials.status,
            passwordChangedAt: new Date(),
          }),
        ),
      IdentityErrors.EMAIL_TAKEN,
      emailField,
    );
    await this.audit.record(manager, UserCreated, {
      outcome: 'success',
      actor,
      partnerId,
      orgId,
      resource: { type: 'user', id: user.id },
      details: { email: user.email, role, status: credentials.status, bootstrap },
    });
    return manager.findOneByOrFail(UserEntity, { id: user.id });
  }

  private async insertOrConflict<T>(insert: () => Promise<T>, conflict: ErrorFactory<IdentityErrorCode>, field: string): Promise<T> {
    try {
      return await insert();
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === undefined) throw error;
      if (constraint === 'users_email_key') throw emailTaken(field);
      throw conflict(undefined, { errors: [fieldError(field, 'unique', 'is already taken')] });
    }
  }
}
