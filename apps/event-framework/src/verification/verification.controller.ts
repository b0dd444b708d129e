import { Body, Controller, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiCookieAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DomainError, fieldError } from '@mailstrata/common';
import { EmailVerificationService, parseVerificationBody, ResolvedSmtpTarget, toSmtpTarget } from '@mailstrata/delivery';
import { ConfigScopeResolver, EffectiveConfigService, EmailConfigService } from '@mailstrata/email-config';
import { Actor, Principal, scopeLevelOf } from '@mailstrata/identity';
import type { FastifyReply } from 'fastify';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';

type SignedIn = Actor & { principal: Principal };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * `POST /event/v1/email/config/verification`: a real test email (or `mode: "connect"`) through the
 * caller's effective profile, or through an unsaved `smtp_config` in the same body (validated with the
 * secret rules of email-config: a new destination must bring its own secret). Glue only: scope and
 * target come from email-config, the test itself from delivery.
 */
@ApiTags('email-config')
@ApiCookieAuth('rsid')
@ApiQuery({ name: 'partner_id', required: false, schema: { type: 'string', format: 'uuid' } })
@ApiQuery({ name: 'org_id', required: false, schema: { type: 'string', format: 'uuid' } })
@Controller('event/v1/email/config')
export class VerificationController {
  constructor(
    private readonly scopes: ConfigScopeResolver,
    private readonly profiles: EmailConfigService,
    private readonly effective: EffectiveConfigService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Post('verification')
  @HttpCode(200)
  @RequirePermissions('system_setting:modify')
  @ApiOperation({
    summary: 'Send a test email (or check connect, TLS and auth with mode "connect") through the effective or an unsaved profile',
  })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        sender_email: { type: 'string' },
        recipient_email: { type: 'string', description: 'Required in send mode; on a route you do not own, your own address' },
        subject: { type: 'string' },
        body: { type: 'string' },
        mode: { type: 'string', enum: ['send', 'connect'] },
        smtp_config: { type: 'object', additionalProperties: true },
      },
    },
  })
  async verify(
    @CurrentActor() actor: SignedIn,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scopeQuery = parseScopeQuery(query);
    const { request, smtpConfig } = parseVerificationBody(body);
    const candidate = smtpConfig !== undefined;
    const scope = await this.scopes.resolve(actor.principal, scopeQuery, candidate ? 'own' : 'effective');
    try {
      await this.verification.checkRateLimit(scope);
    } catch (error) {
      if (error instanceof DomainError && typeof error.extensions.retry_after === 'number')
        void reply.header('retry-after', String(error.extensions.retry_after));
      throw error;
    }
    let target: ResolvedSmtpTarget;
    if (candidate) {
      const prepared = await this.profiles.prepareCandidate(scope, smtpConfig, 'smtp_config');
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
      );
    } else {
      target = toSmtpTarget(
        scope.orgId ? await this.effective.resolveForOrg(scope.orgId) : await this.effective.resolveForPartner(scope.partnerId),
      );
    }
    const caller = { level: scopeLevelOf(actor.principal), email: actor.principal.email };
    return this.verification.verify(actor, { partnerId: scope.partnerId, orgId: scope.orgId }, target, candidate, request, caller);
  }
}

function parseScopeQuery(raw: Record<string, unknown>): { partnerId?: string; orgId?: string } {
  const out: { partnerId?: string; orgId?: string } = {};
  const errors = [];
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (key !== 'partner_id' && key !== 'org_id') errors.push(fieldError(key, 'unknown_field', 'is not a known field'));
    else if (typeof value !== 'string' || !UUID.test(value)) errors.push(fieldError(key, 'isUuid', 'must be a UUID'));
    else out[key === 'partner_id' ? 'partnerId' : 'orgId'] = value.toLowerCase();
  }
  if (errors.length > 0) throw DomainError.invalid('VALIDATION_FAILED', 'The request has invalid fields.', errors);
  return out;
}
