/**
 * Compiles apps/ and libs/ with the project's swc options into a private directory under .data/, so
 * a test that spawns the real entry points never races another run's `npm run build` (which wipes
 * dist/). The directory sits inside the repository so the emitted code resolves node_modules.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { transformFileSync } from '@swc/core';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { root, swcOptions } = require('../../../scripts/swc-config') as { root: string; swcOptions: Record<string, unknown> };

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}

export interface Build {
  dir: string;
  /** Absolute path of an emitted entry point, e.g. `apps/event-framework/src/main.js`. */
  entry(path: string): string;
  remove(): void;
}

export function buildServices(): Build {
  const dir = join(root, '.data', `build-${process.pid}-${Date.now()}`);
  for (const top of ['apps', 'libs']) {
    for (const file of sources(join(root, top))) {
      const target = join(dir, relative(root, file)).replace(/\.ts$/, '.js');
      const { code } = transformFileSync(file, { ...swcOptions, filename: file, sourceMaps: false });
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, code);
    }
  }
  return {
    dir,
    entry: (path) => join(dir, path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
