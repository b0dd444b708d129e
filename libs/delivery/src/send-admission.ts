/**
 * Admits send API requests in one round trip: looks up the first message of each one's idempotency key,
 * and, unless that is a replay, counts its recipients against the tenant's per-minute and per-hour
 * quotas. Requests arriving while a statement is in flight are admitted together by the next one.
 *
 * The quotas live in `rate_limits` (UNLOGGED, shared by every replica) under the keys and with the
 * window semantics of SharedRateLimiter (rate-limiter-flexible's `prefix:key`, points, expiry in epoch
 * ms): a request over the minute quota is still counted in that window, like a refused consume, and
 * only a request the minute window let through is counted against the hour. Both windows are counted
 * by one statement per batch, in Postgres, so two replicas never double-count nor miss each other. The
 * statement writes nothing durable (the table is unlogged), so its commit waits for no disk flush; and
 * it holds the tenant's counter rows only for itself, never across the messages' own (durable) insert.
 */
import { PreparedStatement } from '@mailstrata/database';
import { DataSource } from 'typeorm';
import { GatheringBatcher } from './gathering-batcher';

export interface SendQuotas {
  perMinute: number;
  perHour: number;
}

/** The first message of an idempotency key, as stored. */
export interface EarlierMessage {
  id: string;
  idempotency_fingerprint: string | null;
  /** Still within the key's lifetime (EMAIL_IDEMPOTENCY_TTL_HOURS); an older key is to be released. */
  fresh: boolean;
  route_level: string | null;
  route_profile_id: string | null;
  route_version: string | null;
}

export interface Admission {
  /** The key's first message, when there is one. A fresh one means a replay: no quota was counted. */
  earlier: EarlierMessage | null;
  /** 0: admitted (counted); else the seconds until the exhausted window lets it through. */
  retryAfter: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Most requests admitted by one statement. */
const MAX_BATCH = 200;

const upsertWindow = (source: string) => `INSERT INTO rate_limits AS r (key, points, expire)
     ${source}
     ON CONFLICT (key) DO UPDATE SET
       points = CASE WHEN r.expire <= $3::bigint THEN EXCLUDED.points ELSE r.points + EXCLUDED.points END,
       expire = CASE WHEN r.expire <= $3::bigint THEN EXCLUDED.expire ELSE r.expire END
     RETURNING key, points, expire`;

/**
 * Admits requests ($1, JSON rows `{pos, tenant, points, key_scope, key}`, in submission order) with key
 * lifetime $2 ms, now $3 (epoch ms), quotas $4 per minute and $5 per hour. Each tenant's counter is
 * moved once by the total of its counted requests; a request is within a window when the counter before
 * this statement plus the points of the tenant's requests up to and including it stay within the quota,
 * exactly as if they had been counted one by one in that order.
 */
const ADMIT = new PreparedStatement(
  'email_send_admit',
  `WITH input AS (
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(pos int, tenant text, points int, key_scope text, key text)
   ), earlier AS (
     SELECT i.pos, m.id, m.idempotency_fingerprint, m.created_at > now() - ($2::text || ' milliseconds')::interval AS fresh,
            m.route_level, m.route_profile_id, m.route_version
     FROM input i JOIN email_messages m ON m.idempotency_scope = i.key_scope AND m.idempotency_key = i.key
   ), counted AS (
     SELECT i.pos, i.tenant, i.points FROM input i WHERE NOT EXISTS (SELECT 1 FROM earlier e WHERE e.pos = i.pos AND e.fresh)
   ), minute_in AS (
     SELECT tenant, sum(points)::int AS total FROM counted GROUP BY tenant
   ), minute AS (
     ${upsertWindow(`SELECT 'email-send-minute:' || tenant, total, $3::bigint + ${MINUTE_MS} FROM minute_in`)}
   ), minute_ok AS (
     SELECT c.pos, c.tenant, c.points, w.expire,
            w.points - t.total + sum(c.points) OVER (PARTITION BY c.tenant ORDER BY c.pos) <= $4::int AS ok
     FROM counted c JOIN minute_in t USING (tenant) JOIN minute w ON w.key = 'email-send-minute:' || c.tenant
   ), hour_in AS (
     SELECT tenant, sum(points)::int AS total FROM minute_ok WHERE ok GROUP BY tenant
   ), hour AS (
     ${upsertWindow(`SELECT 'email-send-hour:' || tenant, total, $3::bigint + ${HOUR_MS} FROM hour_in`)}
   ), hour_ok AS (
     SELECT o.pos, w.expire,
            w.points - t.total + sum(o.points) OVER (PARTITION BY o.tenant ORDER BY o.pos) <= $5::int AS ok
     FROM minute_ok o JOIN hour_in t USING (tenant) JOIN hour w ON w.key = 'email-send-hour:' || o.tenant
     WHERE o.ok
   )
   SELECT i.pos, e.id, e.idempotency_fingerprint, e.fresh, e.route_level, e.route_profile_id, e.route_version,
          mo.ok AS minute_ok, mo.expire::float8 AS minute_expire, ho.ok AS hour_ok, ho.expire::float8 AS hour_expire
   FROM input i LEFT JOIN earlier e ON e.pos = i.pos LEFT JOIN minute_ok mo ON mo.pos = i.pos LEFT JOIN hour_ok ho ON ho.pos = i.pos`,
);

interface AdmitRequest {
  tenant: string;
  points: number;
  key: { scope: string; key: string } | null;
}

interface AdmitRow extends Omit<EarlierMessage, 'id'> {
  pos: number;
  id: string | null;
  minute_ok: boolean | null;
  minute_expire: number | null;
  hour_ok: boolean | null;
  hour_expire: number | null;
}

export class SendAdmission {
  private readonly batcher: GatheringBatcher<AdmitRequest, Admission>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly quotas: SendQuotas,
    private readonly keyLifetimeMs: number,
  ) {
    this.batcher = new GatheringBatcher((requests) => this.admitAll(requests), MAX_BATCH);
  }

