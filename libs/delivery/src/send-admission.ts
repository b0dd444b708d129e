/**
 * Admits and writes send API requests in one round trip and one commit: one statement looks up the
 * first message of each request's idempotency key, counts the recipients of the others against the
 * tenant's per-minute and per-hour quotas, and writes the messages those quotas let through, with their
 * jobs and audit events (`writeMessagesCtes`). Requests arriving while a statement is in flight go
 * together in the next one (GatheringBatcher), counted as if one by one in arrival order.
 *
 * The quotas live in `rate_limits` (UNLOGGED, shared by every replica) under the keys and with the
 * window semantics of SharedRateLimiter (rate-limiter-flexible's `prefix:key`, points, expiry in epoch
 * ms): a request over the minute quota is still counted in that window, like a refused consume, and
 * only a request the minute window let through is counted against the hour. Being counted in the
 * writing statement, a request over the quota writes nothing, and an admitted one is counted exactly
 * when its message commits. The price: the tenant's counter rows stay locked until that commit (its
 * WAL flush), so another replica sending for the same tenant at that moment waits that long. Counter
 * rows are locked in tenant order, so two replicas' statements never deadlock on them.
 *
 * A replay (the key's first message still fresh) is neither counted nor refused, and writes nothing. A
 * key past its lifetime is neither counted nor written by that statement: the caller releases the key
 * and submits again (rare, one extra round trip). So is a later request with the key of an earlier one
 * in the same batch: it answers like a late duplicate once the first has committed.
 */
import { PreparedStatement } from '@mailstrata/database';
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { GatheringBatcher } from './gathering-batcher';
import {
  messageInputCte,
  messageWriteParams,
  NewMessage,
  PreparedMessage,
  prepareMessage,
  returnedRows,
  writeMessagesCtes,
} from './message-writer';

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

/** What became of a request; only `written` wrote (and counted) anything. */
export type Admission =
  | { outcome: 'written'; id: string }
  /** The key's first message: a replay when fresh, else a key to release before submitting again. */
  | { outcome: 'earlier'; earlier: EarlierMessage }
  /** Over a quota: the seconds until the exhausted window lets it through. */
  | { outcome: 'limited'; retryAfter: number }
  /** Not written: its key was taken meanwhile (by a concurrent request or one earlier in its batch). */
  | { outcome: 'taken' };

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Most requests admitted by one statement (each writes up to 50 jobs). */
const MAX_BATCH = 100;

const upsertWindow = (source: string) => `INSERT INTO rate_limits AS r (key, points, expire)
     ${source}
     ON CONFLICT (key) DO UPDATE SET
       points = CASE WHEN r.expire <= $8::bigint THEN EXCLUDED.points ELSE r.points + EXCLUDED.points END,
       expire = CASE WHEN r.expire <= $8::bigint THEN EXCLUDED.expire ELSE r.expire END
     RETURNING key, points, expire`;

/**
 * Admits and writes the messages of $1 (JSON message rows with `pos`, their order of submission,
 * `quota_tenant` and `points`), $2–$6 as in `writeMessagesCtes`, with key lifetime $7 ms, now $8 (epoch
 * ms), quotas $9 per minute and $10 per hour. Each tenant's counter is moved once by the total of its
 * counted requests; a request is within a window when the counter before this statement plus the
 * points of the tenant's requests up to and including it stay within the quota, exactly as if they had
 * been counted one by one in that order. Only requests within both windows are written.
 */
