/**
 * The server's words for an update that met a finished run, as the client hands them over (a
 * not-found error): both must read as "the run has finished", never as "no such run". The race
 * that produces the second is exercised on a real server in test/reliability/concurrent-decisions.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { isClosedRunError } from '../../../src/client/temporal-errors';

describe('isClosedRunError', () => {
  it('recognises an update sent to a run that had already finished', () => {
    expect(isClosedRunError(new WorkflowNotFoundError('workflow execution already completed', 'wf-1', undefined))).toBe(true);
  });

  it('recognises an update still in flight when the run finished (aborted by the closing workflow)', () => {
    expect(isClosedRunError(new WorkflowNotFoundError('workflow update was aborted by closing workflow', 'wf-1', undefined))).toBe(true);
  });

  it('does not take a run that never existed, or any other failure, for a finished one', () => {
    expect(isClosedRunError(new WorkflowNotFoundError('workflow not found for ID: wf-1', 'wf-1', undefined))).toBe(false);
    expect(isClosedRunError(new Error('connection refused'))).toBe(false);
    expect(isClosedRunError(undefined)).toBe(false);
  });
});
