/**
 * Jest's own order (failed first, then slowest first), except that the cluster test runs last:
 * it starts a dozen processes of its own, and once the other files are done (see
 * run-progress-reporter.js) it has the machine to itself instead of slowing the dev-server tests.
 */
const Sequencer = require('@jest/test-sequencer').default;

const isClusterTest = (test) => /[\\/]test[\\/]cluster[\\/]/.test(test.path);

class ClusterLastSequencer extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    return [...ordered.filter((t) => !isClusterTest(t)), ...ordered.filter(isClusterTest)];
  }
}

module.exports = ClusterLastSequencer;
