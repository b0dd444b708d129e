/**
 * Secret references: a profile may name a file instead of carrying a secret (`password_ref`,
 * `oauth2.client_secret_ref`, `client_key_ref`). The operator mounts the files (a Kubernetes Secret, or
 * a Secrets Store CSI volume fed by Vault, AWS, Azure or GCP) under SMTP_SECRET_REFS_DIR, one directory
 * per owner, and no owner's directory contains another's:
 *
 *   <dir>/partners/<partner_id>/   a partner's profile
 *   <dir>/orgs/<org_id>/           an organization's profile
 *   <dir>/controller/              FW_EVENT_SMTP_SERVER_PASSWORD_REF
 *
 * A reference is a relative name inside its owner's directory, so a tenant can never name another's
 * file: the name may not be absolute or contain `.`/`..` segments, and the file it ends up at (every
 * symlink followed) must still lie inside the owner's directory, itself resolved. Symlinks inside the
 * directory work (a Kubernetes Secret volume is `password -> ..data/password`, `..data -> ..<timestamp>`);
 * a symlink out of it is refused.
 *
 * A file is read on every use, never cached: that is a few system calls on a tmpfs, next to an SMTP
 * conversation, and no cache keyed by mtime/size/inode can be trusted to see a same-size rewrite
 * within the filesystem's timestamp granularity. So a rotated file (rewritten, or swapped atomically
 * through `..data`) is what the next email uses, without a restart. Each read yields a digest of the
 * content that callers fold into what keys pooled connections, so a rotation also replaces them.
 *
 * A file's content is a secret: it never appears in an error, a log line or an answer. The errors here
 * say what is wrong with the reference (missing, outside, empty…) and nothing about the content.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { FieldError } from '@mailstrata/common';
import type { ConfigScope } from './profile.model';

export const SECRET_REF_MAX_CHARS = 255;
const SEGMENT = /^[A-Za-z0-9._-]{1,128}$/;
const OWNER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whose directory a reference is looked up in. */
export type SecretRefOwner = { kind: 'controller' } | { kind: 'partner'; partnerId: string } | { kind: 'org'; orgId: string };

export function ownerOfScope(scope: Pick<ConfigScope, 'level' | 'partnerId' | 'orgId'>): SecretRefOwner {
  return scope.level === 'org' && scope.orgId ? { kind: 'org', orgId: scope.orgId } : { kind: 'partner', partnerId: scope.partnerId };
}

/** The owner's directory, relative to SMTP_SECRET_REFS_DIR (what the operator mounts, and what errors may name). */
export function ownerDirOf(owner: SecretRefOwner): string {
  if (owner.kind === 'controller') return 'controller';
  const id = owner.kind === 'partner' ? owner.partnerId : owner.orgId;
  // Ids come from our database (UUIDs); anything else must never become part of a path.
  if (!OWNER_ID.test(id)) throw new Error('secret reference owner id is not a UUID');
  return join(owner.kind === 'partner' ? 'partners' : 'orgs', id.toLowerCase());
}

/** Why a reference's name is refused before any file is looked at; null when the name is acceptable. */
export function secretRefNameProblem(ref: string): string | null {
  if (ref.length === 0) return 'must not be empty';
  if (ref.length > SECRET_REF_MAX_CHARS) return `must be at most ${SECRET_REF_MAX_CHARS} characters`;
  if (isAbsolute(ref) || ref.startsWith('\\') || /^[A-Za-z]:/.test(ref)) return 'must be a file name relative to your secrets directory';
  const segments = ref.split('/');
  if (segments.some((s) => s === '.' || s === '..')) return 'must not contain "." or ".." path segments';
  if (segments.some((s) => s === '')) return 'must not contain empty path segments';
  if (!segments.every((s) => SEGMENT.test(s))) return 'may contain only letters, digits, ".", "_", "-" and "/" between names';
  return null;
}

export type SecretRefFailure = 'disabled' | 'invalid_name' | 'missing' | 'outside' | 'not_file' | 'unreadable' | 'empty' | 'too_large';

const FAILURE_MESSAGES: Record<SecretRefFailure, string> = {
  disabled: 'cannot be used: secret references are not enabled on this installation (SMTP_SECRET_REFS_DIR is unset)',
  invalid_name: 'is not a valid file name',
  missing: 'names a file that does not exist in your secrets directory',
  outside: 'resolves to a file outside your secrets directory',
  not_file: 'does not name a regular file',
  unreadable: 'names a file this service cannot read',
  empty: 'names an empty file',
  too_large: 'names a file larger than the secret may be',
};

/** Rule names in field errors, one per failure. */
const FAILURE_RULES: Record<SecretRefFailure, string> = {
  disabled: 'secretRefsEnabled',
  invalid_name: 'secretRefName',
  missing: 'secretRefExists',
  outside: 'secretRefInside',
  not_file: 'secretRefIsFile',
  unreadable: 'secretRefReadable',
  empty: 'secretRefNotEmpty',
  too_large: 'secretRefSize',
};

export class SecretRefError extends Error {
  constructor(
    readonly reason: SecretRefFailure,
    detail?: string,
  ) {
    super(detail ?? FAILURE_MESSAGES[reason]);
    this.name = 'SecretRefError';
  }

