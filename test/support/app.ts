/**
 * Boots the real HTTP application (same `createApp` as main.ts) against a suite's own database, and
 * offers a small client over Fastify's inject: no sockets, real routing, hooks, parsing and guards.
 */
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppConfig, loadConfig } from '@mailstrata/config';
import { createLogger, NestPinoLogger } from '@mailstrata/observability';
import { AppModule } from '../../apps/event-framework/src/app.module';
import { createApp, NEST_APP_OPTIONS } from '../../apps/event-framework/src/bootstrap';
import { configureApp, fastifyOptions } from '../../apps/event-framework/src/configure-app';
import { createTestDatabase, TestDatabase } from './database';

export const ROOT_EMAIL = 'root@controller.test';
export const ROOT_PASSWORD = 'controller-secret-9000';

export interface Reply<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export interface RequestOptions {
  cookie?: string;
  headers?: Record<string, string>;
  /** Sent as-is when a string; JSON-encoded otherwise (with no JSON content type, like the seed's curl). */
  body?: unknown;
}

export class TestClient {
  constructor(readonly app: NestFastifyApplication) {}

  async request<T = any>(method: string, url: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.cookie) headers.cookie = `rsid=${options.cookie}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const res = await this.app.inject({ method: method as 'GET', url, headers, payload });
    let body: unknown;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, headers: res.headers as Reply['headers'], body: body as T, text: res.body };
  }

  get<T = any>(url: string, cookie?: string, headers?: Record<string, string>) {
    return this.request<T>('GET', url, { cookie, headers });
  }
  post<T = any>(url: string, body: unknown, cookie?: string, headers?: Record<string, string>) {
    return this.request<T>('POST', url, { body, cookie, headers });
  }
  patch<T = any>(url: string, body: unknown, cookie?: string, headers?: Record<string, string>) {
    return this.request<T>('PATCH', url, { body, cookie, headers });
  }
  delete<T = any>(url: string, cookie?: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', url, { cookie, headers });
  }

  /** Signs in and returns the session token from the rsid cookie. */
  async login(email: string, password: string): Promise<string> {
    const res = await this.post('/auth/v1/login', { email, password });
    if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${res.text}`);
    const cookie = String(res.headers['set-cookie']);
    const token = /rsid=([^;]+)/.exec(cookie)?.[1];
    if (!token) throw new Error('no rsid cookie');
    return token;
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  client: TestClient;
  db: TestDatabase;
  env: Record<string, string>;
  close(): Promise<void>;
}

export function testEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    COOKIE_SECURE: 'false',
    PASSWORD_HASH_COST: '10',
    LOG_LEVEL: 'silent',
    LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
    BOOTSTRAP_ADMIN_EMAIL: ROOT_EMAIL,
    BOOTSTRAP_ADMIN_PASSWORD: ROOT_PASSWORD,
    PUBLIC_URL: 'http://console.mailstrata.test',
    DATA_DIR: '.data/test-app',
    ...overrides,
  };
}

export interface ProviderOverride {
  provide: unknown;
  useValue: unknown;
}

/** The production app, or, with overrides (an adapter at the edge, e.g. Elasticsearch), the same module and options with those providers swapped. */
async function buildApp(
  config: AppConfig,
  databaseUrl: string,
  overrides: ProviderOverride[],
  consoleDir?: string,
): Promise<NestFastifyApplication> {
  if (overrides.length === 0) return createApp(config, databaseUrl, { swaggerUi: false, consoleDir });
  const logger = createLogger(config.logLevel);
  // What the module logs while it compiles goes through the app's JSON logger too, not Nest's console format.
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot({ config, databaseUrl })] }).setLogger(new NestPinoLogger(logger));
  for (const o of overrides) builder = builder.overrideProvider(o.provide).useValue(o.useValue);
  const app = (await builder.compile()).createNestApplication<NestFastifyApplication>(
    new FastifyAdapter(fastifyOptions(config, logger)),
    NEST_APP_OPTIONS,
  );
  await configureApp(app, { swaggerUi: false, consoleDir });
  return app;
}

/** Boots an app on a database: a new one unless `db` is given (a second replica shares the first's). */
export async function startTestApp(
  options: { env?: Record<string, string>; db?: TestDatabase; overrides?: ProviderOverride[]; consoleDir?: string } = {},
): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const env = testEnv(db.url, options.env);
  const config = loadConfig(env);
  const ownsDb = options.db === undefined;
  let app: NestFastifyApplication;
  try {
    app = await buildApp(config, db.url, options.overrides ?? [], options.consoleDir);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  } catch (error) {
    if (ownsDb) await db.drop();
    throw error;
  }
  return {
    app,
    client: new TestClient(app),
    db,
    env,
    close: async () => {
      await app.close();
      if (ownsDb) await db.drop();
    },
  };
}
