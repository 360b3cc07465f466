/**
 * The server's words for an update that met a finished run, as the client hands them over (a
 * not-found error): both must read as "the run has finished", never as "no such run". The race
 * that produces the second is exercised on a real server in test/reliability/concurrent-decisions.
 * The timeout and unreachable checks decide between "queue the decision" and "try again later"; a
 * real worker outage drives them in test/http/worker-down.
 */
import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import {
  isClosedRunError,
  isGrpcTimeout,
  isTemporalUnreachable,
  isUpdateTaskFailure,
  retryingUpdateTaskFailure,
} from '../../../src/client/temporal-errors';

/** What @grpc/grpc-js throws: an Error with the status code, its details and the response metadata. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}
const CANCELLED = 1;
const DEADLINE_EXCEEDED = 4;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const UNAVAILABLE = 14;

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

describe('isGrpcTimeout', () => {
  it('recognises a call that ran out of its deadline or was cancelled, thrown or wrapped by the client', () => {
    expect(isGrpcTimeout(grpcError(DEADLINE_EXCEEDED, 'Deadline exceeded'))).toBe(true);
    expect(isGrpcTimeout(grpcError(CANCELLED, 'Cancelled on client'))).toBe(true);
    const wrapped = new ServiceError('Failed to query Workflow', { cause: grpcError(DEADLINE_EXCEEDED, 'Deadline exceeded') });
    expect(isGrpcTimeout(wrapped)).toBe(true);
  });

  it('does not take another failure, or an error that only mentions a deadline, for a timeout', () => {
    expect(isGrpcTimeout(grpcError(NOT_FOUND, 'workflow not found'))).toBe(false);
    expect(isGrpcTimeout(grpcError(UNAVAILABLE, 'No connection established'))).toBe(false);
    expect(isGrpcTimeout(new Error('deadline exceeded'))).toBe(false);
    expect(isGrpcTimeout(undefined)).toBe(false);
  });
});

describe('isTemporalUnreachable', () => {
  it('recognises an unreachable server, thrown or wrapped by the client', () => {
    expect(isTemporalUnreachable(grpcError(UNAVAILABLE, 'No connection established'))).toBe(true);
    expect(isTemporalUnreachable(new ServiceError('Failed to query Workflow', { cause: grpcError(UNAVAILABLE, 'down') }))).toBe(true);
  });

  it('does not take a timeout or another failure for an unreachable server', () => {
    expect(isTemporalUnreachable(grpcError(DEADLINE_EXCEEDED, 'Deadline exceeded'))).toBe(false);
    expect(isTemporalUnreachable({ code: UNAVAILABLE })).toBe(false);
    expect(isTemporalUnreachable(null)).toBe(false);
  });
});

describe('an update whose workflow task failed (a run handing over)', () => {
  const taskFailure = () =>
    new ServiceError('Workflow Update failed', {
      cause: grpcError(
        FAILED_PRECONDITION,
        'FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.',
      ),
    });

  it('is recognised as such, and no other failed precondition is', () => {
    expect(isUpdateTaskFailure(taskFailure())).toBe(true);
    expect(isUpdateTaskFailure(grpcError(FAILED_PRECONDITION, 'FAILED_PRECONDITION: namespace is not active'))).toBe(false);
    expect(isUpdateTaskFailure(grpcError(UNAVAILABLE, 'unexpected workflow task failure'))).toBe(false);
  });

  it('is sent again until it goes through, and other failures are not retried', async () => {
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls < 3) throw taskFailure();
      return 'applied';
    };
    await expect(retryingUpdateTaskFailure(flaky)).resolves.toBe('applied');
    expect(calls).toBe(3);

    calls = 0;
    const refused = async () => {
      calls += 1;
      throw new Error('refused');
    };
    await expect(retryingUpdateTaskFailure(refused)).rejects.toThrow('refused');
    expect(calls).toBe(1);

    calls = 0;
    const always = async () => {
      calls += 1;
      throw taskFailure();
    };
    await expect(retryingUpdateTaskFailure(always, 2)).rejects.toBeInstanceOf(ServiceError);
    expect(calls).toBe(2);
  });
});
