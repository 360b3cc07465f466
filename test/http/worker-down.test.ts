/**
 * A click is never lost while workers are down: the decision goes as the signal twin, the page
 * says it is recorded, and when a worker returns it is applied exactly once.
 */
import { createHarness, eventually, type Harness } from '../support/harness';
import { awaitingRun, getPage, postForm, signLink, startService, stateOf, type RunningService } from './service';

let h: Harness;
let service: RunningService;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  // Short, so the test does not wait the production 5 s for a worker that is not there.
  service = await startService(h, { decisionTimeoutMs: 1_500, queryTimeoutMs: 1_500 });
});
afterAll(async () => {
  await service?.close();
  await h?.close();
});

describe('decisions while no worker runs', () => {
  it('records the decision durably and applies it exactly once when a worker returns', async () => {
    const workflowId = await awaitingRun(h, 'test.single');
    const url = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'carol' })}`;
    const page = await getPage(url);
    expect(page.status).toBe(200);

    await h.stopWorker();
    try {
      // The page itself needs a worker to answer the state query: a 503 that decides nothing.
      expect((await getPage(url)).status).toBe(503);
      const fields = { kind: 'approve', comment: 'while down', paramsHash: page.paramsHash!, csrf: page.csrf! };
      const posted = await postForm(url, fields, page.cookie);
      expect(posted.status).toBe(200);
      expect(posted.body).toContain('is recorded');
      expect(posted.body).toContain('will be applied');
      // The impatient second click: the same nonce, so the workflow keeps one of them.
      expect((await postForm(url, fields, page.cookie)).status).toBe(200);
    } finally {
      await h.startWorker();
    }

    const final = await eventually(
      async () => {
        const state = await stateOf(h, workflowId);
        return state.status === 'succeeded' ? state : undefined;
      },
      40_000,
      'the queued decision to be applied',
    );
    expect(final.decisions).toEqual([expect.objectContaining({ reviewerId: 'carol', kind: 'approve', comment: 'while down' })]);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });
});
