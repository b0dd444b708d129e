import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { CONTROLLER_PROFILE, ControllerProfile } from '@mailstrata/email-config';
import { MailCatcher } from '@mailstrata/mail-catcher';

/**
 * The few installation facts the ops console needs to shape its pages, for any signed-in user: which
 * account-creation strategy applies (AUTO asks for passwords, VERIFY sends setup links), whether a
 * controller default exists below partner profiles, and whether the development mail catcher runs.
 */
@ApiTags('console')
@ApiCookieAuth('rsid')
@Controller('console-api/v1')
export class ConsoleSettingsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly catcher: MailCatcher,
    @Optional() @Inject(CONTROLLER_PROFILE) private readonly controller: ControllerProfile | null,
  ) {}

  @Get('settings')
  @ApiOperation({ summary: 'Installation facts for the ops console (strategy, controller default, mail catcher)' })
  settings() {
    return {
      account_creation_strategy: this.config.identity.accountCreationStrategy,
      controller_default: this.controller ? (this.catcher.enabled ? 'mail_catcher' : 'environment') : null,
      mail_catcher: this.catcher.enabled,
    };
  }
}
