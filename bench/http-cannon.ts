/** Fixed-duration closed-loop GET load (autocannon) from a worker thread of the driver. */
import autocannon from 'autocannon';

export interface CannonResult {
  reqPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  total: number;
  statusCounts: Record<string, number>;
  errors: number;
}

/** Fixed-duration closed-loop load from one worker thread with `connections` sockets. */
export async function cannon(options: { url: string; paths?: string[]; seconds: number; connections: number }): Promise<CannonResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    workers: 1,
    ...(options.paths ? { requests: options.paths.map((path) => ({ method: 'GET' as const, path })) } : {}),
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = (stat as { count: number }).count;
  return {
    reqPerSec: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    total: result.requests.total,
    statusCounts,
    errors: result.errors + result.timeouts,
  };
}
