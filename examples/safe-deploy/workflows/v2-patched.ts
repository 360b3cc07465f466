/**
 * v2 RIGHT: the same check behind `patched('check-approver')`. A history that reached this point
 * without the patch's marker replays the old branch; code running past it for the first time (new
 * runs, and v1 runs still waiting when v2 was deployed) records the marker and takes the new one.
 * Once no run without the marker is open, `deprecatePatch` and then plain code replace this.
 */
import { condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from '../activities';
import { approveSignal, type ChangeRequestInput } from './messages';

const { notifyReviewer, checkApprover, applyChange } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function changeRequestWorkflow(input: ChangeRequestInput): Promise<string> {
  let approvedBy: string | undefined;
  setHandler(approveSignal, ({ by }) => void (approvedBy = by));
  await notifyReviewer({ id: input.id });
  if (!(await condition(() => approvedBy !== undefined, input.waitFor)) || approvedBy === undefined) return 'expired';
  if (patched('check-approver') && !(await checkApprover({ id: input.id, approvedBy }))) {
    return `refused: ${approvedBy} may no longer approve`;
  }
  await applyChange({ id: input.id, approvedBy });
  return `applied, approved by ${approvedBy}`;
}
