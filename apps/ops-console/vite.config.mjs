// The ops console's build: Preact with oxc's JSX transform (no Babel), served under /console by the
// API itself. No inline script or style may end up in index.html (the console's CSP forbids both).
// `npx vite --config apps/ops-console/vite.config.mjs` runs a dev server that proxies the API on :8080.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.MAILSTRATA_API ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Assets stay files: data: URLs would need a looser CSP.
    assetsInlineLimit: 0,
    // The polyfill is only for old browsers and would be an inline-looking extra; modern ones need none.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(['/auth', '/event', '/opsauditlogs', '/dev', '/console-api'].map((p) => [p, api])),
  },
});
