import { Logger } from '@nestjs/common';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DomainError, ErrorFactory } from '@mailstrata/common';
import type { FastifyRequest } from 'fastify';
import { HTTP_CODES, KIND_STATUS, toProblem } from './problem';

const ROOT = join(__dirname, '../../../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

function isFactory(value: unknown): value is ErrorFactory<string> {
  return typeof value === 'function' && typeof (value as { code?: unknown }).code === 'string' && 'kind' in value;
}

/** Every catalogue in the repository: each module that calls defineErrors, loaded, its catalogue exports collected. */
const catalogues: Array<{ name: string; file: string; factories: ErrorFactory<string>[] }> = [];
for (const file of [...sources(join(ROOT, 'libs')), ...sources(join(ROOT, 'apps'))]) {
  if (!/=\s*defineErrors\(/.test(readFileSync(file, 'utf8'))) continue;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(file) as Record<string, unknown>;
  for (const [name, value] of Object.entries(exports)) {
    if (value === null || typeof value !== 'object') continue;
    const factories = Object.values(value).filter(isFactory);
    if (factories.length > 0) catalogues.push({ name, file: relative(ROOT, file), factories });
  }
}

const request = { id: 'corr-1', url: '/x', method: 'GET' } as unknown as FastifyRequest;

describe('error catalogues', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));

  it('finds the catalogue of each library that throws domain errors', () => {
    expect(catalogues.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'CommonErrors',
        'IdentityErrors',
        'AccountsErrors',
        'AuditErrors',
        'EmailConfigErrors',
        'HttpErrors',
        'MailerErrors',
        'MailCatcherErrors',
        'DeliveryErrors',
      ]),
    );
  });

  it('maps every code of every catalogue to an HTTP status through its kind', () => {
    for (const { name, factories } of catalogues) {
      for (const factory of factories) {
        const error = factory();
        expect({ catalogue: name, code: error.code, status: KIND_STATUS[error.kind] }).toEqual({
          catalogue: name,
          code: factory.code,
          status: expect.any(Number),
        });
        const { problem } = toProblem(error, request);
        expect(problem.status).toBe(KIND_STATUS[factory.kind]);
        expect(problem.code).toBe(factory.code);
      }
    }
  });

  it('defines no code twice with different kinds, and agrees with the codes of plain HTTP errors', () => {
    const kinds = new Map<string, { kind: string; where: string }>();
    const clashes: string[] = [];
    for (const { name, file, factories } of catalogues) {
      for (const { code, kind } of factories) {
        const seen = kinds.get(code);
        if (seen && seen.kind !== kind) clashes.push(`${code}: ${seen.kind} in ${seen.where}, ${kind} in ${name} (${file})`);
        else kinds.set(code, { kind, where: `${name} (${file})` });
      }
    }
    for (const [status, code] of Object.entries(HTTP_CODES)) {
      const seen = kinds.get(code);
      if (seen && KIND_STATUS[seen.kind as DomainError['kind']] !== Number(status)) {
        clashes.push(`${code}: ${seen.kind} in ${seen.where}, but Nest's ${status} is also answered as ${code}`);
      }
    }
    expect(clashes).toEqual([]);
  });
});
