/** v1, in production: runs started on it wait for days for their approval. */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from '../activities';
import { approveSignal, type ChangeRequestInput } from './messages';

const { notifyReviewer, applyChange } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function changeRequestWorkflow(input: ChangeRequestInput): Promise<string> {
  let approvedBy: string | undefined;
  setHandler(approveSignal, ({ by }) => void (approvedBy = by));
  await notifyReviewer({ id: input.id });
  if (!(await condition(() => approvedBy !== undefined, input.waitFor)) || approvedBy === undefined) return 'expired';
  await applyChange({ id: input.id, approvedBy });
  return `applied, approved by ${approvedBy}`;
}
