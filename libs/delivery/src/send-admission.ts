/**
 * Admits a send API request in one round trip: looks up the first message of its idempotency key, and,
 * unless that is a replay, counts its recipients against the tenant's per-minute and per-hour quotas.
 *
 * The quotas live in `rate_limits` (UNLOGGED, shared by every replica) under the keys and with the
 * window semantics of SharedRateLimiter (rate-limiter-flexible's `prefix:key`, points, expiry in epoch
 * ms): a request over the minute quota is still counted in that window, like a refused consume, and
 * only a request the minute window let through is counted against the hour. Both windows are counted
 * by one statement, so two replicas never double-count nor miss each other. The statement writes
 * nothing durable (the table is unlogged), so its commit waits for no disk flush; and it holds the
 * tenant's counter rows only for itself, never across the message's own (durable) insert.
 */
import { PreparedStatement } from '@mailstrata/database';
import { DataSource } from 'typeorm';

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

const upsertWindow = (source: string) => `INSERT INTO rate_limits AS r (key, points, expire)
     ${source}
     ON CONFLICT (key) DO UPDATE SET
       points = CASE WHEN r.expire <= $8::bigint THEN EXCLUDED.points ELSE r.points + EXCLUDED.points END,
       expire = CASE WHEN r.expire <= $8::bigint THEN EXCLUDED.expire ELSE r.expire END
     RETURNING points, expire`;

/**
 * $1 idempotency scope, $2 key (both null without a key), $3 key lifetime ms, $4/$5 minute/hour counter
 * keys, $6 points (recipients), $7 minute quota, $8 now (epoch ms).
 */
const ADMIT = new PreparedStatement(
  'email_send_admit',
  `WITH earlier AS (
     SELECT id, idempotency_fingerprint, created_at > now() - ($3::text || ' milliseconds')::interval AS fresh,
            route_level, route_profile_id, route_version
     FROM email_messages WHERE idempotency_scope = $1::text AND idempotency_key = $2::text
   ), minute AS (
     ${upsertWindow(`SELECT $4::varchar, $6::int, $8::bigint + ${MINUTE_MS} WHERE NOT EXISTS (SELECT 1 FROM earlier WHERE fresh)`)}
   ), hour AS (
     ${upsertWindow(`SELECT $5::varchar, $6::int, $8::bigint + ${HOUR_MS} FROM minute WHERE minute.points <= $7::int`)}
   )
   SELECT e.id, e.idempotency_fingerprint, e.fresh, e.route_level, e.route_profile_id, e.route_version,
          (SELECT points FROM minute) AS minute_points, (SELECT expire FROM minute)::float8 AS minute_expire,
          (SELECT points FROM hour) AS hour_points, (SELECT expire FROM hour)::float8 AS hour_expire
   FROM (SELECT 1) one LEFT JOIN earlier e ON true`,
);

interface AdmitRow extends Omit<EarlierMessage, 'id'> {
  id: string | null;
  minute_points: number | null;
  minute_expire: number | null;
  hour_points: number | null;
  hour_expire: number | null;
}

export class SendAdmission {
  constructor(
    private readonly dataSource: DataSource,
    private readonly quotas: SendQuotas,
    private readonly keyLifetimeMs: number,
  ) {}

  /** `tenant`: whose quota (a partner id, or `controller`); `key`: the caller's idempotency key, if any. */
  async admit(tenant: string, points: number, key: { scope: string; key: string } | null): Promise<Admission> {
    const now = Date.now();
    const [row] = (await ADMIT.run(this.dataSource, [
      key?.scope ?? null,
      key?.key ?? null,
      String(this.keyLifetimeMs),
      `email-send-minute:${tenant}`,
      `email-send-hour:${tenant}`,
      points,
      this.quotas.perMinute,
      now,
    ])) as AdmitRow[];
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
    const wait = (expire: number | null) => Math.max(1, Math.ceil(((expire ?? now) - now) / 1000));
    let retryAfter = 0;
    if ((row?.minute_points ?? 0) > this.quotas.perMinute) retryAfter = wait(row!.minute_expire);
    else if ((row?.hour_points ?? 0) > this.quotas.perHour) retryAfter = wait(row!.hour_expire);
    return { earlier, retryAfter };
  }
}
