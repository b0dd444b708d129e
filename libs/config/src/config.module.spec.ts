import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { AppConfig, ConfigValidationError } from './app-config';
import { APP_CONFIG, ConfigModule } from './config.module';

describe('ConfigModule', () => {
  it('loads through @nestjs/config: APP_CONFIG and ConfigService hold the same validated configuration', async () => {
    const before = { ...process.env };
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ env: { PORT: '9090', LOG_LEVEL: 'warn' } })],
    }).compile();
    const config = moduleRef.get<AppConfig>(APP_CONFIG);
    expect(config.http.port).toBe(9090);
    expect(config.http.host).toBe('0.0.0.0');
    const service = moduleRef.get(ConfigService);
    expect(service.get('app.http.port')).toBe(9090);
    expect(service.get('app')).toBe(config);
    // Nothing leaks back into the process environment, and raw variables are not served.
    expect(process.env).toEqual(before);
    expect(service.get('PATH')).toBeUndefined();
    await moduleRef.close();
  });

  it('refuses a bad environment with every variable named, before any module is built', async () => {
    const error = await ConfigModule.forRoot({ env: { PORT: 'x', COOKIE_SECURE: 'maybe' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).problems).toEqual([
      'PORT: must be an integer from 0 to 65535 (got "x")',
      'COOKIE_SECURE: must be true or false (got "maybe")',
    ]);
  });
});
