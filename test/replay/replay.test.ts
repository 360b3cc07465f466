/**
 * Replays recorded histories of real runs against today's workflow code: a change to workflows/
 * that would break determinism for runs already waiting in production fails here.
 * Record new ones with `npm run record-histories` when a change is meant to be compatible.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';

const DIR = join(__dirname, 'histories');

describe('replay of recorded histories', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)('replays %s without a determinism violation', async (file) => {
    const history = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE']! } },
      history,
      file.replace(/\.json$/, ''),
    );
  });
});
