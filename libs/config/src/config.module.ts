import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigValidationError, loadConfig } from './app-config';

export const APP_CONFIG = Symbol('AppConfig');

export interface ConfigModuleOptions {
  /** The environment to read; `process.env` when omitted. Tests pass their own. */
  env?: Record<string, string | undefined>;
  /** An already validated configuration (wins over `env`). */
  config?: AppConfig;
}

/**
 * Validates the environment once and provides the typed `AppConfig`. Global like every Nest config
 * root, because every library needs its slice; it is the only module that reads `process.env`.
 */
@Module({})
export class ConfigModule {
  static forRoot(options: ConfigModuleOptions = {}): DynamicModule {
    const config = options.config ?? loadConfig(options.env ?? process.env);
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}

/** Reads the process environment; for entry points that must know the config before Nest boots. */
export function loadProcessConfig(): AppConfig {
  return loadConfig(process.env);
}

/**
 * For entry points: the validated configuration, or a message naming every bad variable on stderr and
 * exit status 78 (EX_CONFIG), so a misconfigured pod fails fast and says why.
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
