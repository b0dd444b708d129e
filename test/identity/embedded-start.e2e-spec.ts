/**
 * The fresh-machine path: the service started with no environment at all comes up on an embedded
 * Postgres under DATA_DIR, prints how to sign in, stops cleanly on SIGTERM (Postgres included), and a
 * second start reuses the data.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnService } from '../support/process';

const ENTRY = 'apps/event-framework/src/main.js';

describe('npm start on embedded defaults', () => {
  const dataDir = join(__dirname, '..', '..', '.data', `embedded-start-${process.pid}`);
  const env = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', PASSWORD_HASH_COST: '10', LOG_LEVEL: 'warn' };

  beforeAll(() => rmSync(dataDir, { recursive: true, force: true }));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function signIn(base: string, email: string, password: string): Promise<number> {
    const res = await fetch(`${base}/auth/v1/login`, { method: 'POST', body: JSON.stringify({ email, password }) });
    return res.status;
  }

  // Two starts of the built service, each with initdb or recovery of the embedded Postgres: slow on a busy machine.
  it('comes up with a generated admin, and a second start reuses the data', async () => {
    const first = spawnService(ENTRY, env);
    const [, base] = await first.waitFor(/listening on (http:\/\/\S+)/);
    const [, email, password] = await first.waitFor(/email:\s+(\S+)\n\s+password:\s+(\S+)/);
    expect(first.output()).toContain('embedded Postgres');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await signIn(base!, email!, password!)).toBe(200);
    expect(readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8')).toContain(password!);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // Postgres went down with the service: its lock file is gone.
    expect(existsSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'))).toBe(false);

    const second = spawnService(ENTRY, env);
    const [, base2] = await second.waitFor(/listening on (http:\/\/\S+)/);
    expect(second.output()).not.toContain('created the first controller admin');
    expect(second.output()).toContain(`the first controller admin's credentials are in ${join(dataDir, 'initial-admin.txt')}`);
    expect(await signIn(base2!, email!, password!)).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it('owns SIGTERM on the embedded Postgres too: it drains, then stops Postgres, then exits 0', async () => {
    const service = spawnService(ENTRY, { ...env, SHUTDOWN_DRAIN_DELAY_MS: '1500' });
    const [, base] = await service.waitFor(/listening on (http:\/\/\S+)/);
    service.child.kill('SIGTERM');
    await service.waitFor(/SIGTERM received/);
    // Still serving during the drain delay, with the database up: not ready, but answering.
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { code: string }).code).toBe('SHUTTING_DOWN');
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain('mailstrata: stopped');
    expect(existsSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'))).toBe(false);
  });

  it('refuses to start on a bad variable, naming it', async () => {
    const bad = spawnService(ENTRY, { ...env, FW_EVENT_SMTP_SERVER_PORT: 'seventy', ACCOUNT_CREATION_STRATEGY: 'SOMETIMES' });
    expect(await bad.exited).toBe(78);
    expect(bad.output()).toContain('FW_EVENT_SMTP_SERVER_PORT: must be an integer from 1 to 65535 (got "seventy")');
    expect(bad.output()).toContain('ACCOUNT_CREATION_STRATEGY: must be AUTO or VERIFY');
  });
});
