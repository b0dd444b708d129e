/**
 * Health of each SMTP profile version: when it last worked and when it last failed (stage and reply
 * code), from deliveries and test emails alike. Keyed by the target's cache key ('controller',
 * 'partner:<id>', 'org:<id>') and the profile version, so the controller's env profile has health too
 * and a replaced profile starts from nothing: an outcome of the old version (even one that lands after
 * the replacement) never shows beside the new one's. Rows of other versions are pruned a day after
 * their last write. Successes in a row are written at most once per second per profile version, so a
 * busy profile does not add a write to every email.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { SmtpFailure } from '@mailstrata/mailer';

const SUCCESS_WRITE_INTERVAL_MS = 1_000;

// Rows of a profile's earlier versions outlive a replacement by this much (late outcomes land there).
const PRUNE_OTHER_VERSIONS = `DELETE FROM smtp_profile_health WHERE profile_key = $1 AND profile_version <> $2 AND updated_at < now() - interval '1 day'`;

export interface ProfileHealth {
  /** The profile version these outcomes were seen with. */
  profileVersion: string;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastFailureStage: string | null;
  lastFailureCode: number | null;
  lastFailureErrorCode: string | null;
}

@Injectable()
export class ProfileHealthRecorder {
  private readonly lastSuccessWrite = new Map<string, number>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async success(key: string, version: string, manager: EntityManager = this.dataSource.manager, at = new Date()): Promise<void> {
    const throttleKey = `${key}|${version}`;
    const last = this.lastSuccessWrite.get(throttleKey);
    if (last !== undefined && at.getTime() - last < SUCCESS_WRITE_INTERVAL_MS) return;
    this.lastSuccessWrite.set(throttleKey, at.getTime());
    await manager.query(
      `WITH pruned AS (${PRUNE_OTHER_VERSIONS})
       INSERT INTO smtp_profile_health (profile_key, profile_version, last_success_at, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (profile_key, profile_version) DO UPDATE SET last_success_at = GREATEST(smtp_profile_health.last_success_at, $3), updated_at = now()`,
      [key, version, at],
    );
  }

  async failure(
    key: string,
    version: string,
    failure: Pick<SmtpFailure, 'stage' | 'smtpCode'> | null,
    errorCode: string | null,
    manager: EntityManager = this.dataSource.manager,
    at = new Date(),
  ): Promise<void> {
    // The next success must be written, or the profile would look failed after it recovered.
    this.lastSuccessWrite.delete(`${key}|${version}`);
    await manager.query(
      `WITH pruned AS (${PRUNE_OTHER_VERSIONS})
       INSERT INTO smtp_profile_health (profile_key, profile_version, last_failure_at, last_failure_stage, last_failure_code, last_failure_error_code, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (profile_key, profile_version) DO UPDATE SET last_failure_at = $3, last_failure_stage = $4, last_failure_code = $5,
         last_failure_error_code = $6, updated_at = now()`,
      [key, version, at, failure?.stage ?? null, failure?.smtpCode ?? null, errorCode],
    );
  }

  /** What this very version of the profile saw; null when it has seen nothing yet. */
  async read(key: string, version: string): Promise<ProfileHealth | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT profile_version, last_success_at, last_failure_at, last_failure_stage, last_failure_code, last_failure_error_code
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
    };
  }
}
