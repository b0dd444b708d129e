import { Body, Controller, Delete, Get, Headers, HttpCode, Put, Query, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConfigScopeResolver, NotificationRecipientsService, StoredNotificationRecipients } from '@mailstrata/email-config';
import { Actor, Principal } from '@mailstrata/identity';
import type { FastifyReply } from 'fastify';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { ScopeQueryDto, scopeQueryOf } from '../http/scope-query.dto';
import { NotificationRecipientsDto } from './notifications.dto';

type SignedIn = Actor & { principal: Principal };

function view(r: StoredNotificationRecipients) {
  return {
    admin_address: r.admin,
    alerting_address: r.alerting,
    reporting_address: r.reporting,
    version: r.version,
    updated_at: r.updatedAt.toISOString(),
    updated_by: r.updatedByEmail,
  };
}

/** A scope's notification recipients: who is told when its route fails or recovers, and who gets its reports. */
@ApiTags('email-config')
@ApiCookieAuth('rsid')
@Controller('event/v1/email/config/notifications')
export class NotificationRecipientsController {
  constructor(
    private readonly scopes: ConfigScopeResolver,
    private readonly recipients: NotificationRecipientsService,
  ) {}

  @Get()
  @RequirePermissions('system_setting:read')
  @ApiOperation({ summary: 'The scope’s admin, alerting and reporting addresses' })
  async get(@CurrentActor() actor: SignedIn, @Query() query: ScopeQueryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    // Recipients apply whether or not the org's own SMTP is switched on (reports are about its email).
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'effective');
    const stored = await this.recipients.get(scope);
    void reply.header('etag', stored.etag);
    return view(stored);
  }

  @Put()
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Set the scope’s notification recipients (all three; 201 when created)' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag of the recipients being replaced, or *' })
  async put(
    @CurrentActor() actor: SignedIn,
    @Query() query: ScopeQueryDto,
    @Body() body: NotificationRecipientsDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'effective');
    const { recipients, created } = await this.recipients.put(
      actor,
      scope,
      { admin: body.admin_address ?? [], alerting: body.alerting_address ?? [], reporting: body.reporting_address ?? [] },
      { ifMatch },
    );
    void reply.status(created ? 201 : 200).header('etag', recipients.etag);
    return view(recipients);
  }

  @Delete()
  @HttpCode(204)
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Remove the scope’s notification recipients' })
  @ApiHeader({ name: 'If-Match', required: false })
  async delete(
    @CurrentActor() actor: SignedIn,
    @Query() query: ScopeQueryDto,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'effective');
    await this.recipients.delete(actor, scope, { ifMatch });
  }
}
