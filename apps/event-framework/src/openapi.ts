import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI document at /docs/openapi.json; the Swagger UI at /docs only outside tests (its assets need a real file system layout). */
export function setupOpenApi(app: INestApplication, options: { ui: boolean }): void {
  const config = new DocumentBuilder()
    .setTitle('mailstrata')
    .setDescription('Multi-tenant SMTP configuration: controller → partner → organization profiles, test emails, SYSTEMAUDIT.')
    .setVersion('1')
    .addCookieAuth('rsid')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    swaggerUiEnabled: options.ui,
    jsonDocumentUrl: 'docs/openapi.json',
    raw: ['json'],
  });
}
