/**
 * Where an adapter keeps a paused agent's serialized state between the pause and the resume, so
 * that the resume works from another process, after a restart. A file per key by default; a
 * service with a database implements the same three calls over its own table.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** What is kept per paused agent: the framework's state and the runs it waits for. */
export const PausedAgentSchema = z.object({
  state: z.string(),
  workflowIds: z.array(z.string()),
});
export type PausedAgent = z.infer<typeof PausedAgentSchema>;

export interface PausedAgentStore {
  put(key: string, value: PausedAgent): Promise<void>;
  get(key: string): Promise<PausedAgent | undefined>;
  delete(key: string): Promise<void>;
}

/** Thrown when a store key could escape its directory or is empty. */
export class PausedAgentKeyError extends Error {
  override readonly name = 'PausedAgentKeyError';
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** One JSON file per key in `dir`, written to a temporary name then renamed (never half-written). */
export function filePausedAgentStore(dir: string): PausedAgentStore {
  mkdirSync(dir, { recursive: true });
  const path = (key: string): string => {
    if (!KEY.test(key) || key.includes('..'))
      throw new PausedAgentKeyError(`"${key.slice(0, 50)}" is not a store key (letters, digits, . _ : -)`);
    return join(dir, `${key.replace(/:/g, '_')}.json`);
  };
  return {
    put(key, value) {
      const file = path(key);
      writeFileSync(`${file}.tmp`, JSON.stringify(PausedAgentSchema.parse(value)));
      renameSync(`${file}.tmp`, file);
      return Promise.resolve();
    },
    get(key) {
      const file = path(key);
      try {
        return Promise.resolve(PausedAgentSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve(undefined);
        throw err;
      }
    },
    delete(key) {
      rmSync(path(key), { force: true });
      return Promise.resolve();
    },
  };
}
