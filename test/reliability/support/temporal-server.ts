/**
 * A Temporal dev server of the test's own, on a SQLite file, so the test can stop it and start it
 * again on the same file (the suite's shared server is in memory and must not be touched). Runs
 * the project's CLI binary, which the jest global setup exposes as GATEHOUSE_TEST_TEMPORAL_CLI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../../src/domain/search-attributes';
import { freePort } from '../../../src/util/free-port';

const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
};

export interface OwnTemporalServer {
  address: string;
  dbFile: string;
  /** How many times the server was started on the file after the first start. */
  restarts: number;
  /** Stops the server and waits for the process to exit (SIGKILL if it takes over 20 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and database file; resolves once it answers. */
  restart(): Promise<void>;
  /** What the server wrote, for failure messages. */
  output(): string;
}

/** `dynamicConfig`: extra `key=value` settings, e.g. `limit.historyCount.suggestContinueAsNew=40`. */
export async function startOwnTemporalServer(options: { dynamicConfig?: string[] } = {}): Promise<OwnTemporalServer> {
  const cli = process.env['GATEHOUSE_TEST_TEMPORAL_CLI'];
  if (!cli) throw new Error('the jest global setup did not expose the Temporal CLI');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const dbFile = join(mkdtempSync(join(tmpdir(), 'gatehouse-temporal-')), 'temporal.sqlite');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--headless',
    '--db-filename',
    dbFile,
    '--log-level',
    'error',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    ...(options.dynamicConfig ?? []).flatMap((setting) => ['--dynamic-config-value', setting]),
    ...ALL_SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE_NAMES[k.type]}`]),
  ];
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    const proc = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const collect = (chunk: Buffer) => {
      output = `${output}${chunk.toString('utf8')}`.slice(-20_000);
    };
    proc.stdout.on('data', collect);
    proc.stderr.on('data', collect);
    await untilAnswering(address, proc, () => output);
  };

  await launch();
  const server: OwnTemporalServer = {
    address,
    dbFile,
    restarts: 0,
    async stop(signal = 'SIGTERM') {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill(signal);
      const force = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(force);
      child = undefined;
    },
    async restart() {
      await server.stop();
      await launch();
      server.restarts++;
    },
    output: () => output,
  };
  return server;
}

/** Polls until the frontend answers and the search attributes are registered (max 60 s). */
async function untilAnswering(address: string, proc: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`temporal server exited with ${proc.exitCode}:\n${output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        if (customAttributes && ALL_SEARCH_ATTRIBUTE_KEYS.every((k) => k.name in customAttributes)) return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`temporal server at ${address} did not answer within 60 s: ${(lastError as Error)?.message}\n${output()}`);
}
