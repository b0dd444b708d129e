import { Body, Controller, Get, Header, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccountsErrors, PasswordResetService } from '@mailstrata/accounts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, requestMeta } from '../http/auth.decorators';
import { EmailThrottlerGuard } from '../identity/email-throttler.guard';
import { CompletePasswordResetDto, RequestPasswordResetDto } from './accounts.dto';
import { PASSWORD_PAGE_CSP, PASSWORD_PAGE_SCRIPT, passwordPage } from './password-pages';

const PAGE = passwordPage('reset');

/** One answer for every address, so the endpoint never tells whether an account exists. */
const ACCEPTED = {
  status: 'accepted',
  detail: 'If an active account exists for this address, a password-reset link is on its way.',
} as const;

@ApiTags('identity')
@Public()
@Controller('auth/v1/password-reset')
export class PasswordResetController {
  constructor(private readonly reset: PasswordResetService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('content-security-policy', PASSWORD_PAGE_CSP)
  @ApiOperation({ summary: 'The page a password-reset link opens (the token stays in the URL fragment)' })
  page(): string {
    return PAGE;
  }

  @Get('page.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @ApiOperation({ summary: 'The password-reset page’s script' })
  script(): string {
    return PASSWORD_PAGE_SCRIPT;
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a password-reset link to an active account; answers the same, in the same time, whether or not it exists',
  })
  async request(@Body() body: RequestPasswordResetDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    try {
      await this.reset.request(body.email, requestMeta(request));
    } catch (error) {
      if (AccountsErrors.RATE_LIMITED.is(error) && typeof error.extensions.retry_after === 'number')
        void reply.header('retry-after', String(error.extensions.retry_after));
      throw error;
    }
    return ACCEPTED;
  }

  @Post('complete')
  @HttpCode(204)
  @UseGuards(EmailThrottlerGuard)
  @ApiOperation({ summary: 'Set a new password from a reset token; signs the account out everywhere' })
  async complete(@Body() body: CompletePasswordResetDto, @Req() request: FastifyRequest): Promise<void> {
    await this.reset.complete(body.token, body.password, requestMeta(request));
  }
}
