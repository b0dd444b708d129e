import { ArgumentMetadata, Type } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { getMetadataStorage } from 'class-validator';
import { DomainError } from '@mailstrata/common';
import { ConfigScopeResolver, EffectiveConfigService, EmailConfigService, ProfileVersionsService } from '@mailstrata/email-config';
import { EmailVerificationService, ProfileHealthRecorder, SmtpRouteResolver } from '@mailstrata/delivery';
import { EmailConfigController } from '../email-config/email-config.controller';
import { EmailConfigVersionsController } from '../email-config/email-config-versions.controller';
import { DraftBodyDto, VersionListQueryDto, VersionParamDto } from '../email-config/email-config-versions.dto';
import { VerificationBodyDto } from '../verification/verification.dto';
import { VerificationController } from '../verification/verification.controller';
import { SendMessageDto } from '../delivery/messages.dto';
import '../app.module';
import { ScopeQueryDto } from './scope-query.dto';
import { StrictValidationPipe } from './validation.pipe';

const pipe = new StrictValidationPipe();

async function errorsOf(metatype: Type<unknown>, type: ArgumentMetadata['type'], value: unknown) {
  try {
    await pipe.transform(value, { type, metatype });
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, errors: error.errors };
    throw error;
  }
  return { code: null, errors: [] };
}

