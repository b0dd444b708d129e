/** How the service serves the ops console: deep links, caching, and the headers a security scanner expects. */
import { startTestApp, TestApp } from '../support/app';
import { consoleDir } from './support';

describe('GET /console', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ consoleDir: consoleDir() });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers index.html for every console path, with a strict CSP and secure headers', async () => {
    for (const url of ['/console', '/console/', '/console/smtp', '/console/mailbox/123?x=1']) {
      const res = await app.client.get(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<div id="app">');
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.toMatch(/\sstyle=/);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets immutable (gzip when asked, 304 on a matching ETag) and 404s a missing one', async () => {
    const index = (await app.client.get('/console/')).text;
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index)![1]!;
    const res = await app.client.get(script, undefined, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toContain('immutable');
    const again = await app.client.get(script, undefined, { 'if-none-match': String(res.headers.etag) });
    expect(again.status).toBe(304);
    const missing = await app.client.get('/console/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
  });

  it('leaves the API’s own headers alone, and the CSRF origin check still holds', async () => {
    const health = await app.client.get('/healthz');
    expect(health.headers['content-security-policy']).toBeUndefined();
    const login = await app.client.post('/auth/v1/login', { email: 'x@y.test', password: 'whatever-long-enough' }, undefined, {
      origin: 'https://evil.example',
    });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('CROSS_SITE_REQUEST');
  });
});
