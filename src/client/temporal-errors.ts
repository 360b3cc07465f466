/** Recognising Temporal's answers that have no error class of their own. */

/** Sending an update to a finished run fails with a plain service error naming the completion. */
export function isClosedRunError(err: unknown): boolean {
  const message = (err as Error)?.message ?? '';
  return /workflow execution already completed|already completed/i.test(message);
}