const ADMIT_AND_WRITE = new PreparedStatement(
  'email_send_admit_write',
  `WITH ${messageInputCte(', pos int, quota_tenant text, points int')}, earlier AS (
     SELECT i.pos, m.id, m.idempotency_fingerprint, m.created_at > now() - ($7::text || ' milliseconds')::interval AS fresh,
            m.route_level, m.route_profile_id, m.route_version
     FROM input i JOIN email_messages m ON m.idempotency_scope = i.idempotency_scope AND m.idempotency_key = i.idempotency_key
   ), counted AS (
     SELECT i.pos, i.quota_tenant AS tenant, i.points FROM input i
     WHERE NOT EXISTS (SELECT 1 FROM earlier e WHERE e.pos = i.pos)
       AND NOT EXISTS (SELECT 1 FROM input o WHERE o.idempotency_scope = i.idempotency_scope AND o.idempotency_key = i.idempotency_key AND o.pos < i.pos)
   ), minute_in AS (
     SELECT tenant, sum(points)::int AS total FROM counted GROUP BY tenant
   ), minute AS (
     ${upsertWindow(`SELECT 'email-send-minute:' || tenant, total, $8::bigint + ${MINUTE_MS} FROM minute_in ORDER BY tenant`)}
   ), minute_ok AS (
     SELECT c.pos, c.tenant, c.points, w.expire,
            w.points - t.total + sum(c.points) OVER (PARTITION BY c.tenant ORDER BY c.pos) <= $9::int AS ok
     FROM counted c JOIN minute_in t USING (tenant) JOIN minute w ON w.key = 'email-send-minute:' || c.tenant
   ), hour_in AS (
     SELECT tenant, sum(points)::int AS total FROM minute_ok WHERE ok GROUP BY tenant
   ), hour AS (
     ${upsertWindow(`SELECT 'email-send-hour:' || tenant, total, $8::bigint + ${HOUR_MS} FROM hour_in ORDER BY tenant`)}
   ), hour_ok AS (
     SELECT o.pos, w.expire,
            w.points - t.total + sum(o.points) OVER (PARTITION BY o.tenant ORDER BY o.pos) <= $10::int AS ok
     FROM minute_ok o JOIN hour_in t USING (tenant) JOIN hour w ON w.key = 'email-send-hour:' || o.tenant
     WHERE o.ok
   ), ${writeMessagesCtes('pos IN (SELECT pos FROM hour_ok WHERE ok)')}
   SELECT i.pos, i.id IN (SELECT id FROM m) AS written,
          e.id, e.idempotency_fingerprint, e.fresh, e.route_level, e.route_profile_id, e.route_version,
          mo.ok AS minute_ok, mo.expire::float8 AS minute_expire, ho.ok AS hour_ok, ho.expire::float8 AS hour_expire
   FROM input i LEFT JOIN earlier e ON e.pos = i.pos LEFT JOIN minute_ok mo ON mo.pos = i.pos LEFT JOIN hour_ok ho ON ho.pos = i.pos`,
);

interface AdmitRequest {
  message: PreparedMessage;
  tenant: string;
  points: number;
}

interface AdmitRow extends Omit<EarlierMessage, 'id'> {
  pos: number;
  written: boolean;
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
    private readonly cipher: SecretCipher,
    private readonly quotas: SendQuotas,
    private readonly keyLifetimeMs: number,
  ) {
    this.batcher = new GatheringBatcher((requests) => this.admitAll(requests), MAX_BATCH);
  }

  /**
   * Writes `message` if its key (`message.dedup`) has no first message and `tenant`'s quota (a partner
   * id, or `controller`) takes `points` more. Resolves once that has committed (a 202 means durable).
   */
  admit(message: NewMessage, tenant: string, points: number): Promise<Admission> {
    return this.batcher.submit({ message: prepareMessage(this.cipher, message), tenant, points });
  }

  private async admitAll(requests: AdmitRequest[]): Promise<Admission[]> {
    const now = Date.now();
    const messages = requests.map((r) => r.message);
    const input = requests.map((r, pos) => ({ ...r.message.row, pos, quota_tenant: r.tenant, points: r.points }));
    const rows = returnedRows<AdmitRow>(
      await ADMIT_AND_WRITE.run(this.dataSource, [
        JSON.stringify(input),
        ...messageWriteParams(messages),
        String(this.keyLifetimeMs),
        now,
        this.quotas.perMinute,
        this.quotas.perHour,
      ]),
    );
    const byPos = new Map(rows.map((r) => [Number(r.pos), r]));
    const wait = (expire: number | null) => Math.max(1, Math.ceil(((expire ?? now) - now) / 1000));
    return requests.map((request, pos): Admission => {
      const row = byPos.get(pos);
      if (row?.written) return { outcome: 'written', id: request.message.row.id };
      if (row?.id) {
        const { id, idempotency_fingerprint, fresh, route_level, route_profile_id, route_version } = row;
        return { outcome: 'earlier', earlier: { id, idempotency_fingerprint, fresh, route_level, route_profile_id, route_version } };
      }
      if (row?.minute_ok === false) return { outcome: 'limited', retryAfter: wait(row.minute_expire) };
      if (row?.hour_ok === false) return { outcome: 'limited', retryAfter: wait(row.hour_expire) };
      return { outcome: 'taken' };
    });
  }
}
