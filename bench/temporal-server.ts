/**
 * The bench's own Temporal dev server: file-backed SQLite in a temp dir with the pragmas the
 * figures are reported for, headless, the Gatehouse search attributes, free ports on 127.0.0.1.
 * `stop()` ends the process it started and removes the temp dir.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { devServerDynamicConfigArgs } from '../src/dev/dev-server-config';
import { installedTemporalCli } from '../src/dev/temporal-cli';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../src/domain/search-attributes';
import { sleep } from './clock';

export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

export interface DevServer {
  address: string;
  dir: string;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

const CLI_TYPE: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export async function startDevServer(): Promise<DevServer> {
  const cli = installedTemporalCli();
  const version = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const [port, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--db-filename',
    join(dir, 'temporal.sqlite'),
    ...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
    '--namespace',
    'default',
    '--log-level',
    'error',
    ...devServerDynamicConfigArgs(),
    ...ALL_SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE[k.type]}`]),
  ];
  const log = openSync(join(dir, 'server.log'), 'a');
  const child: ChildProcess = spawn(cli, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const address = `127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      for (let i = 0; i < 100 && !exited; i++) await sleep(100);
      if (!exited) child.kill('SIGKILL');
      for (let i = 0; i < 20 && !exited; i++) await sleep(100);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(address, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, dir, pid: child.pid!, version, stop };
}

async function waitHealthy(address: string, exited: () => boolean): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    if (exited()) throw new Error('the Temporal dev server exited during start-up');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > until)
        throw new Error(`the Temporal dev server did not answer within 60 s: ${(err as Error).message}`, { cause: err });
      await sleep(300);
    }
  }
}
