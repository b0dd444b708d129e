import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '@mailstrata/config';
import { createLogger } from '@mailstrata/observability';
import { AppModule } from './app.module';
import { configureApp, ConfigureOptions, fastifyOptions } from './configure-app';
import { startMailCatcher } from './mail-catcher/mail-catcher.binding';

/** Body parsing is ours (JSON whatever the Content-Type); Nest's parsers would take urlencoded bodies. */
export const NEST_APP_OPTIONS = { bufferLogs: true, abortOnError: false, bodyParser: false } as const;

/** Builds the configured (not yet listening) HTTP application; shared by main.ts and the e2e tests. */
export async function createApp(config: AppConfig, databaseUrl: string, options: ConfigureOptions): Promise<NestFastifyApplication> {
  const catcher = await startMailCatcher(config);
  try {
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config: catcher.config, databaseUrl, mailCatcher: catcher.listener }),
      new FastifyAdapter(fastifyOptions(catcher.config, createLogger(config.logLevel))),
      NEST_APP_OPTIONS,
    );
    await configureApp(app, options);
    return app;
  } catch (error) {
    await catcher.listener?.close();
    throw error;
  }
}
