/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  maxWorkers: 2,
  testTimeout: 30_000,
  collectCoverageFrom: ['src/**/*.ts', 'lambdas/**/*.ts', 'local/**/*.ts', 'lib/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: {
    './src/domain/': { lines: 90 },
    './lambdas/': { lines: 90 },
  },
};
