/**
 * The HTTP target misbehaves during the commit: 5xx answers, requests that hang until the
 * executor's 10 s timeout, an effect applied before the answer was lost. Every retry carries the
 * same Idempotency-Key, asks the target first, and the effect is recorded once at a target that
 * does not deduplicate on its own.
 */
import type { ApprovalState } from '../../src/domain/state';
import { idempotencyKeyFor } from '../../src/domain/ids';
import type { ProposalInput } from '../../src/domain/proposal';
import { createHarness, type Harness } from '../support/harness';
import { startSlowTarget, type PostStep, type SlowTarget } from './support/slow-target';

let h: Harness;
let target: SlowTarget;
const results = new Map<string, Promise<ApprovalState>>();

/** Starts an auto-approved run whose commit goes to the slow target and meets `steps`. */
async function start(name: string, steps: PostStep[]): Promise<void> {
  const p = h.proposal('test.auto');
  const proposal: ProposalInput = {
    ...p,
    params: { ...p.params, url: `${target.url}/effects/${p.id}`, verify: { url: `${target.url}/check/${p.id}` } },
  };
  target.script(p.id, steps);
  const run = await h.gatehouse.propose(proposal);
  const result = run.result();
  result.catch(() => undefined);
  results.set(name, result);
}

const postsFor = (state: ApprovalState) => target.posts.filter((p) => p.resource === state.proposal.id);

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  target = await startSlowTarget();
  // All three run side by side; each test below waits for its own.
  await start('errors', [
    { kind: 'status', status: 500 },
    { kind: 'status', status: 502 },
    { kind: 'hold', applyFirst: false },
  ]);
  await start('lost answer', [
    { kind: 'status', status: 503 },
    { kind: 'hold', applyFirst: true },
  ]);
  await start('refused', [{ kind: 'status', status: 422 }]);
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

describe('HTTP target failing during the commit', () => {
  it('retries 500, 502 and a hung request with the same Idempotency-Key until it succeeds, with one effect', async () => {
    const final = await results.get('errors')!;
    expect(final.status).toBe('succeeded');
    const key = idempotencyKeyFor(final.workflowId, 1);
    expect(final.execution?.idempotencyKey).toBe(key);
    const posts = postsFor(final);
    expect(posts.map((p) => p.step)).toEqual(['status', 'status', 'hold', 'answer']);
    expect(posts.every((p) => p.key === key)).toBe(true);
    expect(target.effects.get(final.proposal.id)).toBe(1);
    // Every try asked the target first, the first one too: it ran inside the workflow task, where
    // a try cannot know it is the first (plus the verification after the commit).
    expect(target.checks.get(final.proposal.id)).toBe(4 + 1);
    expect(final.execution?.commit).toMatchObject({ status: 201 });
  }, 60_000);

  it('finds an effect whose answer was lost to a timeout and does not send it again', async () => {
    const final = await results.get('lost answer')!;
    expect(final.status).toBe('succeeded');
    const posts = postsFor(final);
    expect(posts.map((p) => p.step)).toEqual(['status', 'hold']);
    expect(new Set(posts.map((p) => p.key))).toEqual(new Set([idempotencyKeyFor(final.workflowId, 1)]));
    expect(target.effects.get(final.proposal.id)).toBe(1);
    expect(final.execution?.commit).toMatchObject({ verifiedBeforeRetry: true });
  }, 60_000);

  it('stops at a 4xx refusal without retrying and records the run as failed with no effect', async () => {
    const final = await results.get('refused')!;
    expect(final.status).toBe('failed');
    expect(final.outcomeReason).toMatch(/422/);
    expect(postsFor(final)).toHaveLength(1);
    expect(target.effects.get(final.proposal.id)).toBeUndefined();
  }, 60_000);
});
