/**
 * Replays recorded histories of real runs against today's workflow code: a change to workflows/
 * that would break determinism for runs already waiting in production fails here.
 * Record new ones with `npm run record-histories` when a change is meant to be compatible.
 * Each replays under the workflow id it was recorded with (stored beside it): signed revisions
 * and withdrawals are checked again on replay, against that id.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { readRecordedHistory, WORKFLOW_ID_SUFFIX } from './recorded-history';

const DIR = join(__dirname, 'histories');

describe('replay of recorded histories', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it('has a history for every stored workflow id', () => {
    const orphans = readdirSync(DIR)
      .filter((f) => f.endsWith(WORKFLOW_ID_SUFFIX))
      .filter((f) => !files.includes(f.replace(WORKFLOW_ID_SUFFIX, '.json')));
    expect(orphans).toEqual([]);
  });

  it.each(files)('replays %s without a determinism violation', async (file) => {
    const { history, workflowId } = readRecordedHistory(DIR, file);
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE']! } }, history, workflowId);
  });
});
