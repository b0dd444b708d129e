import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConfigScopeResolver, ProfileVersionsService } from '@mailstrata/email-config';
import { Actor, Principal } from '@mailstrata/identity';
import type { FastifyReply } from 'fastify';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { scopeQueryOf } from '../http/scope-query.dto';
import { RouteQueryDto, routeOf } from './route-query.dto';
import { DraftBodyDto, VersionListQueryDto, VersionParamDto } from './email-config-versions.dto';
import { profileView, versionSummaryView, versionView } from './email-config.views';

type SignedIn = Actor & { principal: Principal };

const DEFAULT_PAGE = 50;

/**
 * `/event/v1/email/config/versions`: the history of the scope's own profile, drafts, and activation
 * (a draft, or an earlier version again). Same scope rules as the profile itself.
 */
@ApiTags('email-config')
@ApiCookieAuth('rsid')
@Controller('event/v1/email/config/versions')
export class EmailConfigVersionsController {
  constructor(
    private readonly scopes: ConfigScopeResolver,
    private readonly versions: ProfileVersionsService,
  ) {}

  @Get()
  @RequirePermissions('system_setting:read')
  @ApiOperation({ summary: 'The versions of the scope’s SMTP profile, newest first (never secrets; *_set flags instead)' })
  async list(@CurrentActor() actor: SignedIn, @Query() query: VersionListQueryDto) {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'own');
    const page = await this.versions.list(
      scope,
      { limit: query.limit ?? DEFAULT_PAGE, ...(query.before ? { before: query.before } : {}) },
      routeOf(query),
    );
    return { versions: page.map(versionSummaryView) };
  }

  @Get(':version')
  @RequirePermissions('system_setting:read')
  @ApiOperation({ summary: 'One version of the scope’s SMTP profile, in the shape of GET …/config' })
  async get(@CurrentActor() actor: SignedIn, @Query() query: RouteQueryDto, @Param() params: VersionParamDto) {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'own');
    return versionView(await this.versions.get(scope, params.version, routeOf(query)));
  }

  @Post()
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Save a draft version (not in force; test it with the verification endpoint’s "version", then activate it)' })
  async saveDraft(
    @CurrentActor() actor: SignedIn,
    @Query() query: RouteQueryDto,
    @Body() body: DraftBodyDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'own');
    const route = routeOf(query);
    const draft = await this.versions.saveDraft(
      actor,
      scope,
      { smtpConfig: body.email_config.smtp_config, ...(body.based_on !== undefined ? { basedOn: body.based_on } : {}) },
      route,
    );
    const routeParam = route === 'primary' ? '' : `?route=${route}`;
    void reply.status(201).header('location', `/event/v1/email/config/versions/${draft.version}${routeParam}`);
    return versionView(draft);
  }

  @Post(':version/activate')
  @HttpCode(200)
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Put a version in force: a draft, or an earlier version again (rollback); the current one is superseded' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag of the profile in force now (GET …/config), or *' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: '* to activate only while no version is in force' })
  async activate(
    @CurrentActor() actor: SignedIn,
    @Query() query: RouteQueryDto,
    @Param() params: VersionParamDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'own');
    const { profile } = await this.versions.activate(actor, scope, params.version, { ifMatch, ifNoneMatch }, routeOf(query));
    // The new tag of the profile in force: the next write's If-Match.
    void reply.header('etag', profile.etag);
    return profileView(profile);
  }
}
