/**
 * A per-key limit shared by every replica: rate-limiter-flexible counts in Postgres (table
 * `rate_limits`, one upsert per request), so three replicas behind a load balancer allow the limit
 * once, not three times. When Postgres does not answer, each replica counts on its own (the
 * library's insurance limiter) instead of refusing everything or letting everything through.
 */
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';

export interface SharedRateLimitOptions {
  /** Namespaces the keys, e.g. `verification`. */
  name: string;
  /** Requests allowed per key and window. */
  points: number;
  windowSeconds: number;
}

export class SharedRateLimiter {
  private readonly limiter: RateLimiterPostgres;

  constructor(dataSource: DataSource, options: SharedRateLimitOptions) {
    this.limiter = new RateLimiterPostgres({
      storeClient: dataSource,
      storeType: 'typeorm',
      tableName: 'rate_limits',
      tableCreated: true, // by migration 1764400000000
      keyPrefix: options.name,
      points: options.points,
      duration: options.windowSeconds,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: options.name, points: options.points, duration: options.windowSeconds }),
    });
  }

  /** Counts `points` (one request by default) for `key`: 0 when allowed, else the seconds until the window lets it through. */
  async take(key: string, points = 1): Promise<number> {
    try {
      await this.limiter.consume(key, points);
      return 0;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  }
}
