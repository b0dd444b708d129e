// Compiles apps/ and libs/ to dist/ with swc (aliases rewritten to relative paths, decorator metadata
// kept). Type checking is `tsc --noEmit` in `npm test`; this step only emits.
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');
const { root, swcOptions } = require('./swc-config');

// `--out DIR` builds elsewhere (tests that spawn the service build privately, never touching dist/).
const outFlag = process.argv.indexOf('--out');
const out = outFlag > 0 ? path.resolve(process.argv[outFlag + 1]) : path.join(root, 'dist');
fs.rmSync(out, { recursive: true, force: true });

// The ops console is a browser app with its own build (Vite, below); swc emits only the server side.
const { buildConsole, CONSOLE_APP } = require('./build-console');

function* sources(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full === CONSOLE_APP) continue;
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}

let count = 0;
// bench/ and test/support/ are built too: the benchmark reuses the test servers and runs on emitted code.
for (const top of ['apps', 'libs', 'bench', 'test/support']) {
  for (const file of sources(path.join(root, top))) {
    const rel = path.relative(root, file);
    const target = path.join(out, rel.replace(/\.ts$/, '.js'));
    const { code, map } = swc.transformFileSync(file, {
      ...swcOptions,
      filename: file,
      sourceFileName: path.relative(path.dirname(target), file),
    });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
    if (map) fs.writeFileSync(`${target}.map`, map);
    count += 1;
  }
}
console.log(`built ${count} files into ${path.relative(root, out) || '.'}/`);

// The ops console: Vite builds apps/ops-console into <out>/console, which the service serves at /console.
buildConsole(path.join(out, 'console')).catch((error) => {
  console.error(error);
  process.exit(1);
});
