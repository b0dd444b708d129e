/**
 * The arrows between libraries, checked from the source: each library imports only libraries in
 * lower layers (never one beside or above it, never an app), and the tables with one owner are
 * written by that owner alone. A new library must be placed in LAYERS before it can be imported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** Lowest first. A library may import any library in a lower layer, none in its own or a higher one. */
const LAYERS: readonly (readonly string[])[] = [
  ['common', 'config', 'observability'],
  ['database', 'secrets', 'audit', 'mail-catcher'],
  ['identity', 'mailer', 'templates'],
  ['email-config'],
  ['delivery'],
  ['accounts'],
];

const LIBS = resolve(__dirname);
const ROOT = resolve(LIBS, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const libraries = readdirSync(LIBS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);
const layerOf = new Map(LAYERS.flatMap((names, layer) => names.map((name) => [name, layer] as const)));
const SPECIFIER = /(?:from|import|require\()\s*['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(SPECIFIER)].map((m) => m[1]!);
}

describe('library layering', () => {
  it('places every library in exactly one layer', () => {
    expect([...layerOf.keys()].sort()).toEqual([...libraries].sort());
    expect(LAYERS.flat().length).toBe(layerOf.size);
  });

  it.each(libraries)('libs/%s imports only libraries below it, and no app', (lib) => {
    const own = layerOf.get(lib)!;
    const offending: string[] = [];
    for (const file of sources(join(LIBS, lib))) {
      const where = relative(ROOT, file);
      for (const spec of importsOf(file)) {
        const alias = /^@mailstrata\/([a-z-]+)/.exec(spec)?.[1];
        if (alias !== undefined && alias !== lib && !((layerOf.get(alias) ?? Infinity) < own)) offending.push(`${where} → ${spec}`);
        if (spec.startsWith('.')) {
          const target = relative(join(LIBS, lib), resolve(file, '..', spec));
          if (target.startsWith('..')) offending.push(`${where} → ${spec} (outside libs/${lib})`);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('tables with one writer', () => {
  const owners: [table: RegExp, lib: string][] = [
    [/INSERT\s+INTO\s+audit_events\b/i, 'audit'],
    [/\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+email_jobs\b/i, 'delivery'],
    [/\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+email_messages\b/i, 'delivery'],
    [/\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+email_attempts\b/i, 'delivery'],
  ];

  it.each(owners)('%s is written only from its owning library', (pattern, owner) => {
    const writers = libraries
      .filter((lib) => lib !== 'database') // migrations create and reshape every table
      .flatMap((lib) => sources(join(LIBS, lib)).filter((file) => !file.endsWith('.spec.ts') && pattern.test(readFileSync(file, 'utf8'))))
      .map((file) => relative(LIBS, file).split('/')[0]);
    expect(new Set(writers)).toEqual(new Set([owner]));
  });
});
