/**
 * The real worker process (`node dist/src/worker/main.js`, built by `npm run build`), spawned with
 * its configuration in the environment so a test can SIGKILL it mid-activity and start another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
export const WORKER_MAIN = join(ROOT, 'dist/src/worker/main.js');

export interface WorkerProcessEnv {
  TEMPORAL_ADDRESS: string;
  GATEHOUSE_TASK_QUEUE: string;
  GATEHOUSE_DECISION_PUBLIC_KEYS: string;
  GATEHOUSE_LINK_KEYS: string;
  GATEHOUSE_LINK_GRANT_KEY: string;
  SMTP_URL: string;
  GATEHOUSE_POLICIES_DIR: string;
  GATEHOUSE_REVIEWERS_FILE: string;
  GATEHOUSE_AGENTS_FILE: string;
  GATEHOUSE_AUDIT_LOG: string;
  GATEHOUSE_SANDBOX_LEDGER: string;
  GATEHOUSE_EMAIL_OUTBOX_FILE?: string;
  GATEHOUSE_MAILDEV_API?: string;
  /** Where the worker's executors may send requests: the test targets listen on loopback. */
  GATEHOUSE_EGRESS_ALLOW?: string;
  GATEHOUSE_SAMPLING_KEY?: string;
  GATEHOUSE_WORKER_HEALTH_ADDRESS?: string;
  GATEHOUSE_WORKER_SHUTDOWN_GRACE_MS?: string;
  /** Auto-approved commits inside workflow tasks at once; '0': none. */
  GATEHOUSE_WORKER_LOCAL_COMMITS?: string;
  /** The seed types' targets (test/reliability/seed-types.test.ts). */
  GATEHOUSE_DATABASES?: string;
  GATEHOUSE_ACCESS_SYSTEMS?: string;
  GATEHOUSE_OUTBOX_DATABASE_URL?: string;
  GATEHOUSE_TICKETS_URL?: string;
  GATEHOUSE_PAYMENTS_URL?: string;
  GATEHOUSE_DEPLOY_REPOS?: string;
  GATEHOUSE_DEPLOY_HEALTH_URLS?: string;
  GATEHOUSE_DEPLOY_WEBHOOKS?: string;
  GATEHOUSE_WEBHOOK_KEYS?: string;
  /** Overrides the inherited PATH (a test's stand-in for a command goes first). */
  PATH?: string;
}

export interface WorkerProcess {
  readonly pid: number;
  /** Resolves when the worker logged that it polls its task queue. */
  ready: Promise<void>;
  /** SIGKILL: no shutdown hook, no graceful drain, sockets closed by the kernel. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the process to exit. */
  stop(): Promise<void>;
  /** The exit code (null when a signal ended it), once the process has exited. */
  exitCode: Promise<number | null>;
  /** Everything it wrote to stderr (and warnings on stdout), for failure messages. */
  output(): string;
}

export function assertWorkerBuilt(): void {
  if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first`);
}

export function spawnWorker(env: WorkerProcessEnv): WorkerProcess {
  assertWorkerBuilt();
  const child: ChildProcess = spawn(process.execPath, [WORKER_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      GATEHOUSE_MODE: 'dev',
      // Port 0: several workers on one machine must not fight over the default metrics port.
      GATEHOUSE_METRICS_ADDRESS: '127.0.0.1:0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exitCode = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const exited = exitCode.then(() => undefined);
  const ready = new Promise<void>((resolveReady, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"state":"RUNNING"')) resolveReady();
        if (/"level":(40|50|60)/.test(line)) output = `${output}${line}\n`.slice(-20_000);
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`worker ${child.pid} exited (${code ?? signal}) before polling:\n${output}`)));
  });
  ready.catch(() => undefined);
  child.stderr!.on('data', (chunk: Buffer) => {
    output = `${output}${chunk.toString('utf8')}`.slice(-20_000);
  });
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    pid: child.pid!,
    ready,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    exitCode,
    output: () => output,
  };
}
