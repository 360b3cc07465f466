/**
 * The driver's side of the decision service process (http-process.ts): starts it and learns
 * where it listens.
 */
import { once } from 'node:events';
import type { DecisionSigningKey } from '../src/links/decision-signer';
import { forkBenchProcess } from './fork-process';
import type { BenchHttp } from './http';

/** What the decision service process needs, passed as JSON in its environment. */
export interface HttpProcessConfig {
  address: string;
  namespace: string;
  /** `kid:secret` link keyring, the one the worker mints links with. */
  linkKeys: string;
  signer: DecisionSigningKey;
}

/**
 * Starts http-process (compiled: `script`) and resolves once both apps listen.
 * BENCH_HTTP_EXEC_ARGV (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles it.
 */
export async function startHttpProcess(script: string, config: HttpProcessConfig): Promise<BenchHttp & { pid: number }> {
  const child = forkBenchProcess(script, { execArgvEnv: 'BENCH_HTTP_EXEC_ARGV', env: { BENCH_HTTP: JSON.stringify(config) } });
  const urls = await new Promise<Omit<BenchHttp, 'close'>>((ok, fail) => {
    child.once('message', (m) => ok(m as Omit<BenchHttp, 'close'>));
    child.once('exit', (code) => fail(new Error(`the decision service exited with ${code} before listening`)));
  });
  return {
    ...urls,
    pid: child.pid!,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
