/**
 * The schemas the workflow checks its messages with (decisions, revisions, withdrawals), built
 * once per worker thread and shared by every run, instead of once for every run the worker
 * creates or replays. A cold decision (its run evicted from the cache) paid ~0.6 ms to build them
 * again, and every cached run kept its own copy.
 *
 * They cannot simply be preloaded: the SDK deep-freezes what preloaded modules export, and a
 * frozen zod schema throws on its first regex check (zod resets the regex's lastIndex). So this
 * preloaded module exports only a function, and the schema module is loaded on the first call,
 * from inside a run, and kept in this module's closure, which the freeze does not reach. A zod
 * schema holds no per-run state (only lazily bound methods and compiled checks, the same for
 * every run), so sharing one changes no result. The workflow tests send valid and malformed
 * messages to many runs of one worker through this bundle.
 */
import type * as DecisionSchemas from '../src/domain/decision';
import type * as FreshLinkSchemas from '../src/domain/fresh-link';

type MessageSchemas = Pick<typeof DecisionSchemas, 'SignedDecisionSchema' | 'RevisionSchema' | 'WithdrawalSchema'> &
  Pick<typeof FreshLinkSchemas, 'FreshLinkRequestSchema'>;

let loaded: MessageSchemas | undefined;

export function messageSchemas(): MessageSchemas {
  // A require on first use, not an import: an import would load the schemas with this module, at
  // preload, where they would be frozen.
  /* eslint-disable @typescript-eslint/no-require-imports */
  loaded ??= {
    ...(require('../src/domain/decision') as typeof DecisionSchemas),
    FreshLinkRequestSchema: (require('../src/domain/fresh-link') as typeof FreshLinkSchemas).FreshLinkRequestSchema,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return loaded;
}
