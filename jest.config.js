// One Jest run for the whole workspace so that one nats-server (libs/testing global setup) serves
// every suite. Tiers: *.spec.ts (unit), *.int.spec.ts (real NATS/DB/emulator), e2e/*.e2e.spec.ts.
const { compilerOptions } = require('./tsconfig.base.json');
const swcConfig = require('./tools/swc.config.js');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { ...swcConfig(), swcrc: false }] },
  // jose is ESM-only; let SWC turn it into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper,
  globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
  setupFiles: ['<rootDir>/libs/testing/src/jest/setup-env.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
