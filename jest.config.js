// Three tiers: *.spec.ts beside the code (pure logic), test/**/*.e2e-spec.ts (the real app against a
// real Postgres and real SMTP servers). Benchmarks live in bench/ and never run here.
const { swcOptions } = require('./scripts/swc-config');

const aliases = {};
for (const [alias, [target]] of Object.entries(require('./tsconfig.json').compilerOptions.paths)) {
  aliases[`^${alias}$`] = `<rootDir>/${target}`;
}

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swcOptions] },
  moduleNameMapper: aliases,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  // Nest and pg keep sockets open briefly after close; real leaks show up as failing tests, not here.
  forceExit: false,
};
