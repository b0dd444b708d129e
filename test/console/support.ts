/**
 * Browser tests of the ops console: the real service (test/support/app.ts, same createApp as main.ts)
 * listening on a real loopback port, driven by Debian's Chromium through playwright-core (never a
 * downloaded browser), with axe-core injected for accessibility scans and every response recorded so
 * a test can prove no secret reached the page.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { startTestApp, TestApp } from '../support/app';

export const ROOT = resolve(__dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** dist/console from `npm run build`; without one, a private build for this run (never shared between suites). */
export function consoleDir(): string {
  const built = join(ROOT, 'dist', 'console');
  if (existsSync(join(built, 'index.html'))) return built;
  const own = join(ROOT, '.data', `console-build-${process.pid}`);
  if (!existsSync(join(own, 'index.html'))) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-console.js'), own], { cwd: ROOT, stdio: 'pipe' });
  }
  return own;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface ConsoleApp extends TestApp {
  url: string;
}

/** The service on a real port; PUBLIC_URL is that address, so the origin check and email links match the browser's. */
export async function startConsoleApp(env: Record<string, string> = {}): Promise<ConsoleApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = await startTestApp({
    env: { PUBLIC_URL: url, VERIFICATION_RATE_LIMIT_PER_MINUTE: '1000', ...env },
    consoleDir: consoleDir(),
  });
  await app.app.listen({ port, host: '127.0.0.1' });
  return { ...app, url };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface Recorder {
  /** Bodies of every response the page received (text types only). */
  bodies: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** CSP violations the browser reported. */
  cspViolations: string[];
}

export async function newPage(
  browser: Browser,
  options: { width?: number; height?: number } = {},
): Promise<{ context: BrowserContext; page: Page; recorder: Recorder }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const recorder: Recorder = { bodies: [], errors: [], cspViolations: [] };
  page.on('pageerror', (e) => recorder.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (/Content.Security.Policy/i.test(text)) recorder.cspViolations.push(text);
    // Expected API answers (401 before sign-in, 404 for a missing profile) are logged by the browser as failed loads.
    else if (!/Failed to load resource/.test(text)) recorder.errors.push(text);
  });
  page.on('response', (response) => {
    const type = response.headers()['content-type'] ?? '';
    if (!/json|text|html|javascript|css/.test(type)) return;
    response.text().then(
      (body) => recorder.bodies.push(body),
      () => undefined,
    );
  });
  return { context, page, recorder };
}

export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/console/login`);
  await page.getByLabel(/^Email/).fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core injected into the page; returns serious and critical violations only. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) neither blocks nor reports it.
  await page.evaluate(AXE_SOURCE);
  // The root tsconfig has no DOM types: browser globals are reached through globalThis.
  const result: { violations: AxeViolation[] } = await page.evaluate(async () => {
    const g = globalThis as any;
    return g.axe.run(g.document, { resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/** True when nothing on the page is wider than the window (no sideways scrolling). */
export async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const root = (globalThis as any).document.documentElement;
    return root.scrollWidth <= root.clientWidth + 1;
  });
}
