/** Recognising Temporal's answers that have no error class of their own. */
import { isGrpcCancelledError, isGrpcDeadlineError, isGrpcServiceError } from '@temporalio/client';

/** gRPC's UNAVAILABLE status (the server cannot be reached); @grpc/grpc-js is not a direct dependency. */
const GRPC_UNAVAILABLE = 14;

/**
 * An update to a finished run fails with a plain service error naming the completion; one still
 * in flight when the run finishes (admitted, not yet accepted) is aborted with its own words. The
 * client reports both as a not-found error, which without this check would read "no such run".
 */
export function isClosedRunError(err: unknown): boolean {
  const message = (err as Error)?.message ?? '';
  return /already completed|aborted by closing workflow/i.test(message);
}

/**
 * A call bounded by `client.withDeadline` ran out of time (DEADLINE_EXCEEDED) or was cancelled
 * (CANCELLED), as thrown or as the cause of the client's own error. For an update or a query this
 * means no worker answered in time; it says nothing about the run itself.
 */
export function isGrpcTimeout(err: unknown): boolean {
  return isGrpcDeadlineError(err) || isGrpcCancelledError(err);
}

/** The Temporal server could not be reached at all (UNAVAILABLE), as thrown or as a cause. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && Number(e.code) === GRPC_UNAVAILABLE) return true;
  }
  return false;
}
