// Two tiers. `unit`: *.spec.ts beside the code, pure logic, no database or servers, so it runs in
// seconds (`npm run test:unit`). `e2e`: test/**/*.e2e-spec.ts, the real app against a real Postgres
// (started once per run by the global setup) and real SMTP servers. `npm test` runs both. Benchmarks
// live in bench/ and never run here.
const { swcOptions } = require('./scripts/swc-config');

const aliases = {};
for (const [alias, [target]] of Object.entries(require('./tsconfig.json').compilerOptions.paths)) {
  aliases[`^${alias}$`] = `<rootDir>/${target}`;
}

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swcOptions] },
  moduleNameMapper: aliases,
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  testTimeout: 60_000,
  maxWorkers: 2,
  // Nest and pg keep sockets open briefly after close; real leaks show up as failing tests, not here.
  forceExit: false,
};
