/**
 * The HTTP latency histogram on GET /metrics: one series per method, route pattern and status, never a
 * raw URL, with cumulative buckets whose `+Inf` bucket equals the count.
 */
import { startTestApp, TestApp } from '../support/app';

describe('HTTP request metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const NAME = 'mailstrata_http_request_duration_seconds';

  /** The value of one sample line (name and label set as exposed), or undefined when absent. */
  function sample(text: string, series: string): number | undefined {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  it('counts each request under its route pattern and status, with cumulative buckets', async () => {
    const labels = 'method="GET",route="/healthz",status_code="200"';
    const before = sample((await t.client.get('/metrics')).text, `${NAME}_count{${labels}}`) ?? 0;
    for (const url of ['/healthz', '/healthz?probe=1', '/healthz/']) expect((await t.client.get(url)).status).toBe(200);
    expect((await t.client.get('/no/such/route/123')).status).toBe(404);

    const text = (await t.client.get('/metrics')).text;
    expect(sample(text, `${NAME}_count{${labels}}`)).toBe(before + 3);
    expect(sample(text, `${NAME}_bucket{le="+Inf",${labels}}`)).toBe(before + 3);
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith(`${NAME}_bucket{`) && l.includes(labels))
      .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    expect(buckets.length).toBeGreaterThan(2);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    expect(sample(text, `${NAME}_sum{${labels}}`)).toBeGreaterThan(0);
    // An unmatched path is one series, whatever the URL.
    expect(sample(text, `${NAME}_count{method="GET",route="(unmatched)",status_code="404"}`)).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('/no/such/route');
  });
});
