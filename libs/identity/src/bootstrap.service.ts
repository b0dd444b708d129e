import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { TenantService } from './tenant.service';

/** Creates the first controller admin from BOOTSTRAP_ADMIN_EMAIL/PASSWORD when the database has no user. */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminService.name);

  constructor(
    private readonly tenants: TenantService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.identity.bootstrapAdmin;
    if (!admin) return;
    const created = await this.tenants.bootstrapControllerAdmin(admin.email, admin.password);
    if (created) this.logger.log({ email: created.email }, 'created the first controller admin from BOOTSTRAP_ADMIN_EMAIL');
  }

  async anyUserExists(): Promise<boolean> {
    return (await this.tenants.countUsers()) > 0;
  }

  /**
   * For the embedded development default only: with no user and no bootstrap variables, create an
   * admin with a generated password and hand it back once, for the caller to show.
   */
  async generateDevelopmentAdmin(dataDir: string): Promise<{ email: string; password: string; savedTo: string } | undefined> {
    if (this.config.identity.bootstrapAdmin) return undefined;
    const email = 'admin@mailstrata.local';
    const password = randomBytes(18).toString('base64url');
    const created = await this.tenants.bootstrapControllerAdmin(email, password);
    if (!created) return undefined;
    // Kept beside the embedded database (owner-only) so a missed console line does not lock anyone out.
    const savedTo = join(dataDir, 'initial-admin.txt');
    writeFileSync(savedTo, `email: ${email}\npassword: ${password}\n`, { mode: 0o600 });
    return { email, password, savedTo };
  }
}
