import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConfigScope, ConfigScopeResolver } from '@mailstrata/email-config';
import { Actor, Principal } from '@mailstrata/identity';
import { TemplateEditor, TemplateScope, TemplateService } from '@mailstrata/templates';
import type { FastifyReply } from 'fastify';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { ScopeQueryDto, scopeQueryOf } from '../http/scope-query.dto';
import { BrandingBodyDto, PreviewBodyDto, TemplateBodyDto } from './templates.dto';
import { brandingOf, brandingView, listView, previewView, sourceOf, templateView } from './templates.views';

type SignedIn = Actor & { principal: Principal };

const editorOf = (actor: SignedIn): TemplateEditor => ({ ...actor, orgUser: actor.principal.orgId !== null });

/**
 * `/event/v1/email/templates`: system email templates per kind and branding for the caller's scope
 * (partner admin: its partner or `?org_id=`; org admin: its org; controller admin: `?partner_id=` or
 * `?org_id=`), scoped like the email configuration. Org overrides follow the org's SMTP switch.
 */
@ApiTags('email-templates')
@ApiCookieAuth('rsid')
@Controller('event/v1/email/templates')
export class TemplatesController {
  constructor(
    private readonly scopes: ConfigScopeResolver,
    private readonly templates: TemplateService,
  ) {}

  @Get()
  @RequirePermissions('system_setting:read')
  @ApiOperation({
    summary: 'Every kind, the level that supplies it for this scope (built-in, partner, org), and the scope’s own overrides',
  })
  async list(@CurrentActor() actor: SignedIn, @Query() query: ScopeQueryDto) {
    const scope = await this.scope(actor, query);
    return listView(scope, await this.templates.list(scope));
  }

  @Get('branding')
  @RequirePermissions('system_setting:read')
  @ApiOperation({ summary: 'The scope’s own branding, else the branding in effect from above' })
  async getBranding(@CurrentActor() actor: SignedIn, @Query() query: ScopeQueryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const scope = await this.scope(actor, query);
    const body = brandingView(scope, await this.templates.branding(scope));
    if (body.own) void reply.header('etag', body.own.etag);
    return body;
  }

  @Put('branding')
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Create (201) or replace (200) the scope’s branding, used by every kind' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag of the branding being replaced, or *' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: '* to create only' })
  async putBranding(
    @CurrentActor() actor: SignedIn,
    @Query() query: ScopeQueryDto,
    @Body() body: BrandingBodyDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scope = await this.scope(actor, query);
    const { created } = await this.templates.putBranding(editorOf(actor), scope, brandingOf(body), { ifMatch, ifNoneMatch });
    const view = brandingView(scope, await this.templates.branding(scope));
    void reply.status(created ? 201 : 200).header('etag', view.own!.etag);
    return view;
  }

  @Delete('branding')
  @HttpCode(204)
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Remove the scope’s branding; the level above applies at once' })
  @ApiHeader({ name: 'If-Match', required: false })
  async deleteBranding(@CurrentActor() actor: SignedIn, @Query() query: ScopeQueryDto, @Headers('if-match') ifMatch: string | undefined) {
    await this.templates.deleteBranding(editorOf(actor), await this.scope(actor, query), { ifMatch });
  }

  @Get(':kind')
  @RequirePermissions('system_setting:read')
  @ApiOperation({ summary: 'The scope’s own template of a kind, else the one in effect, with the kind’s variables' })
  async get(
    @CurrentActor() actor: SignedIn,
    @Param('kind') kind: string,
    @Query() query: ScopeQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scope = await this.scope(actor, query);
    const body = templateView(scope, await this.templates.get(scope, kind));
    if (body.own) void reply.header('etag', body.own.etag);
    return body;
  }

  @Put(':kind')
  @RequirePermissions('system_setting:modify')
  @ApiOperation({
    summary: 'Create (201) or replace (200) the scope’s template of a kind; refused (400) with part, line and column if it does not parse',
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag of the template being replaced, or *' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: '* to create only' })
  async put(
    @CurrentActor() actor: SignedIn,
    @Param('kind') kind: string,
    @Query() query: ScopeQueryDto,
    @Body() body: TemplateBodyDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scope = await this.scope(actor, query);
    const { created } = await this.templates.put(editorOf(actor), scope, kind, sourceOf(body), { ifMatch, ifNoneMatch });
    const view = templateView(scope, await this.templates.get(scope, kind));
    void reply.status(created ? 201 : 200).header('etag', view.own!.etag);
    return view;
  }

  @Delete(':kind')
  @HttpCode(204)
  @RequirePermissions('system_setting:modify')
  @ApiOperation({ summary: 'Remove the scope’s template of a kind; the level above (or the built-in) applies at once' })
  @ApiHeader({ name: 'If-Match', required: false })
  async delete(
    @CurrentActor() actor: SignedIn,
    @Param('kind') kind: string,
    @Query() query: ScopeQueryDto,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.templates.delete(editorOf(actor), await this.scope(actor, query), kind, { ifMatch });
  }

  @Post(':kind/preview')
  @HttpCode(200)
  @RequirePermissions('system_setting:read')
  @ApiOperation({ summary: 'Render without sending: sample or given data, the template in effect or an unsaved one' })
  async preview(@CurrentActor() actor: SignedIn, @Param('kind') kind: string, @Query() query: ScopeQueryDto, @Body() body: PreviewBodyDto) {
    const scope = await this.scope(actor, query);
    const result = await this.templates.preview(scope, kind, {
      ...(body.data !== undefined ? { data: body.data } : {}),
      ...(body.template ? { template: sourceOf(body.template) } : {}),
      ...(body.branding ? { branding: brandingOf(body.branding) } : {}),
    });
    return previewView(result);
  }

  /** Visibility as for the email configuration; the org rule for writes is the library's (it reads the switch in the write). */
  private async scope(actor: SignedIn, query: ScopeQueryDto): Promise<TemplateScope> {
    const scope: ConfigScope = await this.scopes.resolve(actor.principal, scopeQueryOf(query), 'effective');
    return { level: scope.orgId === null ? 'partner' : 'org', partnerId: scope.partnerId, orgId: scope.orgId };
  }
}
