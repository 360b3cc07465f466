/**
 * 1,000 concurrent POSTs of the same decision link: the update id derived from the link's nonce
 * makes them one decision. Each answer is either that decision's result (200, an idempotent
 * replay) or "already decided" (409) — never a second decision, never a 5xx.
 */
import { createHarness, type Harness } from '../support/harness';
import { awaitingRun, getPage, signLink, startService, stateOf, type RunningService } from './service';

let h: Harness;
let service: RunningService;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  service = await startService(h, { rateLimit: false });
}, 60_000);
afterAll(async () => {
  await service?.close();
  await h?.close();
});

describe('concurrent decisions over HTTP', () => {
  it('applies exactly one decision for 1,000 concurrent POSTs of one link, and commits once', async () => {
    const workflowId = await awaitingRun(h, 'test.single');
    const link = `${service.url}/d/${signLink(h, { wf: workflowId })}`;
    const page = await getPage(link);
    const body = new URLSearchParams({ kind: 'approve', comment: '', paramsHash: page.paramsHash!, csrf: page.csrf! }).toString();
    const statuses = await Promise.all(
      Array.from({ length: 1_000 }, async () => {
        const response = await fetch(link, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', cookie: page.cookie! },
          body,
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const counts = statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    expect(Object.keys(counts).every((s) => s === '200' || s === '409')).toBe(true);
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions).toHaveLength(1);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    expect((await stateOf(h, workflowId).catch(() => final)).decisions).toHaveLength(1);
  }, 120_000);
});