  /**
   * `tenant`: whose quota (a partner id, or `controller`); `key`: the caller's idempotency key, if any.
   * Requests arriving together are admitted by one statement (GatheringBatcher), in arrival order.
   */
  admit(tenant: string, points: number, key: { scope: string; key: string } | null): Promise<Admission> {
    return this.batcher.submit({ tenant, points, key });
  }

  private async admitAll(requests: AdmitRequest[]): Promise<Admission[]> {
    const now = Date.now();
    const input = requests.map((r, pos) => ({
      pos,
      tenant: r.tenant,
      points: r.points,
      key_scope: r.key?.scope ?? null,
      key: r.key?.key ?? null,
    }));
    const rows = (await ADMIT.run(this.dataSource, [
      JSON.stringify(input),
      String(this.keyLifetimeMs),
      now,
      this.quotas.perMinute,
      this.quotas.perHour,
    ])) as AdmitRow[];
    const byPos = new Map(rows.map((r) => [Number(r.pos), r]));
    const wait = (expire: number | null) => Math.max(1, Math.ceil(((expire ?? now) - now) / 1000));
    return requests.map((_, pos) => {
      const row = byPos.get(pos);
      const earlier: EarlierMessage | null = row?.id
        ? {
            id: row.id,
            idempotency_fingerprint: row.idempotency_fingerprint,
            fresh: row.fresh,
            route_level: row.route_level,
            route_profile_id: row.route_profile_id,
            route_version: row.route_version,
          }
        : null;
      if (earlier?.fresh) return { earlier, retryAfter: 0 };
      if (!row?.minute_ok) return { earlier, retryAfter: wait(row?.minute_expire ?? null) };
      if (!row.hour_ok) return { earlier, retryAfter: wait(row.hour_expire) };
      return { earlier, retryAfter: 0 };
    });
  }
}
