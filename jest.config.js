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
  // The cluster test (test/cluster) runs last and waits until it is alone: its dozen processes
  // would otherwise take the CPU the dev-server tests' timings count on.
  testSequencer: '<rootDir>/test/support/cluster-last-sequencer.js',
  reporters: ['default', '<rootDir>/test/support/run-progress-reporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
