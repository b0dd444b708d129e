// One swc configuration for the build and for jest, so tests run exactly the emitted code's shape.
// Decorator metadata is what TypeORM and Nest's DI read; tsx/esbuild cannot emit it, swc can.
const path = require('node:path');
const tsconfig = require('../tsconfig.json');

const root = path.resolve(__dirname, '..');

module.exports = {
  root,
  swcOptions: {
    $schema: 'https://swc.rs/schema.json',
    sourceMaps: true,
    // ignoreDynamic keeps `import()` native, so ES-module-only packages load from the CommonJS build.
    module: { type: 'commonjs', ignoreDynamic: true },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
      // swc wants an absolute baseUrl to rewrite the @mailstrata/* aliases into relative requires.
      baseUrl: root,
      paths: tsconfig.compilerOptions.paths,
    },
  },
};
