/**
 * What the service logs per request, as a user runs it (LOG_LEVEL=info): one JSON access line per
 * request carrying the request id and no credential, none for the probes, and every Nest Logger line
 * (libraries, Nest itself) as JSON through the same logger.
 */
import { Logger } from '@nestjs/common';
import { CapturedLogs, captureStdout } from '../support/logs';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';

describe('request logging', () => {
  let t: TestApp;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureStdout();
    t = await startTestApp({ env: { LOG_LEVEL: 'info' } });
    // A test app is never listen()ed, so Nest would keep its start-up logs buffered; let them through.
    t.app.flushLogs();
  });
  afterAll(async () => {
    logs?.restore();
    await t?.close();
  });

  const lines = () =>
    logs
      .text()
      .split('\n')
      .filter((l) => l.trim() !== '');
  const json = () => lines().map((l) => JSON.parse(l) as Record<string, any>);

  it('writes one access line per request with the request id and status, and no credential', async () => {
    const token = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const me = await t.client.get('/auth/v1/me', token, { 'x-request-id': 'access-me-1', authorization: `Bearer ${token}` });
    expect(me.status).toBe(200);
    expect(me.headers['x-request-id']).toBe('access-me-1');
    const missing = await t.client.get('/auth/v1/no-such-route', token, { 'x-request-id': 'access-bad-1' });
    expect(missing.status).toBe(404);
    expect(missing.body.correlation_id).toBe('access-bad-1');

    const meLines = json().filter((l) => l.reqId === 'access-me-1');
    expect(meLines).toHaveLength(1);
    expect(meLines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { method: 'GET', url: '/auth/v1/me' },
      res: { statusCode: 200 },
    });
    expect(meLines[0]!.req.headers).toBeUndefined();
    expect(typeof meLines[0]!.responseTime).toBe('number');
    // A client error is a warning; the line names the request it belongs to.
    expect(json().filter((l) => l.reqId === 'access-bad-1')).toEqual([
      expect.objectContaining({ level: 40, msg: 'request completed', res: { statusCode: 404 } }),
    ]);
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).not.toContain(ROOT_PASSWORD);
  });

  it('does not access-log the probes, whatever their query string or trailing slash', async () => {
    for (const url of ['/healthz', '/healthz?probe=1', '/healthz/', '/readyz', '/metrics']) {
      const res = await t.client.get(url, undefined, { 'x-request-id': 'probe-1' });
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
    expect(lines().filter((l) => l.includes('probe-1'))).toEqual([]);
  });

  it('writes every Nest Logger line as JSON through the same logger, with its context', async () => {
    new Logger('SomeLibrary').warn({ attempt: 2, password: 'library-secret' }, 'something to look at');
    const line = json().find((l) => l.msg === 'something to look at');
    expect(line).toMatchObject({ level: 40, context: 'SomeLibrary', attempt: 2, password: '[redacted]' });
    // Nothing in Nest's console format (start-up lines included): every line is a JSON object.
    expect(lines().filter((l) => !l.startsWith('{'))).toEqual([]);
  });
});
