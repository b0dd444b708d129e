import { accessLogger, createLogger, DeferredChildLogger, REDACTED } from './logger';

/** Runs `log` against a logger built while process.stdout is captured; returns the lines without their time. */
function linesOf(log: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    log(createLogger('info'));
  } finally {
    process.stdout.write = write;
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/"time":\d+,/, ''));
}

const request = (headers: Record<string, string>) => ({ method: 'GET', url: '/event/v1/x?a=1', ip: '127.0.0.1', headers });

describe('access lines', () => {
  it('read exactly like a line through a redacting per-request child, and carry no header but Host and User-Agent', () => {
    const headers = {
      host: 'api.example',
      'user-agent': 'curl/8.5',
      cookie: 'rsid=session-secret',
      authorization: 'Bearer bearer-secret',
      'proxy-authorization': 'Basic proxy-secret',
      'x-api-key': 'gateway-secret',
      accept: '*/*',
    };
    const [viaChild, viaAccess] = linesOf((logger) => {
      const line = { req: request(headers), res: { statusCode: 200 }, responseTime: 1.25 };
      logger.child({ reqId: 'req-1' }).info(line, 'request completed');
      accessLogger(logger).info({ reqId: 'req-1', ...line }, 'request completed');
    });
    expect(viaAccess).toBe(viaChild);
    expect(viaAccess).not.toContain('secret');
    const parsed = JSON.parse(viaAccess!) as { reqId: string; req: Record<string, unknown> };
    expect(parsed.reqId).toBe('req-1');
    expect(parsed.req).toEqual({
      method: 'GET',
      url: '/event/v1/x?a=1',
      host: 'api.example',
      remoteAddress: '127.0.0.1',
      userAgent: 'curl/8.5',
    });
  });

  it('leave the main logger redacting what a library logs', () => {
    const [line] = linesOf((logger) => logger.warn({ attempt: { password: 'library-secret' } }, 'x'));
    expect(line).not.toContain('library-secret');
    expect(line).toContain(REDACTED);
  });
});

describe('DeferredChildLogger', () => {
  it('builds its child only when it first logs, and that line carries the bindings', () => {
    const lines = linesOf((logger) => {
      const child = jest.spyOn(logger, 'child');
      const deferred = new DeferredChildLogger(logger, { reqId: 'req-2' }, { level: 'info' });
      expect(deferred.level).toBe('info');
      expect(deferred.isLevelEnabled('debug')).toBe(false);
      expect(child).not.toHaveBeenCalled();
      deferred.warn({ detail: 1 }, 'reply was already sent');
      deferred.info('second line');
      expect(child).toHaveBeenCalledTimes(1);
    });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 40, reqId: 'req-2', detail: 1, msg: 'reply was already sent' }),
      expect.objectContaining({ level: 30, reqId: 'req-2', msg: 'second line' }),
    ]);
  });
});
