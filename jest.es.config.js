// Opt-in suite against a real Elasticsearch (`npm run test:es`): the default run (jest.config.js) does not
// match *.es-spec.ts, so without a cluster these tests are absent, not skipped.
const base = require('./jest.config');

module.exports = { ...base, testMatch: ['<rootDir>/test/**/*.es-spec.ts'], maxWorkers: 1 };
