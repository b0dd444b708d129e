// Builds the ops console (apps/ops-console, Vite) into a directory and reports its gzipped JavaScript.
// Used by scripts/build.js (into <out>/console) and by the browser tests when no build exists yet:
//   node scripts/build-console.js [out-dir]
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.resolve(__dirname, '..');
const CONSOLE_APP = path.join(root, 'apps', 'ops-console');

async function buildConsole(outDir) {
  const { build } = await import('vite');
  await build({ configFile: path.join(CONSOLE_APP, 'vite.config.mjs'), build: { outDir } });
  let js = 0;
  let gzipped = 0;
  for (const file of fs.readdirSync(path.join(outDir, 'assets'))) {
    if (!file.endsWith('.js')) continue;
    const bytes = fs.readFileSync(path.join(outDir, 'assets', file));
    js += bytes.length;
    gzipped += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  console.log(`built the ops console into ${path.relative(root, outDir)}/: JavaScript ${kb(js)}, gzipped ${kb(gzipped)} (goal ≤ 150 kB)`);
  return { js, gzipped };
}

module.exports = { buildConsole, CONSOLE_APP };

if (require.main === module) {
  buildConsole(path.resolve(process.argv[2] ?? path.join(root, 'dist', 'console'))).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
