/**
 * A load generator in a process of its own: POSTs each JSON body to its URL once, `lanes` at a
 * time, and reports the wall time and each request's latency. Kept out of the driver, which also
 * hosts the decision service, so client work does not eat the server's event loop.
 *
 * Protocol (IPC): receives { items: { url, body }[], lanes }, answers { elapsedMs, results }.
 */
import { performance } from 'node:perf_hooks';

export interface LoadItem {
  url: string;
  body: string;
}

export interface LoadResult {
  elapsedMs: number;
  results: { status: number; ms: number; body: string }[];
}

async function run(items: LoadItem[], lanes: number): Promise<LoadResult> {
  const results: LoadResult['results'] = new Array<LoadResult['results'][number]>(items.length);
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i]!;
      const t = performance.now();
      try {
        const res = await fetch(item.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: item.body });
        results[i] = { status: res.status, ms: performance.now() - t, body: await res.text() };
      } catch (err) {
        results[i] = { status: 0, ms: performance.now() - t, body: (err as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  return { elapsedMs: performance.now() - t0, results };
}

if (require.main === module) {
  process.once('message', (msg: { items: LoadItem[]; lanes: number }) => {
    void run(msg.items, msg.lanes).then((result) => process.send?.(result, () => process.exit(0)));
  });
}
