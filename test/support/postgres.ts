/**
 * A throw-away PostgreSQL 15 server for tests that need a real database: initdb into a fresh
 * temporary directory, one server on a free port of 127.0.0.1, one empty database. PostgreSQL
 * refuses to run as root, so every binary runs as the `postgres` OS user through `runuser`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../../src/util/free-port';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 server binaries, present on every machine of this project. */
export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';
const DATABASE = 'gatehouse_test';
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/gatehouse_test`; trust auth, no password. */
  url: string;
  /** Kills the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

function idsOf(user: string): { uid: number; gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === user);
  if (!passwd) throw new Error(`no "${user}" OS user on this machine`);
  return { uid: Number(passwd[2]), gid: Number(passwd[3]) };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function within(promise: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
}

/** The postmaster's pid: runuser forks, so the child we spawned is runuser, not PostgreSQL. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

async function waitUntilAccepting(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited during start-up:\n${readFileSync(logFile, 'utf8').slice(-2_000)}`);
    }
    const client = new Client({ host: '127.0.0.1', port, user: OS_USER, database: 'postgres', connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.query(`CREATE DATABASE ${DATABASE}`);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${READY_TIMEOUT_MS} ms`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

export async function startPostgres(binDir = POSTGRES_BIN_DIR): Promise<TestPostgres> {
  if (userInfo().uid !== 0) throw new Error('startPostgres runs the server as the postgres user and needs root');
  const owner = idsOf(OS_USER);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const logFile = join(dir, 'postgres.log');
  mkdirSync(socketDir, { mode: 0o700 });
  writeFileSync(logFile, '');
  for (const path of [dir, socketDir, logFile]) chownSync(path, owner.uid, owner.gid);

  let child: ChildProcess | undefined;
  const shutDown = async (): Promise<void> => {
    if (!child) return;
    const server = child;
    child = undefined;
    // runuser waits for its child, so once it has exited the pid file may be stale: leave it be.
    if (server.exitCode !== null || server.signalCode !== null) return;
    // SIGINT is PostgreSQL's fast shutdown; SIGTERM to runuser would wait for clients to leave.
    signal(postmasterPid(dataDir), 'SIGINT');
    if (!(await within(exited(server), STOP_TIMEOUT_MS))) {
      signal(postmasterPid(dataDir), 'SIGKILL');
      server.kill('SIGKILL');
      await exited(server);
    }
  };
  const stop = async (): Promise<void> => {
    await shutDown();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await run('runuser', ['-u', OS_USER, '--', join(binDir, 'initdb'), '-D', dataDir, '-U', OS_USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
      cwd: dir,
    });
    // Trust, but only over TCP from 127.0.0.1: the Unix socket and every other address are refused.
    writeFileSync(join(dataDir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
    // A port found free may be taken before the server binds it; a second port is cheap.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const log = openSync(logFile, 'a');
      child = spawn(
        'runuser',
        ['-u', OS_USER, '--', join(binDir, 'postgres'), '-D', dataDir, '-p', String(port), '-k', socketDir, '-h', '127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'],
        { cwd: dir, stdio: ['ignore', log, log] },
      );
      closeSync(log);
      try {
        await waitUntilAccepting(port, child, logFile);
        return { url: `postgres://${OS_USER}@127.0.0.1:${port}/${DATABASE}`, stop };
      } catch (err) {
        const bindFailed = /could not bind|could not create any TCP\/IP sockets/.test(readFileSync(logFile, 'utf8'));
        await shutDown();
        if (!bindFailed || attempt >= 3) throw err;
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
