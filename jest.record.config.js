/** `npm run record-histories`: the suite's setup, running only the history recorder. */
const base = require('./jest.config');
module.exports = { ...base, testMatch: ['<rootDir>/test/replay/record-histories.ts', '<rootDir>/test/examples/safe-deploy.record.ts'] };
