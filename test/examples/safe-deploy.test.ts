/**
 * docs/safe-deploys.md, tested: the example's v2 change breaks replay of a stored v1 history when
 * shipped in place, and passes behind `patched()`; a v1 run still waiting at deploy time finishes
 * on the patched v2 worker and takes the new branch.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DeterminismViolationError } from '@temporalio/workflow';
import { NativeConnection, Worker } from '@temporalio/worker';
import { approveSignal } from '../../examples/safe-deploy/workflows/messages';
import { eventually } from '../support/harness';
import { activities, bundleOf, HISTORIES, quietRuntime, startExampleWorker, type Version } from './safe-deploy/support';

function stored(name: string): unknown {
  return JSON.parse(readFileSync(join(HISTORIES, `${name}.json`), 'utf8'));
}

async function replay(version: Version, history: unknown, workflowId: string): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: await bundleOf(version) }, history, workflowId);
}

beforeAll(() => quietRuntime());

describe('safe deploys: a workflow change behind patched()', () => {
  it('replays the stored v1 histories on v1 itself', async () => {
    await replay('v1', stored('v1-approved'), 'v1-approved');
    await replay('v1', stored('v1-waiting'), 'v1-waiting');
  });

  it('fails replay of a v1 run that applied its change when v2 ships the check in place', async () => {
    await expect(replay('v2-unpatched', stored('v1-approved'), 'v1-approved')).rejects.toThrow(DeterminismViolationError);
  });

  it('replays every stored v1 history when v2 ships the check behind patched()', async () => {
    await replay('v2-patched', stored('v1-approved'), 'v1-approved');
    await replay('v2-patched', stored('v1-waiting'), 'v1-waiting');
  });

  describe('against the real server', () => {
    let connection: Connection;
    let native: NativeConnection;
    let client: Client;

    beforeAll(async () => {
      const address = process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!;
      connection = await Connection.connect({ address });
      native = await NativeConnection.connect({ address });
      client = new Client({ connection });
    });
    afterAll(async () => {
      await native?.close();
      await connection?.close();
    });

    it('finishes a run started on v1 and still waiting at the deploy on patched v2, which runs the new check', async () => {
      const taskQueue = `safe-deploy-${randomUUID()}`;
      const id = `cr-${randomUUID().slice(0, 8)}`;
      const v1 = await startExampleWorker('v1', native, taskQueue);
      const handle = await client.workflow.start('changeRequestWorkflow', { taskQueue, workflowId: id, args: [{ id, waitFor: '3 days' }] });
      try {
        await eventually(async () => (activities.calls.notifyReviewer.includes(id) ? true : undefined));
      } finally {
        await v1.stop();
      }

      // The deploy: v1 workers gone, v2 workers poll the same task queue.
      const v2 = await startExampleWorker('v2-patched', native, taskQueue);
      try {
        await handle.signal(approveSignal, { by: 'alice' });
        expect(await handle.result()).toBe('applied, approved by alice');
      } finally {
        await v2.stop();
      }
      expect(activities.calls.checkApprover).toContain(id);
      expect(activities.calls.applyChange.filter((c) => c.startsWith(`${id}:`))).toHaveLength(1);

      // Its mixed history replays on v2, and shows why rolling back to v1 now is not safe.
      const history = await handle.fetchHistory();
      await replay('v2-patched', history, id);
      await expect(replay('v1', history, id)).rejects.toThrow(DeterminismViolationError);
    });
  });
});
