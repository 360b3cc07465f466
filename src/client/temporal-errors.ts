/** Recognising Temporal's answers that have no error class of their own. */

/**
 * An update to a finished run fails with a plain service error naming the completion; one still
 * in flight when the run finishes (admitted, not yet accepted) is aborted with its own words. The
 * client reports both as a not-found error, which without this check would read "no such run".
 */
export function isClosedRunError(err: unknown): boolean {
  const message = (err as Error)?.message ?? '';
  return /already completed|aborted by closing workflow/i.test(message);
}
