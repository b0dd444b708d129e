import { Body, Controller, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommonErrors } from '@mailstrata/common';
import { EmailVerificationService, ResolvedSmtpTarget, SmtpRouteResolver, toSmtpTarget, VerificationRequest } from '@mailstrata/delivery';
import {
  ConfigScope,
  ConfigScopeResolver,
  EffectiveConfigService,
  EmailConfigErrors,
  EmailConfigService,
  ProfileRoute,
  ProfileVersionsService,
} from '@mailstrata/email-config';
import { Actor, IdentityErrors, Principal, scopeLevelOf } from '@mailstrata/identity';
import type { FastifyReply } from 'fastify';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { scopeQueryOf } from '../http/scope-query.dto';
import { RouteQueryDto, routeOf } from '../email-config/route-query.dto';
import { VerificationBodyDto } from './verification.dto';

type SignedIn = Actor & { principal: Principal };

/**
 * `POST /event/v1/email/config/verification`: a real test email (or `mode: "connect"`) through the
 * caller's effective profile, through a saved `version` of the scope's own profile (a draft before it is
 * activated), or through an unsaved `smtp_config` in the same body (validated with the
 * secret rules of email-config: a new destination must bring its own secret). Glue only: scope and
 * target come from email-config, the test itself from delivery.
 */
@ApiTags('email-config')
@ApiCookieAuth('rsid')
@Controller('event/v1/email/config')
export class VerificationController {
  constructor(
    private readonly scopes: ConfigScopeResolver,
    private readonly profiles: EmailConfigService,
    private readonly versions: ProfileVersionsService,
    private readonly effective: EffectiveConfigService,
    private readonly verification: EmailVerificationService,
    private readonly routes: SmtpRouteResolver,
  ) {}

  @Post('verification')
  @HttpCode(200)
  @RequirePermissions('system_setting:modify')
  @ApiOperation({
    summary: 'Send a test email (or check connect, TLS and auth with mode "connect") through the effective or an unsaved profile',
  })
  async verify(
    @CurrentActor() actor: SignedIn,
    @Query() query: RouteQueryDto,
    @Body() body: VerificationBodyDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const request: VerificationRequest = {
      mode: body.mode ?? 'send',
      senderEmail: body.sender_email ?? undefined,
      recipientEmail: body.recipient_email ?? undefined,
      subject: body.subject ?? undefined,
      body: body.body ?? undefined,
    };
    const smtpConfig = body.smtp_config;
    const version = body.version;
    const route = routeOf(query);
    // An unsaved profile or a saved version that may not be in force: the caller's own, never the effective route.
    const candidate = smtpConfig !== undefined || version !== undefined;
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), candidate ? 'own' : 'effective');
    try {
      await this.verification.checkRateLimit(scope);
    } catch (error) {
      if (CommonErrors.RATE_LIMITED.is(error) && typeof error.extensions.retry_after === 'number')
        void reply.header('retry-after', String(error.extensions.retry_after));
      throw error;
    }
    let target: ResolvedSmtpTarget;
    if (version !== undefined) {
      const prepared = await this.versions.prepareVersion(scope, version, route);
      target = toSmtpTarget(
        {
          source: scope.level,
          profileId: prepared.profile.id,
          profilePartnerId: scope.partnerId,
          profileOrgId: scope.orgId,
          version,
          settings: prepared.settings,
          secrets: prepared.secrets,
          sender: this.effective.senderFor(prepared.settings, scope.level),
        },
        // A test of a version is not traffic of the route in force: its own transport, no health record.
        ':tested-version',
        route,
      );
    } else if (smtpConfig !== undefined) {
      const prepared = await this.profiles.prepareCandidate(scope, smtpConfig, 'smtp_config', route);
      target = toSmtpTarget(
        {
          source: scope.level,
          profilePartnerId: scope.partnerId,
          profileOrgId: scope.orgId,
          version: null,
          ...prepared,
          sender: this.effective.senderFor(prepared.settings, scope.level),
        },
        // Never share a pooled transport or health record with the saved profile.
        ':candidate',
        route,
      );
    } else {
      // The saved route: a resolution that fails (no route at any level, a secret file not mounted) is a
      // failed test too, and the audit log says so.
      try {
        target = await this.savedRoute(scope, route);
      } catch (error) {
        if (EmailConfigErrors.NO_SMTP_CONFIG.is(error) || EmailConfigErrors.SECRET_REF_UNAVAILABLE.is(error)) {
          await this.verification.recordUnresolved(actor, { partnerId: scope.partnerId, orgId: scope.orgId }, request.mode, error);
        }
        throw error;
      }
    }
    const { principal } = actor;
    // Test emails go to the tester's own address; only people have one (service accounts never hold system_setting:modify).
    if (principal.kind !== 'user') throw IdentityErrors.USERS_ONLY();
    const caller = { level: scopeLevelOf(principal), email: principal.email };
    return this.verification.verify(actor, { partnerId: scope.partnerId, orgId: scope.orgId }, target, candidate, request, caller, {
      version: version ?? null,
    });
  }

  /** The route in force for the scope: the primary, or the secondary that failover would use now. */
  private async savedRoute(scope: ConfigScope, route: ProfileRoute): Promise<ResolvedSmtpTarget> {
    if (route === 'secondary') {
      // The secondary of the level that supplies the primary.
      const { secondary } = await this.routes.resolveRoutes({ partnerId: scope.partnerId, orgId: scope.orgId });
      if (!secondary) throw EmailConfigErrors.SMTP_PROFILE_NOT_FOUND('No secondary route applies to this scope.');
      return secondary;
    }
    return toSmtpTarget(
      scope.orgId ? await this.effective.resolveForOrg(scope.orgId) : await this.effective.resolveForPartner(scope.partnerId),
    );
  }
}
