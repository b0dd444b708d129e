import { Body, Controller, Delete, Get, Header, Headers, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { profileKeyOf, ProfileHealthRecorder } from '@mailstrata/delivery';
import { ConfigScopeResolver, EffectiveConfigService, EmailConfigService, representationEtagOf } from '@mailstrata/email-config';
import { Actor, Principal } from '@mailstrata/identity';
import type { FastifyReply } from 'fastify';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { ScopeQueryDto, scopeQueryOf } from '../http/scope-query.dto';
import { EmailConfigBodyDto, EmailConfigPatchBodyDto } from './email-config.dto';
import { effectiveJson, profileView } from './email-config.views';
import { RouteQueryDto, routeOf } from './route-query.dto';

type SignedIn = Actor & { principal: Principal };

/** The seed's `/event/v1/email/config`: the caller's own SMTP profile, and the effective one. */
@ApiTags('email-config')
@ApiCookieAuth('rsid')
@Controller('event/v1/email/config')
export class EmailConfigController {
  constructor(
    private readonly scopes: ConfigScopeResolver,
    private readonly profiles: EmailConfigService,
    private readonly effective: EffectiveConfigService,
    private readonly health: ProfileHealthRecorder,
  ) {}

  @Get()
  @RequirePermissions('system_setting:read')
  @ApiOperation({ summary: 'The scope’s own SMTP profile (secrets never returned; *_set flags instead)' })
  async get(@CurrentActor() actor: SignedIn, @Query() query: RouteQueryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'own');
    const route = routeOf(query);
    const profile = await this.profiles.get(scope, route);
    const health = await this.health.read(
      profileKeyOf(
        { source: scope.level === 'org' ? 'org' : 'partner', profilePartnerId: scope.partnerId, profileOrgId: scope.orgId },
        route,
      ),
      String(profile.version),
    );
    // The answer shows health too, so its tag covers it: a conditional GET never hides a new failure.
    void reply.header('etag', representationEtagOf(profile.etag, health));
    return profileView(profile, health);
  }

  @Post()
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Create (201) or replace (200) the scope’s SMTP profile' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag of the profile being replaced, or *' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: '* to create only' })
  async createOrReplace(
    @CurrentActor() actor: SignedIn,
    @Query() query: RouteQueryDto,
    @Body() body: EmailConfigBodyDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'own');
    const { profile, created } = await this.profiles.createOrReplace(
      actor,
      scope,
      body.email_config.smtp_config,
      { ifMatch, ifNoneMatch },
      routeOf(query),
    );
    void reply.status(created ? 201 : 200).header('etag', profile.etag);
    return profileView(profile);
  }

  @Patch()
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Change only the given fields (null resets a field; a null secret clears it)' })
  @ApiHeader({ name: 'If-Match', required: false })
  async patch(
    @CurrentActor() actor: SignedIn,
    @Query() query: RouteQueryDto,
    @Body() body: EmailConfigPatchBodyDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'own');
    const { profile } = await this.profiles.patch(actor, scope, body.email_config.smtp_config, { ifMatch }, routeOf(query));
    void reply.header('etag', profile.etag);
    return profileView(profile);
  }

  @Delete()
  @HttpCode(204)
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Remove the scope’s SMTP profile; the level above applies at once' })
  @ApiHeader({ name: 'If-Match', required: false })
  async delete(
    @CurrentActor() actor: SignedIn,
    @Query() query: RouteQueryDto,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'own');
    await this.profiles.delete(actor, scope, { ifMatch }, routeOf(query));
  }

  @Get('effective')
  @RequirePermissions('system_setting:read')
  @ApiOperation({
    summary: 'The profile a system email for this scope would use now, which level supplies it, and that level’s secondary route',
  })
  @Header('content-type', 'application/json; charset=utf-8')
  async effectiveProfile(@CurrentActor() actor: SignedIn, @Query() query: ScopeQueryDto): Promise<string> {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'effective');
    // Serialized once per cached resolution: the hot path sends the stored JSON.
    return effectiveJson(await this.effective.effectiveFor(scope));
  }
}
