/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '/node_modules/jose/.+\\.js$': '<rootDir>/test/setup/esm-to-cjs.js',
  },
  // jose is published as ESM only: it is compiled to CommonJS for Jest, everything else in node_modules is loaded as is.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  globalSetup: '<rootDir>/test/setup/notices.ts',
  maxWorkers: 2,
  testTimeout: 30_000,
  collectCoverageFrom: ['src/**/*.ts', 'lambdas/**/*.ts', 'local/**/*.ts', 'lib/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: {
    './src/domain/': { lines: 90 },
    './lambdas/': { lines: 90 },
  },
};
