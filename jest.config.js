/** One Temporal dev server for the whole run (global setup); each file connects to it. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  // The examples' `gatehouse/…` imports, as tsconfig.json's paths map them.
  moduleNameMapper: { '^gatehouse$': '<rootDir>/src/client/index.ts', '^gatehouse/adapters/(.*)$': '<rootDir>/src/adapters/$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Installed tools (the MCP conformance suite's own package.json and node_modules) are not ours.
  modulePathIgnorePatterns: ['<rootDir>/.tools/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