  fieldError(field: string): FieldError {
    return { field, rule: FAILURE_RULES[this.reason], message: this.message };
  }
}

export interface SecretFileContent {
  value: string;
  /** A digest of the content: changes when the file does (for connection pool keys; never shown). */
  digest: string;
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function failureOf(error: unknown): SecretRefFailure {
  switch (errno(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'missing';
    case 'ELOOP':
      // A symlink where none may be (swapped in after the path was resolved), or a cycle.
      return 'outside';
    default:
      return 'unreadable';
  }
}

/**
 * Reads secret files by reference, confined to their owner's directory. Synchronous on purpose: the
 * resolution of a profile needs the value before it can go on, the files are small and local, and a
 * path check followed by an open must not be split by other work.
 */
export class SecretRefReader {
  constructor(private readonly root: string | undefined) {}

  get enabled(): boolean {
    return this.root !== undefined;
  }

  /** The file's content without trailing line breaks (files written by editors and `echo` end in one). */
  read(owner: SecretRefOwner, ref: string, maxBytes: number): SecretFileContent {
    if (this.root === undefined) throw new SecretRefError('disabled');
    const nameProblem = secretRefNameProblem(ref);
    if (nameProblem) throw new SecretRefError('invalid_name', nameProblem);
    const ownerDir = join(this.root, ownerDirOf(owner));
    let realDir: string;
    let realFile: string;
    try {
      realDir = realpathSync(ownerDir);
      realFile = realpathSync(join(ownerDir, ref));
    } catch (error) {
      throw new SecretRefError(failureOf(error));
    }
    if (!realFile.startsWith(realDir + sep)) throw new SecretRefError(realFile === realDir ? 'not_file' : 'outside');
    let fd: number;
    try {
      // The resolved path has no symlink left: O_NOFOLLOW refuses one swapped in since. O_NONBLOCK keeps
      // a FIFO from blocking the open; it is refused just below as not a regular file.
      fd = openSync(realFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      throw new SecretRefError(failureOf(error));
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new SecretRefError('not_file');
      if (stat.size > maxBytes + 2) throw new SecretRefError('too_large');
      const buffer = Buffer.alloc(maxBytes + 3);
      let length = 0;
      for (;;) {
        const n = readSync(fd, buffer, length, buffer.length - length, null);
        if (n === 0 || length + n >= buffer.length) {
          length += n;
          break;
        }
        length += n;
      }
      const value = buffer
        .subarray(0, length)
        .toString('utf8')
        .replace(/[\r\n]+$/, '');
      buffer.fill(0);
      if (value.length === 0) throw new SecretRefError('empty');
      if (Buffer.byteLength(value) > maxBytes) throw new SecretRefError('too_large');
      return { value, digest: createHash('sha256').update(value).digest('base64url').slice(0, 16) };
    } catch (error) {
      if (error instanceof SecretRefError) throw error;
      throw new SecretRefError(failureOf(error));
    } finally {
      closeSync(fd);
    }
  }
}

// ---- a profile's references ----------------------------------------------------------------------

/** The file names a profile's secrets come from (not secrets themselves); null: that secret is not referenced. */
export interface SecretRefs {
  password: string | null;
  clientSecret: string | null;
  clientKey: string | null;
}

export type SecretRefName = keyof SecretRefs;

export const NO_REFS: SecretRefs = Object.freeze({ password: null, clientSecret: null, clientKey: null });

/** References as a request gives them: omitted (undefined) keeps the stored one if allowed, null clears. */
export type SecretRefInputs = { [K in SecretRefName]?: string | null };

/** Each reference's field in `smtp_config`, and the largest secret its file may hold (as for literals). */
export const SECRET_REF_FIELDS: Record<SecretRefName, { field: string; maxBytes: number }> = {
  password: { field: 'password_ref', maxBytes: 1024 },
  clientSecret: { field: 'oauth2.client_secret_ref', maxBytes: 4096 },
  clientKey: { field: 'client_key_ref', maxBytes: 64 * 1024 },
};

export interface ReadRefsResult {
  /** The referenced secrets' values (only those that are referenced). */
  values: { [K in SecretRefName]?: string };
  /** A digest over every referenced file's content; undefined when nothing is referenced. */
  digest: string | undefined;
  /** One per reference that could not be read, naming its field under `path`. */
  errors: FieldError[];
}

/** Reads every reference of a profile; failures become field errors (never with a file's content). */
export function readRefs(reader: SecretRefReader, owner: SecretRefOwner, refs: SecretRefs, path: string): ReadRefsResult {
  const values: ReadRefsResult['values'] = {};
  const digests: string[] = [];
  const errors: FieldError[] = [];
  for (const name of Object.keys(SECRET_REF_FIELDS) as SecretRefName[]) {
    const ref = refs[name];
    if (ref === null) continue;
    const { field, maxBytes } = SECRET_REF_FIELDS[name];
    try {
      const file = reader.read(owner, ref, maxBytes);
      values[name] = file.value;
      digests.push(`${name}:${file.digest}`);
    } catch (error) {
      if (!(error instanceof SecretRefError)) throw error;
      errors.push(error.fieldError(`${path}.${field}`));
    }
  }
  return { values, digest: digests.length > 0 ? digests.join(',') : undefined, errors };
}
