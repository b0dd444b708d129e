import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, Principal, ServiceAccountService } from '@mailstrata/identity';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { uuidParam } from '../http/uuid-param';
import { CreateServiceAccountDto, ListServiceAccountsQuery } from './identity.dto';
import { serviceAccountView } from './identity.views';

type SignedIn = Actor & { principal: Principal };

/**
 * Service accounts for machine callers. Controller admins manage any (platform-wide or one partner's),
 * partner admins their own partner's. The token is in the creation answer only.
 */
@ApiTags('identity')
@ApiCookieAuth('rsid')
@ApiBearerAuth()
@Controller('auth/v1/service-accounts')
export class ServiceAccountsController {
  constructor(private readonly accounts: ServiceAccountService) {}

  @Post()
  @RequirePermissions('service_account:manage')
  @ApiOperation({ summary: 'Create a service account; the answer holds its bearer token, shown this once' })
  async create(@CurrentActor() actor: SignedIn, @Body() body: CreateServiceAccountDto) {
    const { account, token } = await this.accounts.create(actor, {
      name: body.name,
      partnerId: body.partner_id,
      permissions: body.permissions,
    });
    return { ...serviceAccountView(account), token };
  }

  @Get()
  @RequirePermissions('service_account:manage')
  @ApiOperation({ summary: 'Live service accounts in the caller’s scope (never their tokens)' })
  async list(@CurrentActor() actor: SignedIn, @Query() query: ListServiceAccountsQuery) {
    return { items: (await this.accounts.list(actor.principal, { partnerId: query.partner_id })).map(serviceAccountView) };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('service_account:manage')
  @ApiOperation({ summary: 'Revoke a service account: its token is refused on every replica from now on' })
  async revoke(@CurrentActor() actor: SignedIn, @Param('id', uuidParam) id: string): Promise<void> {
    await this.accounts.revoke(actor, id);
  }
}
