/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: the compose file is parsed
 * (anchors and merge keys resolved as Compose does), its services, wiring, health checks and start
 * order are checked, and each app service's environment is run through the real config loader, so
 * the stack cannot ship an environment the service would refuse at start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@mailstrata/config';
import { parse } from 'yaml';

const root = join(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
/** `${VAR:-default}` resolved as Compose does, from `vars` (the shell's environment at `docker compose up`). */
const interpolate = (value: string, vars: Record<string, string>) =>
  value.replace(/\$\{([A-Z0-9_]+):-([^}]*)\}/g, (_, name: string, fallback: string) => vars[name] || fallback);
const env = (name: string, vars: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(services[name].environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]));

describe('docker-compose.yml', () => {
  it('has the stack: Postgres, Elasticsearch, a mail catcher, migrate, API and worker', () => {
    expect(Object.keys(services).sort()).toEqual([
      'elasticsearch',
      'event-framework',
      'event-worker',
      'mailpit',
      'migrate',
      'nats',
      'postgres',
    ]);
  });

  it('runs both apps and the migration from one image, each with its own command', () => {
    const images = new Set(['migrate', 'event-framework', 'event-worker'].map((s) => services[s].image));
    expect(images.size).toBe(1);
    expect(services.migrate.command).toEqual(['dist/apps/event-framework/src/migrate.js']);
    expect(services['event-framework'].command).toEqual(['dist/apps/event-framework/src/main.js']);
    expect(services['event-worker'].command).toEqual(['dist/apps/event-worker/src/main.js']);
  });

  it('starts the apps after a successful migration and healthy dependencies; the apps do not migrate themselves', () => {
    expect(services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const app of ['event-framework', 'event-worker']) {
      expect(services[app].depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        elasticsearch: { condition: 'service_healthy' },
        mailpit: { condition: 'service_healthy' },
      });
      expect(env(app).DATABASE_MIGRATE_ON_START).toBe('false');
    }
  });

  it('has a health check on every long-running service; the app ones use node (no curl in the image)', () => {
    for (const name of ['postgres', 'elasticsearch', 'mailpit', 'event-framework', 'event-worker']) {
      expect(services[name].healthcheck?.test.length).toBeGreaterThan(0);
    }
    expect(services['event-framework'].healthcheck!.test.slice(0, 2)).toEqual(['CMD', 'node']);
    expect(services['event-framework'].healthcheck!.test.join(' ')).toContain('127.0.0.1:8080/readyz');
    expect(services['event-worker'].healthcheck!.test.join(' ')).toContain(`127.0.0.1:${env('event-worker').WORKER_HTTP_PORT}/readyz`);
  });

  it('runs Elasticsearch as a single node with security on, and the apps use its password with the seed names', () => {
    const es = env('elasticsearch');
    expect(es['discovery.type']).toBe('single-node');
    expect(es['xpack.security.enabled']).toBe('true');
    for (const app of ['event-framework', 'event-worker']) {
      expect(new URL(env(app).ELASTIC_SEARCH_FQDN).hostname).toBe('elasticsearch');
      expect(env(app).ES_USER_NAME).toBe('elastic');
      expect(env(app).ES_PASSWORD).toBe(es.ELASTIC_PASSWORD);
    }
    expect(services.elasticsearch.healthcheck!.test.join(' ')).toContain(`elastic:${es.ELASTIC_PASSWORD}`);
  });

  it('points the database URL at the postgres service with its credentials', () => {
    const pg = env('postgres');
    for (const app of ['migrate', 'event-framework', 'event-worker']) {
      const url = new URL(env(app).DATABASE_URL);
      expect([url.hostname, url.port, decodeURIComponent(url.username), decodeURIComponent(url.password), url.pathname]).toEqual([
        'postgres',
        '5432',
        pg.POSTGRES_USER,
        pg.POSTGRES_PASSWORD,
        `/${pg.POSTGRES_DB}`,
      ]);
    }
  });

  it('sends the controller SMTP defaults (seed names) to the mail catcher, whose web UI is published', () => {
    const api = env('event-framework');
    expect(api.FW_EVENT_SMTP_SERVER_ADDR).toBe('mailpit');
    expect(api.FW_EVENT_SMTP_SERVER_PORT).toBe('1025');
    expect(api.FW_EVENT_SMTP_SERVER_USE_TLS).toBe('false');
    expect(api.FW_EVENT_SMTP_SERVER_USE_INSECURE).toBeDefined();
    expect(services.mailpit.ports).toContain('127.0.0.1:8025:8025');
    expect(services['event-framework'].ports).toContain('8080:8080');
  });

  it('keeps background work out of the API when the worker runs', () => {
    expect(env('event-framework').WORKER_IN_PROCESS).toBe('false');
    expect(env('event-worker').WORKER_IN_PROCESS).not.toBe('false');
  });

  it('gives each app an environment the service accepts (the real config loader, production rules)', () => {
    for (const app of ['migrate', 'event-framework', 'event-worker']) {
      const config = loadConfig(env(app));
      expect(config.env).toBe('production');
      expect(config.controllerSmtp?.host).toBe('mailpit');
      expect(config.elastic?.url).toBe('http://elasticsearch:9200');
      expect(config.database.migrateOnStart).toBe(false);
    }
    expect(loadConfig(env('event-framework')).worker.inProcess).toBe(false);
  });

  it('offers NATS JetStream as an option: a profile, and the worker consumes only when EVENTS_NATS_URL is given', () => {
    const nats = services.nats as ComposeService & { profiles?: string[] };
    expect(nats.profiles).toEqual(['nats']);
    expect(nats.command).toContain('-js');
    expect(nats.healthcheck?.test.join(' ')).toContain('js-enabled-only=true');
    expect(loadConfig(env('event-worker')).natsIntake).toBeUndefined();
    const intake = loadConfig(env('event-worker', { EVENTS_NATS_URL: 'nats://nats:4222' })).natsIntake;
    expect(intake).toMatchObject({ servers: ['nats://nats:4222'], createStream: true });
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages = instructions.filter((l) => /^FROM /i.test(l));
  const runtime = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1]));

  it('is multi-stage on a current LTS Node image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const image = /^ARG NODE_IMAGE=(\S+)/m.exec(dockerfile)?.[1];
    expect(image).toMatch(/^node:(22|24)[.-]/);
    for (const from of stages) expect(from).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
  });

  it('ships production dependencies only, built in their own stage', () => {
    expect(dockerfile).toMatch(/npm install --omit=dev/);
    expect(runtime.join('\n')).toMatch(/COPY --from=deps .*\/app\/node_modules/);
    expect(runtime.join('\n')).not.toMatch(/COPY --from=build .*node_modules/);
  });

  it('runs as a numeric non-root user with a HEALTHCHECK that uses node, and node (not npm) as the process', () => {
    const user = runtime.find((l) => l.startsWith('USER '));
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    const health = runtime.find((l) => l.startsWith('HEALTHCHECK '));
    expect(health).toMatch(/CMD \["node", "-e", .*\/healthz/);
    expect(runtime).toContain('ENTRYPOINT ["node"]');
    expect(runtime).toContain('CMD ["dist/apps/event-framework/src/main.js"]');
    expect(dockerfile).toContain('ENV NODE_ENV=production');
  });

  it('keeps the build context small (.dockerignore) but includes what the build needs', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', '.data', '.git']) expect(ignore).toContain(entry);
    expect(ignore).toContain('!test/support');
  });
});
