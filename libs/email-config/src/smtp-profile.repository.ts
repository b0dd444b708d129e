/**
 * The only code that knows how profiles are stored: every version of a scope is a row, numbered per
 * route; which one is in force (at most one per route); and the single indexed statement that resolution runs when its cache misses. Callers ask for intent
 * (the active profile of a scope and route, what an organization's resolution needs), never for "the
 * row of a scope".
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, IsNull, LessThan } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { ConfigScope } from './profile.model';
import { PRIMARY_ROUTE, ProfileRoute, ProfileState, SmtpProfileEntity } from './smtp-profile.entity';

/** A level's active profiles: its primary route and its secondary (a fallback), either may be absent. */
export interface RouteProfiles {
  primary: SmtpProfileEntity | null;
  secondary: SmtpProfileEntity | null;
}

/** What resolving an organization needs, read in one round trip. */
export interface OrgProfiles {
  partnerId: string;
  smtpOverrideEnabled: boolean;
  /** The org's active profiles; read only while the switch is on (none otherwise). */
  own: RouteProfiles;
  /** The partner's active profiles. */
  partner: RouteProfiles;
}

export interface OrgFacts {
  partnerId: string;
  smtpOverrideEnabled: boolean;
}

/** Profile columns in the raw statements carry this prefix, so they never collide with the joined tables'. */
const P = 'p_';

