/**
 * Health of each SMTP profile version: when it last worked and when it last failed (stage and reply
 * code), from deliveries and test emails alike. Keyed by the target's cache key ('controller',
 * 'partner:<id>', 'org:<id>') and the profile version, so the controller's env profile has health too
 * and a replaced profile starts from nothing: an outcome of the old version (even one that lands after
 * the replacement) never shows beside the new one's. Rows of other versions are pruned a day after
 * their last write. Successes in a row are written at most once per second per profile version, so a
 * busy profile does not add a write to every email.
 *
 * Failing and healthy: a profile version is *failing* once EMAIL_ALERT_FAILURE_THRESHOLD route faults
 * in a row have been recorded with no success between them (`isRouteFault`: anything but a permanent
 * refusal of one recipient or one message, which says nothing about the route), since the first fault
 * of that streak; it is healthy again at its next success. Each flip is decided by a conditional UPDATE
 * (only one writer finds the old state), and RouteAlerts announces it in that same transaction, so
 * several replicas seeing the same outcomes announce a flip once.
 */
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { DataSource, EntityManager } from 'typeorm';
import type { SmtpFailure } from '@mailstrata/mailer';
import { RouteAlerts, RouteTransition } from './route-alerts';

const SUCCESS_WRITE_INTERVAL_MS = 1_000;

// Rows of a profile's earlier versions outlive a replacement by this much (late outcomes land there).
const PRUNE_OTHER_VERSIONS = `DELETE FROM smtp_profile_health WHERE profile_key = $1 AND profile_version <> $2 AND updated_at < now() - interval '1 day'`;

/**
 * Whether a failed attempt counts against the route: a permanent (5xx) refusal at RCPT TO or DATA is
 * about that recipient or that message (unknown mailbox, content refused) and the route worked; every
 * other failure (connect, TLS, auth, token, sender, timeouts, any 4xx such as 421, a refused or
 * unusable destination) is the route's.
 */
export function isRouteFault(failure: Pick<SmtpFailure, 'stage' | 'smtpCode'> | null): boolean {
  if (!failure) return true;
  const permanent = failure.smtpCode !== null && failure.smtpCode >= 500;
  return !(permanent && (failure.stage === 'RCPT_TO' || failure.stage === 'DATA'));
}

export interface ProfileHealth {
  /** The profile version these outcomes were seen with. */
  profileVersion: string;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastFailureStage: string | null;
  lastFailureCode: number | null;
  lastFailureErrorCode: string | null;
  /** Set while the version is failing: when the streak of route faults began. */
  failingSince: Date | null;
}

