/**
 * v2 WRONG: the approver check added in place. A v1 run that already applied its change has
 * `applyChange` as the next command in its history; this code schedules `checkApprover` there,
 * so replaying it (a worker restart, a cache eviction) fails with a determinism violation.
 */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from '../activities';
import { approveSignal, type ChangeRequestInput } from './messages';

const { notifyReviewer, checkApprover, applyChange } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function changeRequestWorkflow(input: ChangeRequestInput): Promise<string> {
  let approvedBy: string | undefined;
  setHandler(approveSignal, ({ by }) => void (approvedBy = by));
  await notifyReviewer({ id: input.id });
  if (!(await condition(() => approvedBy !== undefined, input.waitFor)) || approvedBy === undefined) return 'expired';
  if (!(await checkApprover({ id: input.id, approvedBy }))) return `refused: ${approvedBy} may no longer approve`;
  await applyChange({ id: input.id, approvedBy });
  return `applied, approved by ${approvedBy}`;
}
