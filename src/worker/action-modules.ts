/**
 * Action types of the deployment's own, loaded by configuration (`GATEHOUSE_ACTION_MODULES`):
 * each module is a CommonJS file exporting `actionTypes`, an array of
 * `{ name, paramsSchema, executor }` (see src/actions/registry.ts and src/actions/executor.ts).
 * A policy file in the policies directory then names the type like any built-in one.
 */
import { isAbsolute, resolve } from 'node:path';
import { ActionTypeRegistrationError, type ActionType, type ActionTypeRegistry } from '../actions/registry';

function isActionType(value: unknown): value is ActionType {
  const v = value as Partial<ActionType> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    typeof (v.paramsSchema as { safeParse?: unknown } | undefined)?.safeParse === 'function' &&
    (v.executor === undefined || (typeof v.executor.commit === 'function' && typeof v.executor.verify === 'function'))
  );
}

/** Registers every action type the modules export; the first bad module stops the worker, named. */
export function loadActionModules(paths: string[], registry: ActionTypeRegistry, base = process.cwd()): string[] {
  const names: string[] = [];
  for (const path of paths) {
    const file = isAbsolute(path) ? path : resolve(base, path);
    let exported: unknown;
    try {
      // The deployment names its own CommonJS modules at start; they cannot be imported statically.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      exported = require(file);
    } catch (err) {
      throw new ActionTypeRegistrationError(`${path}: cannot be loaded: ${(err as Error).message}`, { cause: err });
    }
    const types = (exported as { actionTypes?: unknown }).actionTypes;
    if (!Array.isArray(types) || types.length === 0 || !types.every(isActionType)) {
      throw new ActionTypeRegistrationError(
        `${path}: must export actionTypes, an array of { name, paramsSchema (zod), executor: { commit, verify, rollback? } }`,
      );
    }
    for (const type of types) {
      try {
        registry.register(type);
      } catch (err) {
        throw new ActionTypeRegistrationError(`${path}: ${(err as Error).message}`, { cause: err });
      }
      names.push(type.name);
    }
  }
  return names;
}
