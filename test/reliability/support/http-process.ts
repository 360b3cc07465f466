/**
 * The real decision service process (`node dist/src/http/main.js`, built by `npm run build`),
 * spawned with its configuration in the environment so a test can SIGKILL it mid-request.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
export const HTTP_MAIN = join(ROOT, 'dist/src/http/main.js');

export interface HttpProcessEnv {
  TEMPORAL_ADDRESS: string;
  GATEHOUSE_HTTP_PORT: string;
  GATEHOUSE_LINK_KEYS: string;
  GATEHOUSE_DECISION_SIGNING_KEY: string;
  GATEHOUSE_PUBLIC_URL: string;
  GATEHOUSE_TRUST_PROXY?: string;
  GATEHOUSE_DECISION_TIMEOUT_MS?: string;
  GATEHOUSE_HTTP_RATE_LIMIT_PER_MINUTE?: string;
}

export interface HttpProcess {
  readonly pid: number;
  readonly url: string;
  /** Resolves when `/healthz` answers 200. */
  ready: Promise<void>;
  /** SIGKILL: requests in flight die with the process. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the process to exit. */
  stop(): Promise<void>;
  output(): string;
}

export function spawnHttpService(env: HttpProcessEnv): HttpProcess {
  if (!existsSync(HTTP_MAIN)) throw new Error(`${HTTP_MAIN} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [HTTP_MAIN], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', GATEHOUSE_MODE: 'dev', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = `${output}${chunk.toString('utf8')}`.slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${env.GATEHOUSE_HTTP_PORT}`;
  const ready = (async () => {
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      if (child.exitCode !== null) throw new Error(`decision service exited (${child.exitCode}) before it listened:\n${output}`);
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`decision service on ${url} did not answer /healthz within 30 s:\n${output}`);
  })();
  ready.catch(() => undefined);
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { pid: child.pid!, url, ready, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM'), output: () => output };
}
