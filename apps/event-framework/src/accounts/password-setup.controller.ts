import { Body, Controller, Get, Header, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PasswordSetupService } from '@mailstrata/accounts';
import type { FastifyRequest } from 'fastify';
import { Public, requestMeta } from '../http/auth.decorators';
import { EmailThrottlerGuard } from '../identity/email-throttler.guard';
import { CompletePasswordSetupDto, ResendPasswordSetupDto } from './accounts.dto';
import { PASSWORD_PAGE_CSP, PASSWORD_PAGE_SCRIPT, passwordPage } from './password-pages';

const PAGE = passwordPage('setup');

@ApiTags('identity')
@Public()
@Controller('auth/v1/password-setup')
export class PasswordSetupController {
  constructor(private readonly setup: PasswordSetupService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('content-security-policy', PASSWORD_PAGE_CSP)
  @ApiOperation({ summary: 'The page a password-setup link opens (the token stays in the URL fragment)' })
  page(): string {
    return PAGE;
  }

  @Get('page.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @ApiOperation({ summary: 'The password-setup page’s script' })
  script(): string {
    return PASSWORD_PAGE_SCRIPT;
  }

  @Post()
  @HttpCode(204)
  @UseGuards(EmailThrottlerGuard)
  @ApiOperation({ summary: 'Set the password from a setup token and activate the account' })
  async complete(@Body() body: CompletePasswordSetupDto, @Req() request: FastifyRequest): Promise<void> {
    await this.setup.complete(body.token, body.password, requestMeta(request));
  }

  @Post('resend')
  @HttpCode(202)
  @UseGuards(EmailThrottlerGuard)
  @ApiOperation({ summary: 'Send a new setup link to a pending account; answers the same whether or not it exists' })
  async resend(@Body() body: ResendPasswordSetupDto, @Req() request: FastifyRequest) {
    this.setup.resend(body.email, requestMeta(request));
    return { status: 'accepted', detail: 'If a pending account exists for this address, a new setup link is on its way.' };
  }
}
