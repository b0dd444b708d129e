import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccountOnboarding } from '@mailstrata/accounts';
import { Actor, Principal, TenantService } from '@mailstrata/identity';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { uuidParam } from '../http/uuid-param';
import { CreateOrganizationDto, CreatePartnerDto, CreateUserDto, ListOrganizationsQuery, UpdateOrganizationDto } from './identity.dto';
import { organizationView, partnerView, userView } from './identity.views';

type SignedIn = Actor & { principal: Principal };

@ApiTags('identity')
@ApiCookieAuth('rsid')
@Controller('auth/v1')
export class TenantsController {
  constructor(
    private readonly tenants: TenantService,
    private readonly onboarding: AccountOnboarding,
  ) {}

  @Post('partners')
  @RequirePermissions('partner:create')
  @ApiOperation({ summary: 'Create a partner and its first partner admin (controller admin)' })
  async createPartner(@CurrentActor() actor: SignedIn, @Body() body: CreatePartnerDto) {
    const { partner, admin } = await this.tenants.createPartner(actor, { name: body.name, admin: body.admin }, this.onboarding);
    return { ...partnerView(partner), admin: userView(admin) };
  }

  @Get('partners')
  @RequirePermissions('partner:read')
  @ApiOperation({ summary: 'Partners the caller can see' })
  async listPartners(@CurrentActor() actor: SignedIn) {
    return { items: (await this.tenants.listPartners(actor.principal)).map(partnerView) };
  }

  @Post('organizations')
  @RequirePermissions('organization:create')
  @ApiOperation({ summary: 'Create an organization and its first org admin' })
  async createOrganization(@CurrentActor() actor: SignedIn, @Body() body: CreateOrganizationDto) {
    const { organization, admin } = await this.tenants.createOrganization(
      actor,
      { name: body.name, partnerId: body.partner_id, admin: body.admin },
      this.onboarding,
    );
    return { ...organizationView(organization), admin: userView(admin) };
  }

  @Get('organizations')
  @RequirePermissions('organization:read')
  @ApiOperation({ summary: 'Organizations the caller can see' })
  async listOrganizations(@CurrentActor() actor: SignedIn, @Query() query: ListOrganizationsQuery) {
    return { items: (await this.tenants.listOrganizations(actor.principal, { partnerId: query.partner_id })).map(organizationView) };
  }

  @Patch('organizations/:id')
  @RequirePermissions('organization:modify')
  @ApiOperation({ summary: 'Turn the organization-level SMTP feature on or off' })
  async updateOrganization(@CurrentActor() actor: SignedIn, @Param('id', uuidParam) id: string, @Body() body: UpdateOrganizationDto) {
    return organizationView(await this.tenants.setSmtpOverride(actor, id, body.smtp_override_enabled));
  }

  @Post('users')
  @RequirePermissions('user:create')
  @ApiOperation({ summary: 'Add a user to the controller, a partner or an organization' })
  async createUser(@CurrentActor() actor: SignedIn, @Body() body: CreateUserDto) {
    const user = await this.tenants.createUser(
      actor,
      {
        email: body.email,
        role: body.role,
        orgId: body.org_id,
        partnerId: body.partner_id,
        password: body.password,
      },
      this.onboarding,
    );
    return userView(user);
  }
}
