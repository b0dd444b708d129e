import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { Actor, AuthService, IdentityErrors, Principal } from '@mailstrata/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentActor, Public, requestMeta } from '../http/auth.decorators';
import { SESSION_COOKIE } from '../http/session.guard';
import { LoginDto } from './identity.dto';
import { meView } from './identity.views';
import { EmailThrottlerGuard } from './email-throttler.guard';

@ApiTags('identity')
@Controller('auth/v1')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @UseGuards(EmailThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in; sets the rsid session cookie' })
  async login(@Body() body: LoginDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { token, principal } = await this.auth.login(body.email, body.password, requestMeta(request));
    void reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.http.cookieSecure,
      path: '/',
      expires: principal.sessionExpiresAt,
    });
    return meView(principal);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiCookieAuth('rsid')
  @ApiOperation({ summary: 'Revoke the current session' })
  async logout(@CurrentActor() actor: Actor & { principal: Principal }, @Res({ passthrough: true }) reply: FastifyReply) {
    const { principal } = actor;
    if (principal.kind !== 'user') throw IdentityErrors.USERS_ONLY('A service account has no session to end; revoke the account instead.');
    await this.auth.logout({ ...actor, principal });
    void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: this.config.http.cookieSecure });
  }

  @Get('me')
  @ApiCookieAuth('rsid')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who the caller is (a user or a service account), with role, scope and permissions' })
  me(@CurrentActor() actor: Actor & { principal: Principal }) {
    return meView(actor.principal);
  }
}
