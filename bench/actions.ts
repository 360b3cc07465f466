/**
 * The bench's action types: a small params schema and, on the worker, an executor that does no
 * I/O and reports when each commit starts. Registered next to the built-in types.
 */
import { z } from 'zod';
import type { Executor } from '../src/actions/executor';
import { builtInActionTypes, type ActionTypeRegistry } from '../src/actions/registry';

export const BENCH_ACTION_TYPES = ['bench.single', 'bench.dual', 'bench.auto'] as const;
export type BenchActionType = (typeof BENCH_ACTION_TYPES)[number];

export const BenchParamsSchema = z.object({
  account: z.string().min(1).max(64),
  amount: z.number().positive(),
  currency: z.string().length(3),
  note: z.string().max(500).optional(),
});
export type BenchParams = z.infer<typeof BenchParamsSchema>;

/** The registry the client validates with (no executor) or the worker runs with (executor given). */
export function benchActionTypes(executor?: Executor<BenchParams>): ActionTypeRegistry {
  const registry = builtInActionTypes();
  for (const name of BENCH_ACTION_TYPES) {
    registry.register({ name, paramsSchema: BenchParamsSchema, ...(executor ? { executor } : {}) });
  }
  return registry;
}
