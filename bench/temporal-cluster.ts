/**
 * The bench's own Temporal cluster: `./temporal-dev.sh cluster up --temporal-only` (frontend,
 * matching, worker and two history services on PostgreSQL, no Gatehouse) in a temp dir on ports
 * apart from the dev cluster's, so `npm run bench -- --cluster` measures the same workloads on
 * it. Its CPU is that of the five Temporal services and of PostgreSQL with its backends (SQLite
 * runs inside the dev server, so both sides count their persistence). `stop()` runs
 * `cluster down` and removes the temp dir.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const SERVICES = ['history-1', 'history-2', 'matching', 'frontend', 'worker'] as const;

export interface ClusterServer {
  address: string;
  dir: string;
  version: string;
  /** The Temporal services and PostgreSQL's processes now (backends come and go). */
  pids(): number[];
  stop(): Promise<void>;
}

export function startClusterServer(): ClusterServer {
  const port = Number(process.env['BENCH_CLUSTER_PORT'] ?? 7833);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-cluster-'));
  // PostgreSQL runs as an unprivileged user when the bench runs as root: it must reach its data.
  chmodSync(dir, 0o755);
  const env = {
    ...process.env,
    TEMPORAL_CLUSTER_DIR: dir,
    TEMPORAL_CLUSTER_PORT: String(port),
    TEMPORAL_CLUSTER_POSTGRES_PORT: String(port + 48_000),
  };
  const script = join(ROOT, 'temporal-dev.sh');
  const down = () => execFileSync('bash', [script, 'cluster', 'down'], { env, stdio: 'ignore' });
  try {
    execFileSync('bash', [script, 'cluster', 'up', '--temporal-only'], { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 900_000 });
  } catch (err) {
    down();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const servicePids = SERVICES.map((name) => Number(readFileSync(join(dir, 'pids', `${name}.pid`), 'utf8').trim()));
  const postmaster = Number(readFileSync(join(dir, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const version = execFileSync(join(ROOT, '.tools/bin/temporal-server'), ['--version'], { encoding: 'utf8' }).trim();
  return {
    address: `127.0.0.1:${port}`,
    dir,
    version: `${version} (cluster: ${SERVICES.join(', ')}; PostgreSQL)`,
    pids: () => [...servicePids, postmaster, ...childrenOf(postmaster)],
    async stop() {
      down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function childrenOf(parent: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) found.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return found;
}
