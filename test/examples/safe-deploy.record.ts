/**
 * Not part of the suite: `npm run record-histories` also records the safe-deploy example's v1
 * histories (one run that applied its change, one still waiting) for test/examples/safe-deploy.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { approveSignal } from '../../examples/safe-deploy/workflows/messages';
import { eventually } from '../support/harness';
import { activities, HISTORIES, quietRuntime, startExampleWorker } from './safe-deploy/support';

it('records the v1 histories', async () => {
  quietRuntime();
  const address = process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!;
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `safe-deploy-record-${Date.now()}`;
  const worker = await startExampleWorker('v1', native, taskQueue);
  try {
    const approved = await client.workflow.start('changeRequestWorkflow', {
      taskQueue,
      workflowId: `change-approved-${Date.now()}`,
      args: [{ id: 'cr-1', waitFor: '3 days' }],
    });
    await eventually(async () => (activities.calls.notifyReviewer.includes('cr-1') ? true : undefined));
    await approved.signal(approveSignal, { by: 'alice' });
    await approved.result();
    writeFileSync(join(HISTORIES, 'v1-approved.json'), historyToJSON(await approved.fetchHistory()));

    const waiting = await client.workflow.start('changeRequestWorkflow', {
      taskQueue,
      workflowId: `change-waiting-${Date.now()}`,
      args: [{ id: 'cr-2', waitFor: '3 days' }],
    });
    await eventually(async () => (activities.calls.notifyReviewer.includes('cr-2') ? true : undefined));
    // Let the completion of notifyReviewer reach the history before it is fetched.
    await eventually(async () => {
      const history = await waiting.fetchHistory();
      return history.events?.some((e) => e.activityTaskCompletedEventAttributes) ? true : undefined;
    });
    writeFileSync(join(HISTORIES, 'v1-waiting.json'), historyToJSON(await waiting.fetchHistory()));
    await waiting.terminate('recorded');
  } finally {
    await worker.stop();
    await native.close();
    await connection.close();
  }
});
