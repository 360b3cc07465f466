/**
 * Writes how many test files the run has and how many are finished to
 * test-artifacts/run-progress.json, so a heavy file sequenced last (the cluster test) can wait
 * until it is the only one left. A file that failed to run counts as finished too.
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ARTIFACTS = resolve(__dirname, '../../test-artifacts');
const PROGRESS = join(ARTIFACTS, 'run-progress.json');

class RunProgressReporter {
  constructor() {
    this.total = 0;
    this.done = 0;
  }

  write() {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(PROGRESS, JSON.stringify({ pid: process.pid, total: this.total, done: this.done }));
  }

  onRunStart(results) {
    this.total = results.numTotalTestSuites;
    this.done = 0;
    this.write();
  }

  onTestFileResult() {
    this.done += 1;
    this.write();
  }

  getLastError() {
    return undefined;
  }
}

module.exports = RunProgressReporter;
module.exports.PROGRESS = PROGRESS;
