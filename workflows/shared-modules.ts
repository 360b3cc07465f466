/**
 * Libraries loaded once into the worker's reusable V8 context and shared by every run, instead of
 * being evaluated again for each workflow the worker creates or replays (a cache miss after
 * eviction is a replay): zod's classes and locale, noble's Ed25519 tables, canonical JSON.
 *
 * The SDK deep-freezes shared modules once they are loaded, so anything these libraries compute
 * lazily on first use (noble's base-point tables, zod's "may this context eval?" probe) is
 * computed here, before the freeze. Only code without per-run state belongs here: a module that
 * kept per-run state would leak it between runs. A cache of pure results is fine (the decision
 * check keeps each trusted key decoded with a table of its multiples): a run gets the same
 * answer with or without the entry, only sooner.
 *
 * Our own schemas are never frozen: zod binds their methods lazily and resets their regexes'
 * lastIndex on every check, both impossible on a frozen object. The message schemas are shared
 * all the same, built on first use and held where the freeze cannot reach (message-schemas.ts).
 * For the same reason a schema the workflow parses must not use zod's built-in formats backed by
 * a shared regex (z.email(), z.uuid(), z.hex(), …): that regex lives in the frozen zod module and
 * its check would throw. The workflow tests parse every schema the workflow uses, valid and
 * invalid, through this bundle.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { z } from 'zod';
import { canonicalJson } from '../src/domain/canonical-hash';
import { checkDecisionSignature } from '../src/domain/decision-signature';
import { messageSchemas } from './message-schemas';

const WARM_UP_SEED = new Uint8Array(32).fill(7);
const warmUpKey = ed25519.getPublicKey(WARM_UP_SEED);
const warmUpMessage = new TextEncoder().encode(canonicalJson({ warmUp: true }));
ed25519.verify(ed25519.sign(warmUpMessage, WARM_UP_SEED), warmUpMessage, warmUpKey);
z.object({ warmUp: z.boolean(), list: z.array(z.string()).optional() }).safeParse({ warmUp: true });
// zod compiles a parser for each object schema on its first parse. Our schemas are built per run,
// so in the sandbox that compile would come with the first decision of every run (~0.4 ms, more
// than the few parses a run makes ever win back); interpreted parsing gives the same results.
z.config({ jitless: true });

/** Re-exported so the bundle keeps the modules this file preloads. */
export { canonicalJson, checkDecisionSignature, ed25519, messageSchemas, z };
