/**
 * Action types known to this deployment: each has a params schema and, where this worker can
 * run it, an executor. Users register their own types next to the built-in ones.
 */
import type { z } from 'zod';
import { ActionTypeNameSchema } from '../domain/proposal';
import type { Executor } from './executor';
import { BUILT_IN_PARAMS_SCHEMAS } from './schemas';

export interface ActionType<S extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>> {
  name: string;
  paramsSchema: S;
  executor?: Executor<z.infer<S>>;
}

/** Thrown when an action type is registered twice or under an invalid name. */
export class ActionTypeRegistrationError extends Error {
  override readonly name = 'ActionTypeRegistrationError';
}

export class ActionTypeRegistry {
  private readonly types = new Map<string, ActionType>();

  register<S extends z.ZodType<Record<string, unknown>>>(type: ActionType<S>): this {
    if (!ActionTypeNameSchema.safeParse(type.name).success) {
      throw new ActionTypeRegistrationError(`invalid action type name "${type.name}"`);
    }
    if (this.types.has(type.name)) throw new ActionTypeRegistrationError(`action type "${type.name}" is already registered`);
    this.types.set(type.name, type);
    return this;
  }

  /** Adds or replaces the executor of a registered type. */
  withExecutor(name: string, executor: Executor<never>): this {
    const type = this.types.get(name);
    if (!type) throw new ActionTypeRegistrationError(`action type "${name}" is not registered`);
    this.types.set(name, { ...type, executor });
    return this;
  }

  get(name: string): ActionType | undefined {
    return this.types.get(name);
  }

  names(): ReadonlySet<string> {
    return new Set(this.types.keys());
  }
}

/** The registry with the built-in schemas and no executors (what the client SDK validates with). */
export function builtInActionTypes(): ActionTypeRegistry {
  const registry = new ActionTypeRegistry();
  for (const [name, paramsSchema] of Object.entries(BUILT_IN_PARAMS_SCHEMAS)) {
    registry.register({ name, paramsSchema: paramsSchema as z.ZodType<Record<string, unknown>> });
  }
  return registry;
}
