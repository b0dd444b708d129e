import { Module } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { TemplateEngine } from './engine';
import { TemplateRenderer } from './template-renderer';
import { TemplateRepository } from './template.repository';
import { TemplateService } from './template.service';

/** Email templates per kind with partner and organization overrides, branding, and the sandboxed renderer. */
@Module({
  imports: [AuditModule],
  providers: [TemplateEngine, TemplateRepository, TemplateRenderer, TemplateService],
  exports: [TemplateRenderer, TemplateService],
})
export class TemplatesModule {}
