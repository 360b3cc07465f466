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

/** gRPC's FAILED_PRECONDITION status. */
const GRPC_FAILED_PRECONDITION = 9;

/**
 * The workflow task that carried an update failed before the update was accepted, so nothing of
 * it was applied (a failed task's commands are all discarded). Seen when an update meets a run
 * that is handing over to its continuation; sending the same update again reaches the new run.
 */
export function isUpdateTaskFailure(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && Number(e.code) === GRPC_FAILED_PRECONDITION && /unexpected workflow task failure/i.test(e.message))
      return true;
  }
  return false;
}

/** Runs `update` again while it fails with {@link isUpdateTaskFailure}, up to `attempts` times in all. */
export async function retryingUpdateTaskFailure<T>(update: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await update();
    } catch (err) {
      if (attempt >= attempts || !isUpdateTaskFailure(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1)));
    }
  }
}
