/**
 * Starts one of the bench's own processes (the worker, the decision service, the POST load
 * generator). A `.js` entry is one bench/bundle.ts compiled: it runs under plain node, as a
 * deployment runs it, and lives beside the bundles outside this checkout, so it finds the
 * checkout's packages through NODE_PATH. A `.ts` entry (the load generator, or a
 * BENCH_WORKER_SCRIPT under trial) runs under tsx.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * `execArgvEnv` names an environment variable with more Node flags for this process, separated by
 * spaces (e.g. BENCH_WORKER_EXEC_ARGV="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the worker).
 */
export function forkBenchProcess(
  script: string,
  options: { execArgv?: string[]; execArgvEnv?: string; env?: Record<string, string> } = {},
): ChildProcess {
  const extra = options.execArgvEnv ? (process.env[options.execArgvEnv]?.split(' ').filter(Boolean) ?? []) : [];
  return fork(script, [], {
    execArgv: [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), ...(options.execArgv ?? []), ...extra],
    env: { ...process.env, NODE_PATH: resolve(__dirname, '../node_modules'), ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
