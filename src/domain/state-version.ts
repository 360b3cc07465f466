/**
 * The state query's shape version, apart from the state schema: the workflow stamps it on every
 * run, and importing it from state.ts would build that module's whole zod tree (proposal, policy,
 * evaluation) again for every run a worker creates or replays.
 */

/** Bumped when the state query's shape changes; absent in runs that ended before version 2. */
export const STATE_VERSION = 2;
