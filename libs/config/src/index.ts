export { ConfigModule, APP_CONFIG, APP_CONFIG_KEY, validateEnvironment, loadProcessConfig, loadProcessConfigOrExit } from './config.module';
export type { ConfigModuleOptions } from './config.module';
export { loadConfig, ConfigValidationError } from './app-config';
export type {
  AppConfig,
  AccountCreationStrategy,
  HttpConfig,
  DatabaseConfig,
  IdentityConfig,
  ControllerSmtpConfig,
  MailCatcherConfig,
  ElasticConfig,
  AuditConfig,
  EgressConfig,
  EmailDeliveryConfig,
  EmailNotificationsConfig,
  NatsIntakeConfig,
} from './app-config';
export { SECRET_VARIABLES } from './env.schema';
