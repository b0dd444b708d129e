import { Controller, Get, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuditErrors, AuditFilterPrefix, auditFiltersDto, AuditQueryService, AuditScope } from '@mailstrata/audit';
import { fieldError, notFound } from '@mailstrata/common';
import { isUUID } from 'class-validator';
import { Actor, Principal, TenantService } from '@mailstrata/identity';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { HttpErrors } from '../http/errors';
import { foldAuditQuery } from './audit-query-params';
import { auditPageView } from './audit-log.views';

type SignedIn = Actor & { principal: Principal };
type RawQuery = Record<string, unknown>;

function idParam(raw: RawQuery, name: string): string | undefined {
  const value = raw[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !isUUID(value)) {
    throw AuditErrors.INVALID_AUDIT_QUERY(undefined, { errors: [fieldError(name, 'isUuid', 'must be a UUID given once')] });
  }
  return value.toLowerCase();
}

/** The filter parameters, documented from the DTO that validates them (spelled `${prefix}name`). */
function FilterQueries(prefix: AuditFilterPrefix): MethodDecorator {
  return ApiQuery({ type: auditFiltersDto(prefix) });
}

/**
 * The auditors' read endpoints (seed paths). Every parameter may be spelled bare or with `filter.`. Scope comes from the session: an org admin sees its org,
 * a partner admin its partner and all its orgs, a controller admin whatever partner or org it names.
 * A foreign partner or org id answers 404, like one that does not exist.
 */
@ApiTags('audit')
@ApiCookieAuth('rsid')
@Controller()
export class AuditLogController {
  constructor(
    private readonly audit: AuditQueryService,
    private readonly tenants: TenantService,
  ) {}

  @Get('event/v1/auditlog')
  @RequirePermissions('audit:read')
  @ApiOperation({ summary: "Organization audit log (SYSTEMAUDIT): the caller's org, or org_id for partner and controller admins" })
  @ApiQuery({ name: 'org_id', required: false, description: 'Required for partner and controller admins' })
  @FilterQueries('filter.')
  async orgLog(@CurrentActor() actor: SignedIn, @Query() given: RawQuery) {
    const raw = foldAuditQuery(given, 'filter.', ['org_id']);
    const filters = this.audit.parseFilters(raw, 'filter.', ['org_id']);
    const orgId = idParam(raw, 'org_id');
    const { principal } = actor;
    let scope: AuditScope;
    if (principal.orgId) {
      if (orgId !== undefined && orgId !== principal.orgId) throw notFound('Organization');
      scope = { kind: 'org', orgId: principal.orgId };
    } else {
      if (orgId === undefined) {
        throw HttpErrors.ORG_ID_REQUIRED(undefined, {
          errors: [fieldError('org_id', 'required', 'is required for partner and controller users')],
        });
      }
      scope = { kind: 'org', orgId: (await this.tenants.findOrganizationInScope(principal, orgId)).id };
    }
    return auditPageView(await this.audit.search(scope, filters), filters);
  }

  @Get('opsauditlogs')
  @RequirePermissions('audit:read')
  @ApiOperation({ summary: "Partner audit log (SYSTEMAUDIT): the partner's own events and all its organizations'" })
  @ApiQuery({ name: 'partner_id', required: false, description: 'Controller admins: the partner to read (omit for all)' })
  @ApiQuery({ name: 'org_id', required: false, description: 'Narrow to one organization of the partner' })
  @FilterQueries('')
  async partnerLog(@CurrentActor() actor: SignedIn, @Query() given: RawQuery) {
    const raw = foldAuditQuery(given, '', ['org_id', 'partner_id']);
    const filters = this.audit.parseFilters(raw, '', ['org_id', 'partner_id']);
    const partnerId = idParam(raw, 'partner_id');
    const orgId = idParam(raw, 'org_id');
    const { principal } = actor;
    if (principal.orgId) {
      throw HttpErrors.PARTNER_SCOPE_REQUIRED();
    }
    let scope: AuditScope;
    if (orgId !== undefined) {
      const org = await this.tenants.findOrganizationInScope(principal, orgId);
      if (partnerId !== undefined && partnerId !== org.partnerId) throw notFound('Organization');
      scope = { kind: 'partner', partnerId: org.partnerId, orgId: org.id };
    } else if (partnerId !== undefined) {
      scope = { kind: 'partner', partnerId: (await this.tenants.findPartnerInScope(principal, partnerId)).id };
    } else if (principal.partnerId) {
      scope = { kind: 'partner', partnerId: principal.partnerId };
    } else {
      scope = { kind: 'all' };
    }
    return auditPageView(await this.audit.search(scope, filters), filters);
  }
}
