/**
 * Activities of the safe-deploy example. They only count their calls, so a test can see which
 * version of the workflow ran them.
 */
export interface ChangeRequest {
  id: string;
}

export const calls: Record<'notifyReviewer' | 'checkApprover' | 'applyChange', string[]> = {
  notifyReviewer: [],
  checkApprover: [],
  applyChange: [],
};

export async function notifyReviewer(input: ChangeRequest): Promise<void> {
  calls.notifyReviewer.push(input.id);
}

/** v2's improvement: an approver who has left since the request was mailed is no longer enough. */
export async function checkApprover(input: ChangeRequest & { approvedBy: string }): Promise<boolean> {
  calls.checkApprover.push(input.id);
  return input.approvedBy !== 'mallory';
}

export async function applyChange(input: ChangeRequest & { approvedBy: string }): Promise<void> {
  calls.applyChange.push(`${input.id}:${input.approvedBy}`);
}
