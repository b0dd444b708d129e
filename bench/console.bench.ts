/**
 * Console section: the first load of the ops console's sign-in page and SMTP page in Chromium (a fresh
 * browser context each round, so nothing is cached), until the page is usable (its heading, or the
 * SMTP form with the route in force), beside a blank static page served by the same server in the same
 * run. Goal: under 1 s. Also the console's gzipped JavaScript (goal ≤ 150 kB).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '@mailstrata/config';
import { chromium } from 'playwright-core';
import { createApp } from '../apps/event-framework/src/bootstrap';
import { defaultConsoleDir } from '../apps/event-framework/src/console/console-static';
import { ROOT_EMAIL, ROOT_PASSWORD, testEnv } from '../test/support/app';
import { createTestDatabase } from '../test/support/database';
import { BenchSection, httpJson, Row } from './harness';

const ROUNDS = 7;
// The browser tests' flags (test/console/support.ts): Debian's Chromium, nothing fetched in the background.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const PASSWORD = 'bench-passphrase-2026';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function run(): Promise<Row[]> {
  const db = await createTestDatabase();
  const config = loadConfig(testEnv(db.url, { LOGIN_RATE_LIMIT_PER_MINUTE: '100000', MAIL_CATCHER: 'on' }));
  const app = await createApp(config, db.url, { swaggerUi: false });
  const blank = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body></body></html>';
  app
    .getHttpAdapter()
    .getInstance()
    .get('/bench/blank', (_request, reply) => reply.type('text/html; charset=utf-8').send(blank));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const root = (await httpJson(base, 'POST', '/auth/v1/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD })).cookie;
    await httpJson(base, 'POST', '/auth/v1/partners', { name: 'Bench', admin: { email: 'admin@bench.test', password: PASSWORD } }, root);
    const token = (await httpJson(base, 'POST', '/auth/v1/login', { email: 'admin@bench.test', password: PASSWORD })).cookie as string;

    const firstLoad = async (path: string, ready: string, signedIn: boolean): Promise<number> => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      if (signedIn) await context.addCookies([{ name: 'rsid', value: token, url: base }]);
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(base + path, { waitUntil: 'load' });
      await page
        .locator(ready)
        .first()
        .waitFor({ state: ready === 'title' ? 'attached' : 'visible' });
      const ms = performance.now() - started;
      await context.close();
      return ms;
    };
    const times = { blank: [] as number[], signIn: [] as number[], smtp: [] as number[] };
    await firstLoad('/console/login', '#page-title', false); // warm the server, not the browser cache
    for (let i = 0; i < ROUNDS; i += 1) {
      times.blank.push(await firstLoad('/bench/blank', 'title', false));
      times.signIn.push(await firstLoad('/console/login', 'h1:has-text("Sign in")', false));
      times.smtp.push(await firstLoad('/console/smtp', '[data-testid="in-force"]', true));
    }
    const blankMs = median(times.blank);
    const row = (metric: string, xs: number[]): Row => ({
      section: 'console',
      metric,
      value: `${median(xs).toFixed(0)} ms`,
      baseline: `${blankMs.toFixed(0)} ms blank`,
      note: `goal < 1000 ms; median of ${ROUNDS} cold loads`,
    });

    const assets = join(defaultConsoleDir(), 'assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
    const gzipped = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
    return [
      row('first load: sign-in page (Chromium)', times.signIn),
      row('first load: SMTP page, signed in (Chromium)', times.smtp),
      { section: 'console', metric: 'console JavaScript, gzipped', value: `${(gzipped / 1024).toFixed(1)} kB`, note: 'goal ≤ 150 kB' },
    ];
  } finally {
    await browser.close();
    await app.close();
    await db.drop();
  }
}

export const consoleBench: BenchSection = { name: 'console', run };
