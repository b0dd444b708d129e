// One swc configuration for scripts/build.js, jest and `nest build` (nest-cli.json): the options live in
// .swcrc, which the Nest CLI reads itself; the path aliases come from tsconfig.json here, as the Nest CLI
// takes them from there too. Decorator metadata is what TypeORM and Nest's DI read; tsx/esbuild cannot
// emit it, swc can. `ignoreDynamic` keeps `import()` native, so ES-module-only packages load from the
// CommonJS build.
const fs = require('node:fs');
const path = require('node:path');
const tsconfig = require('../tsconfig.json');

const root = path.resolve(__dirname, '..');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;

module.exports = {
  root,
  swcOptions: {
    ...swcrc,
    // swcrc: false because these options already hold the file's content (and swc would look for it per file).
    swcrc: false,
    jsc: {
      ...swcrc.jsc,
      // swc wants an absolute baseUrl to rewrite the @mailstrata/* aliases into relative requires.
      baseUrl: root,
      paths: tsconfig.compilerOptions.paths,
    },
  },
};