/** TypeORM answers an UPDATE … RETURNING with [rows, count], a SELECT or INSERT with the rows. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

@Injectable()
export class ProfileHealthRecorder {
  private readonly logger = new Logger(ProfileHealthRecorder.name);
  private readonly lastSuccessWrite = new Map<string, number>();
  private readonly failureThreshold: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(APP_CONFIG) config: AppConfig | null = null,
    @Optional() @Inject(RouteAlerts) private readonly alerts: RouteAlerts | null = null,
  ) {
    this.failureThreshold = config?.emailNotifications.failureThreshold ?? 3;
  }

  /** A success; when it ends a failing state, the recovery is announced (in `manager`'s transaction if given, else in its own). */
  async success(key: string, version: string, manager?: EntityManager, at = new Date()): Promise<void> {
    const throttleKey = `${key}|${version}`;
    const last = this.lastSuccessWrite.get(throttleKey);
    if (last !== undefined && at.getTime() - last < SUCCESS_WRITE_INTERVAL_MS) return;
    this.lastSuccessWrite.set(throttleKey, at.getTime());
    const [row] = (await (manager ?? this.dataSource.manager).query(
      `WITH pruned AS (${PRUNE_OTHER_VERSIONS})
       INSERT INTO smtp_profile_health (profile_key, profile_version, last_success_at, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (profile_key, profile_version) DO UPDATE SET last_success_at = GREATEST(smtp_profile_health.last_success_at, $3),
         consecutive_failures = 0, streak_started_at = NULL, updated_at = now()
       RETURNING failing_since`,
      [key, version, at],
    )) as { failing_since: Date | null }[];
    if (!row?.failing_since) return;
    // Rare: the version was failing. Whoever clears the mark announces the recovery.
    await this.inTransaction(manager, async (m) => {
      const [locked] = (await m.query(
        `SELECT failing_since FROM smtp_profile_health WHERE profile_key = $1 AND profile_version = $2 FOR UPDATE`,
        [key, version],
      )) as { failing_since: Date | null }[];
      if (!locked?.failing_since) return;
      const cleared = { since: locked.failing_since };
      await m.query(`UPDATE smtp_profile_health SET failing_since = NULL WHERE profile_key = $1 AND profile_version = $2`, [key, version]);
      await this.announce(m, {
        key,
        version,
        direction: 'recovered',
        since: cleared.since,
        at,
        consecutiveFailures: 0,
        stage: null,
        smtpCode: null,
        errorCode: null,
      });
    });
  }

  async failure(
    key: string,
    version: string,
    failure: Pick<SmtpFailure, 'stage' | 'smtpCode'> | null,
    errorCode: string | null,
    manager?: EntityManager,
    at = new Date(),
  ): Promise<void> {
    // The next success must be written, or the profile would look failed after it recovered.
    this.lastSuccessWrite.delete(`${key}|${version}`);
    const fault = isRouteFault(failure) ? 1 : 0;
    const [row] = (await (manager ?? this.dataSource.manager).query(
      `WITH pruned AS (${PRUNE_OTHER_VERSIONS})
         INSERT INTO smtp_profile_health (profile_key, profile_version, last_failure_at, last_failure_stage, last_failure_code, last_failure_error_code,
           consecutive_failures, streak_started_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 > 0 THEN $3::timestamptz END, now())
         ON CONFLICT (profile_key, profile_version) DO UPDATE SET last_failure_at = $3, last_failure_stage = $4, last_failure_code = $5,
           last_failure_error_code = $6, consecutive_failures = smtp_profile_health.consecutive_failures + $7,
           streak_started_at = CASE WHEN $7 > 0 AND smtp_profile_health.consecutive_failures = 0 THEN $3::timestamptz
                                    ELSE smtp_profile_health.streak_started_at END,
           updated_at = now()
         RETURNING consecutive_failures, failing_since`,
      [key, version, at, failure?.stage ?? null, failure?.smtpCode ?? null, errorCode, fault],
    )) as { consecutive_failures: number; failing_since: Date | null }[];
    if (!fault || !row || row.failing_since || row.consecutive_failures < this.failureThreshold) return;
    // Whoever sets the mark announces the failure.
    await this.inTransaction(manager, async (m) => {
      const [marked] = rowsOf<{ failing_since: Date; consecutive_failures: number }>(
        await m.query(
          `UPDATE smtp_profile_health SET failing_since = COALESCE(streak_started_at, $3)
          WHERE profile_key = $1 AND profile_version = $2 AND failing_since IS NULL AND consecutive_failures >= $4
          RETURNING failing_since, consecutive_failures`,
          [key, version, at, this.failureThreshold],
        ),
      );
      if (!marked) return;
      await this.announce(m, {
        key,
        version,
        direction: 'failing',
        since: marked.failing_since,
        at,
        consecutiveFailures: marked.consecutive_failures,
        stage: failure?.stage ?? null,
        smtpCode: failure?.smtpCode ?? null,
        errorCode,
      });
    });
  }

  /** What this very version of the profile saw; null when it has seen nothing yet. */
  async read(key: string, version: string): Promise<ProfileHealth | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT profile_version, last_success_at, last_failure_at, last_failure_stage, last_failure_code, last_failure_error_code, failing_since
         FROM smtp_profile_health WHERE profile_key = $1 AND profile_version = $2`,
      [key, version],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      profileVersion: String(r.profile_version),
      lastSuccessAt: (r.last_success_at as Date | null) ?? null,
      lastFailureAt: (r.last_failure_at as Date | null) ?? null,
      lastFailureStage: (r.last_failure_stage as string | null) ?? null,
      lastFailureCode: (r.last_failure_code as number | null) ?? null,
      lastFailureErrorCode: (r.last_failure_error_code as string | null) ?? null,
      failingSince: (r.failing_since as Date | null) ?? null,
    };
  }

  /**
   * Runs `work` in the caller's transaction if there is one, else in its own. The flip and its
   * announcement sit behind a savepoint: if announcing fails (a template, a lost tenant), the flip is
   * undone with it, the caller's booking still commits, and the next outcome tries again.
   */
  private inTransaction(manager: EntityManager | undefined, work: (m: EntityManager) => Promise<void>): Promise<void> {
    const guarded = async (m: EntityManager) => {
      await m.query('SAVEPOINT route_health');
      try {
        await work(m);
        await m.query('RELEASE SAVEPOINT route_health');
      } catch (err) {
        await m.query('ROLLBACK TO SAVEPOINT route_health');
        this.logger.error({ err }, 'recording an SMTP route state change failed; the next outcome tries again');
      }
    };
    return manager?.queryRunner?.isTransactionActive ? guarded(manager) : this.dataSource.transaction(guarded);
  }

  private async announce(manager: EntityManager, transition: RouteTransition): Promise<void> {
    if (!this.alerts) {
      this.logger.warn({ route_key: transition.key, direction: transition.direction }, 'SMTP route state changed; no alerting is wired');
      return;
    }
    await this.alerts.announce(manager, transition);
  }
}