@Injectable()
export class SmtpProfileRepository {
  private columnsCache: ColumnMetadata[] | undefined;
  private selectListCache: string | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The profile in force for `scope` on `route` (null: none), read through `manager` (a writer's transaction). */
  findActive(manager: EntityManager, scope: ConfigScope, route: ProfileRoute = PRIMARY_ROUTE): Promise<SmtpProfileEntity | null> {
    return manager.findOneBy(SmtpProfileEntity, { ...this.scopeWhere(scope), route, state: 'active' });
  }

  /** Version `version` of `scope` on `route`, whatever its state (null: no such version). */
  findVersion(
    manager: EntityManager,
    scope: ConfigScope,
    version: number,
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<SmtpProfileEntity | null> {
    return manager.findOneBy(SmtpProfileEntity, { ...this.scopeWhere(scope), route, version });
  }

  /** The versions of `scope` on `route`, newest first, `limit` of them below `before` (a version number) when given. */
  listVersions(
    manager: EntityManager,
    scope: ConfigScope,
    page: { limit: number; before?: number },
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<SmtpProfileEntity[]> {
    return manager.find(SmtpProfileEntity, {
      where: { ...this.scopeWhere(scope), route, ...(page.before !== undefined ? { version: LessThan(page.before) } : {}) },
      order: { version: 'DESC' },
      take: page.limit,
    });
  }

  /** The number the next version of `scope` on `route` gets. Callers hold the scope's write lock. */
  async nextVersionNumber(manager: EntityManager, scope: ConfigScope, route: ProfileRoute = PRIMARY_ROUTE): Promise<number> {
    const rows: Array<{ next: number }> = await manager.query(
      scope.orgId
        ? `SELECT coalesce(max(version), 0) + 1 AS next FROM smtp_profiles WHERE org_id = $1 AND route = $2`
        : `SELECT coalesce(max(version), 0) + 1 AS next FROM smtp_profiles WHERE partner_id = $1 AND org_id IS NULL AND route = $2`,
      [scope.orgId ?? scope.partnerId, route],
    );
    return Number(rows[0]!.next);
  }

  /** A new, unsaved version of `scope` on `route`. */
  newVersion(
    manager: EntityManager,
    scope: ConfigScope,
    init: { id: string; version: number; state: ProfileState; now: Date; route?: ProfileRoute },
  ): SmtpProfileEntity {
    return manager.create(SmtpProfileEntity, {
      id: init.id,
      partnerId: scope.partnerId,
      orgId: scope.orgId,
      route: init.route ?? PRIMARY_ROUTE,
      state: init.state,
      version: init.version,
      createdAt: init.now,
      updatedAt: init.now,
      activatedAt: init.state === 'active' ? init.now : null,
    });
  }

  /** Inserts a new version (rows are never rewritten: see `setState`). */
  async insert(manager: EntityManager, entity: SmtpProfileEntity): Promise<void> {
    await manager.insert(SmtpProfileEntity, entity);
  }

  /** The only change a version ever sees after it is written: it leaves or enters force. */
  async setState(manager: EntityManager, entity: SmtpProfileEntity, state: ProfileState, at: Date): Promise<void> {
    const activatedAt = state === 'active' ? at : entity.activatedAt;
    await manager.update(SmtpProfileEntity, { id: entity.id }, { state, activatedAt });
    entity.state = state;
    entity.activatedAt = activatedAt;
  }

  private scopeWhere(scope: ConfigScope): FindOptionsWhere<SmtpProfileEntity> {
    return scope.orgId ? { orgId: scope.orgId } : { partnerId: scope.partnerId, orgId: IsNull() };
  }

  /** An organization's partner and switch, read now (no cache); null when it does not exist. */
  async findOrg(orgId: string): Promise<OrgFacts | null> {
    const rows: Array<{ partner_id: string; smtp_override_enabled: boolean }> = await this.dataSource.query(
      `SELECT partner_id, smtp_override_enabled FROM organizations WHERE id = $1`,
      [orgId],
    );
    const row = rows[0];
    return row ? { partnerId: row.partner_id, smtpOverrideEnabled: row.smtp_override_enabled } : null;
  }

  /**
   * Everything resolving an organization needs, in one statement: the organization (primary key), its
   * own active profiles (both routes) when its switch is on and its partner's (each through the partial
   * unique index of its level). Null when the organization does not exist.
   */
  async findEffectiveForOrg(orgId: string): Promise<OrgProfiles | null> {
    const { text, params } = this.effectiveForOrgStatement(orgId);
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(text, params);
    const first = rows[0];
    if (!first) return null;
    const of = (level: string, route: ProfileRoute) => {
      const row = rows.find((r) => r.p_level === level && r[`${P}route`] === route);
      return row ? this.hydrate(row) : null;
    };
    return {
      partnerId: first.org_partner_id as string,
      smtpOverrideEnabled: first.org_override as boolean,
      own: { primary: of('org', PRIMARY_ROUTE), secondary: of('org', 'secondary') },
      partner: { primary: of('partner', PRIMARY_ROUTE), secondary: of('partner', 'secondary') },
    };
  }

  /** The statement `findEffectiveForOrg` runs (public so that the benchmark can EXPLAIN exactly it). */
  effectiveForOrgStatement(orgId: string): { text: string; params: unknown[] } {
    return {
      text: `SELECT o.partner_id AS org_partner_id, o.smtp_override_enabled AS org_override, p.level AS p_level, ${this.selectList()}
         FROM organizations o
         LEFT JOIN LATERAL (
           SELECT 'org' AS level, x.* FROM smtp_profiles x
            WHERE o.smtp_override_enabled AND x.org_id = o.id AND x.state = 'active'
           UNION ALL
           SELECT 'partner' AS level, y.* FROM smtp_profiles y
            WHERE y.partner_id = o.partner_id AND y.org_id IS NULL AND y.state = 'active'
         ) p ON true
        WHERE o.id = $1`,
      params: [orgId],
    };
  }

  /** A partner's active profiles (both routes), in one statement; null when the partner does not exist. */
  async findEffectiveForPartner(partnerId: string): Promise<RouteProfiles | null> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT pa.id AS partner_found, ${this.selectList()}
         FROM partners pa
         LEFT JOIN smtp_profiles p ON p.partner_id = pa.id AND p.org_id IS NULL AND p.state = 'active'
        WHERE pa.id = $1`,
      [partnerId],
    );
    if (rows.length === 0) return null;
    const of = (route: ProfileRoute) => {
      const row = rows.find((r) => r[`${P}id`] !== null && r[`${P}route`] === route);
      return row ? this.hydrate(row) : null;
    };
    return { primary: of(PRIMARY_ROUTE), secondary: of('secondary') };
  }

  private columns(): ColumnMetadata[] {
    return (this.columnsCache ??= this.dataSource.getMetadata(SmtpProfileEntity).columns);
  }

  private selectList(): string {
    return (this.selectListCache ??= this.columns()
      .map((c) => `p.${c.databaseName} AS ${P}${c.databaseName}`)
      .join(', '));
  }

  /** A raw row's prefixed profile columns as an entity, converted exactly as TypeORM's own reads convert them. */
  private hydrate(row: Record<string, unknown>): SmtpProfileEntity {
    const entity = new SmtpProfileEntity();
    for (const column of this.columns()) {
      column.setEntityValue(entity, this.dataSource.driver.prepareHydratedValue(row[`${P}${column.databaseName}`], column));
    }
    return entity;
  }
}