describe('request DTOs, validated by the one global pipe', () => {
  it('verification body: one recipient, no CR/LF, plain addresses, known fields, each reported once', async () => {
    const single = { field: 'recipient_email', rule: 'single_recipient', message: 'must be exactly one address' };
    expect(await errorsOf(VerificationBodyDto, 'body', { recipient_email: 'a@x.test, b@x.test' })).toEqual({
      code: 'VALIDATION_FAILED',
      errors: [single],
    });
    expect((await errorsOf(VerificationBodyDto, 'body', { recipient_email: ['a@x.test'] })).errors).toEqual([single]);
    expect((await errorsOf(VerificationBodyDto, 'body', { subject: 'x\r\nBcc: v@x.test' })).errors).toEqual([
      { field: 'subject', rule: 'no_line_breaks', message: 'must not contain CR or LF characters' },
    ]);
    expect((await errorsOf(VerificationBodyDto, 'body', { sender_email: 'not an address', subject: 5 })).errors).toEqual(
      expect.arrayContaining([
        { field: 'sender_email', rule: 'isEmail', message: 'must be a single email address' },
        { field: 'subject', rule: 'isString', message: 'must be a string' },
      ]),
    );
    expect((await errorsOf(VerificationBodyDto, 'body', { mode: 'fast', bcc: 'v@x.test', smtp_config: [] })).errors).toEqual(
      expect.arrayContaining([
        { field: 'bcc', rule: 'unknown_field', message: 'is not a known field' },
        { field: 'mode', rule: 'isIn', message: 'must be "send" or "connect"' },
        { field: 'smtp_config', rule: 'isObject', message: 'must be an object' },
      ]),
    );
    expect((await errorsOf(VerificationBodyDto, 'body', { subject: 'x'.repeat(999) })).errors).toEqual([
      { field: 'subject', rule: 'maxLength', message: 'must be at most 998 characters' },
    ]);
    expect(await errorsOf(VerificationBodyDto, 'body', { sender_email: null, recipient_email: 'a@x.test', mode: 'connect' })).toEqual({
      code: null,
      errors: [],
    });
  });

  it('scope query: UUIDs (lower-cased), unknown parameters refused, an empty query passes', async () => {
    const upper = 'A0B1C2D3-E4F5-4A6B-8C7D-0E1F2A3B4C5D';
    await expect(pipe.transform({ org_id: upper }, { type: 'query', metatype: ScopeQueryDto })).resolves.toEqual({
      org_id: upper.toLowerCase(),
    });
    expect((await errorsOf(ScopeQueryDto, 'query', { org_id: 'nope', partner_id: ['x', 'y'], x: '1' })).errors).toEqual(
      expect.arrayContaining([
        { field: 'org_id', rule: 'isUuid', message: 'must be a UUID' },
        { field: 'partner_id', rule: 'isUuid', message: 'must be a UUID' },
        { field: 'x', rule: 'unknown_field', message: 'is not a known field' },
      ]),
    );
    expect((await errorsOf(ScopeQueryDto, 'query', { org_id: '' })).errors).toEqual([
      { field: 'org_id', rule: 'isUuid', message: 'must be a UUID' },
    ]);
    expect(pipe.transform({}, { type: 'query', metatype: ScopeQueryDto })).toBeInstanceOf(ScopeQueryDto);
  });

  it('versions: path numbers, paging, a draft’s base and a test’s version are integers in range, named when wrong', async () => {
    for (const version of ['abc', '0', '1.5', '2147483648']) {
      expect((await errorsOf(VersionParamDto, 'param', { version })).errors.map((e) => e.field)).toContain('version');
    }
    await expect(pipe.transform({ version: '7' }, { type: 'param', metatype: VersionParamDto })).resolves.toEqual({ version: 7 });
    expect(
      (await errorsOf(VersionListQueryDto, 'query', { limit: '101', before: 'x', org_id: 'nope' })).errors.map((e) => e.field).sort(),
    ).toEqual(['before', 'limit', 'org_id']);
    await expect(pipe.transform({ limit: '5', before: '9' }, { type: 'query', metatype: VersionListQueryDto })).resolves.toEqual({
      limit: 5,
      before: 9,
    });
    expect((await errorsOf(DraftBodyDto, 'body', { email_config: { smtp_config: {} }, based_on: '1' })).errors).toEqual([
      expect.objectContaining({ field: 'based_on', rule: 'isInt' }),
    ]);
    expect(new Set((await errorsOf(DraftBodyDto, 'body', { based_on: 1 })).errors.map((e) => e.field))).toEqual(new Set(['email_config']));
    expect((await errorsOf(VerificationBodyDto, 'body', { version: 2, smtp_config: {} })).errors).toEqual([
      { field: 'version', rule: 'exclusive', message: 'must not be sent together with smtp_config' },
    ]);
    expect((await errorsOf(VerificationBodyDto, 'body', { version: null })).errors.map((e) => e.field)).toEqual(['version']);
    expect(await errorsOf(VerificationBodyDto, 'body', { version: 3, mode: 'connect' })).toEqual({ code: null, errors: [] });
  });

  it('every rule of every DTO is synchronous: the pipe validates with validateSync, which skips async rules', () => {
    // The app module imports every controller and so every DTO; class-validator keeps no public list of its rules.
    const constraints = (getMetadataStorage() as unknown as { constraintMetadatas: Map<unknown, { name: string; async: boolean }[]> })
      .constraintMetadatas;
    const rules = [...constraints.values()].flat();
    expect(rules.length).toBeGreaterThan(20);
    expect(rules.filter((rule) => rule.async).map((rule) => rule.name)).toEqual([]);
  });

  it('send message body: nested arrays and unknown fields are still refused, a valid one passes', async () => {
    const partner_id = '0b7c4a36-6f0e-4f37-9b8e-2f1d2c3b4a59';
    expect(await errorsOf(SendMessageDto, 'body', { partner_id, to: ['a@x.test'], subject: 'Hi', text: 'Hello' })).toEqual({
      code: null,
      errors: [],
    });
    expect(
      (await errorsOf(SendMessageDto, 'body', { partner_id, to: [['a@x.test']], subject: 'Hi', text: 'Hello', bcc: 'v@x.test' })).errors,
    ).toEqual(
      expect.arrayContaining([
        { field: 'to', rule: 'isEmail', message: 'must be single email addresses without CR or LF: to[0]' },
        { field: 'bcc', rule: 'unknown_field', message: 'is not a known field' },
      ]),
    );
  });

  it('OpenAPI describes the same DTOs the pipe validates', async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [EmailConfigController, EmailConfigVersionsController, VerificationController],
      providers: [
        ConfigScopeResolver,
        EmailConfigService,
        ProfileVersionsService,
        EffectiveConfigService,
        ProfileHealthRecorder,
        EmailVerificationService,
        SmtpRouteResolver,
      ].map((provide) => ({ provide, useValue: {} })),
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    try {
      const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build()) as any;
      const verification = doc.paths['/event/v1/email/config/verification'].post;
      expect(verification.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/VerificationBodyDto' });
      const body = doc.components.schemas.VerificationBodyDto.properties;
      expect(body.recipient_email).toMatchObject({ type: 'string', format: 'email', maxLength: 254 });
      expect(body.subject).toMatchObject({ maxLength: 998 });
      expect(body.mode).toMatchObject({ enum: ['send', 'connect'] });
      const queryOf = (operation: any) =>
        operation.parameters.filter((p: any) => p.in === 'query').map((p: any) => [p.name, p.schema.format ?? p.schema.enum]);
      expect(queryOf(doc.paths['/event/v1/email/config/effective'].get)).toEqual([
        ['partner_id', 'uuid'],
        ['org_id', 'uuid'],
      ]);
      expect(queryOf(doc.paths['/event/v1/email/config/verification'].post)).toEqual([
        ['partner_id', 'uuid'],
        ['org_id', 'uuid'],
        ['route', ['primary', 'secondary']],
      ]);
      const list = doc.paths['/event/v1/email/config/versions'].get.parameters;
      expect(list.map((p: any) => [p.in, p.name])).toEqual([
        ['query', 'partner_id'],
        ['query', 'org_id'],
        ['query', 'route'],
        ['query', 'limit'],
        ['query', 'before'],
      ]);
      const activate = doc.paths['/event/v1/email/config/versions/{version}/activate'].post;
      expect(activate.parameters).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ in: 'path', name: 'version', schema: expect.objectContaining({ type: 'integer' }) }),
        ]),
      );
    } finally {
      await app.close();
    }
  });
});
