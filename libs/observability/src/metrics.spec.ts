import { Histogram, Registry } from 'prom-client';
import { KeyedHistogram, LATENCY_BUCKETS_SECONDS } from './metrics';

const OBSERVATIONS: Array<[string, string, number]> = [
  ['GET', '/healthz', 0.0004],
  ['GET', '/healthz', 0.005],
  ['GET', '/event/v1/email/config/effective', 0.012],
  ['GET', '/healthz', 31],
  ['POST', '/auth/v1/login', 0.3],
  ['GET', '/event/v1/email/config/effective', 2.5],
];

/** The same observations through prom-client's Histogram and through a KeyedHistogram, each in its own registry. */
async function exposition(keyed: boolean) {
  const registry = new Registry();
  const options = {
    name: 'mailstrata_test_duration_seconds',
    help: 'test latency',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  };
  if (keyed) {
    const h = new KeyedHistogram<'method' | 'route'>(options);
    for (const [method, route, value] of OBSERVATIONS) h.observeKeyed(`${method} ${route}`, () => ({ method, route }), value);
    return { registry, metric: h };
  }
  const h = new Histogram<'method' | 'route'>(options);
  for (const [method, route, value] of OBSERVATIONS) h.observe({ method, route }, value);
  return { registry, metric: h };
}

describe('KeyedHistogram', () => {
  it('is exposed exactly as prom-client exposes the same observations', async () => {
    const plain = await exposition(false);
    const keyed = await exposition(true);
    const text = await keyed.registry.metrics();
    expect(text).toBe(await plain.registry.metrics());
    expect(text).toContain('mailstrata_test_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"} 2');
    expect(await keyed.metric.get()).toEqual(await plain.metric.get());
  });

  it('starts over on reset', async () => {
    const keyed = await exposition(true);
    keyed.metric.reset();
    expect((await keyed.metric.get()).values).toEqual([]);
  });
});
