/**
 * The embedded Postgres on a fresh clone: whichever process creates the data directory first (the
 * service, the bench, the tests), Postgres must be able to reach it when it runs as the postgres user
 * (as root it does), and a directory it can never reach is named instead of failing obscurely.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnService } from '../support/process';

const ENTRY = 'apps/event-framework/src/main.js';
const runsAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('embedded Postgres data directory', () => {
  const base = join(__dirname, '..', '..', '.data', `embedded-dirs-${process.pid}`);
  const env = { PORT: '0', HOST: '127.0.0.1', PASSWORD_HASH_COST: '10', LOG_LEVEL: 'warn' };

  beforeAll(() => rmSync(base, { recursive: true, force: true }));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('starts in a DATA_DIR whose parents do not exist yet, and leaves them passable', async () => {
    const dataDir = join(base, 'not', 'there', 'yet');
    const service = spawnService(ENTRY, { ...env, DATA_DIR: dataDir });
    const [, url] = await service.waitFor(/listening on (http:\/\/\S+)/);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    if (runsAsRoot) {
      for (const dir of [base, join(base, 'not'), join(base, 'not', 'there'), dataDir]) {
        expect({ dir, searchable: (statSync(dir).mode & 0o001) === 0o001 }).toEqual({ dir, searchable: true });
      }
    }
  });

  it('names a parent directory the postgres user cannot enter', async () => {
    const closed = join(base, 'closed');
    mkdirSync(closed, { recursive: true, mode: 0o700 });
    const service = spawnService(ENTRY, { ...env, DATA_DIR: join(closed, 'inner') });
    if (runsAsRoot) {
      expect(await service.exited).not.toBe(0);
      expect(service.output()).toContain(`cannot enter ${closed}`);
    } else {
      // Not root: Postgres runs as this user, who owns the directory.
      await service.waitFor(/listening on/);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    }
  });
});
