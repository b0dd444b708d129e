import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { AppConfig, ConfigValidationError, loadConfig } from './app-config';

/** Injection token of the validated, typed `AppConfig`; every library reads its slice through it. */
export const APP_CONFIG = Symbol('AppConfig');

/**
 * Where @nestjs/config's `ConfigService` holds the same validated configuration, for code that prefers
 * `configService.get('app.http.port')` to injecting `APP_CONFIG`.
 */
export const APP_CONFIG_KEY = 'app';

type Env = Record<string, string | undefined>;

export interface ConfigModuleOptions {
  /** The environment to read; `process.env` when omitted. Tests pass their own. */
  env?: Env;
  /** An already validated configuration (wins over `env`): entry points validate before Nest boots. */
  config?: AppConfig;
}

/**
 * @nestjs/config's `validate` hook: the zod schema (env.schema.ts) turns the raw environment into the
 * typed `AppConfig`, or throws a ConfigValidationError naming every bad variable. It returns the config
 * under one key whose value is an object, so @nestjs/config writes nothing back into `process.env`.
 */
export function validateEnvironment(env: Record<string, unknown>): { [APP_CONFIG_KEY]: AppConfig } {
  return { [APP_CONFIG_KEY]: loadConfig(env as Env) };
}

/**
 * @nestjs/config's ConfigModule, loading and validating the environment once, with `APP_CONFIG` beside
 * its `ConfigService`. Global like every Nest config root, because every library needs its slice; it is
 * the only module that reads `process.env`.
 */
@Module({})
export class ConfigModule {
  static async forRoot(options: ConfigModuleOptions = {}): Promise<DynamicModule> {
    let validated: AppConfig | undefined;
    const nestConfig = await NestConfigModule.forRoot({
      // The environment is the deployment's (Kubernetes, compose, the shell); a .env file would be a second source.
      ignoreEnvFile: true,
      // process.env is read only when no environment or configuration is handed in.
      validatePredefined: options.env === undefined && options.config === undefined,
      // ConfigService answers from the validated configuration only, never from raw variables.
      skipProcessEnv: true,
      validate: (raw) => {
        const result = options.config ? { [APP_CONFIG_KEY]: options.config } : validateEnvironment(options.env ?? raw);
        validated = result[APP_CONFIG_KEY];
        return result;
      },
    });
    return {
      module: ConfigModule,
      global: true,
      imports: [nestConfig],
      providers: [{ provide: APP_CONFIG, useValue: validated }],
      exports: [APP_CONFIG, nestConfig],
    };
  }
}

/** Reads the process environment; for entry points that must know the config before Nest boots. */
export function loadProcessConfig(): AppConfig {
  return validateEnvironment(process.env)[APP_CONFIG_KEY];
}

/**
 * For entry points, which must know the configuration before Nest boots (whether to start the embedded
 * Postgres, which modules to load): the validated configuration, or a message naming every bad variable
 * on stderr and exit status 78 (EX_CONFIG), so a misconfigured pod fails fast and says why.
 */
export function loadProcessConfigOrExit(processName: string): AppConfig {
  try {
    return loadProcessConfig();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${processName}: ${error.message}\n`);
    process.exit(78);
  }
}
