/**
 * proposeAndWait on the real server: the check that the run under the id holds this proposal runs
 * beside the wait, yet a final state is handed over only when it passed.
 */
import { ProposalConflictError } from '../../src/client';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(() => h?.close());

describe('proposeAndWait', () => {
  it('returns the final state of a run the policy approves', async () => {
    const { run, final } = await h.gatehouse.proposeAndWait(h.proposal('test.auto'), { signal: new AbortController().signal });
    expect(final?.status).toBe('succeeded');
    expect(final?.workflowId).toBe(run.workflowId);
  });

  it("refuses with a conflict, never the other proposal's final state, when its id holds a finished run", async () => {
    const proposal = h.proposal('test.auto');
    expect((await (await h.gatehouse.propose(proposal)).result()).status).toBe('succeeded');
    const other = { ...proposal, summary: 'the same id, other content' };
    await expect(h.gatehouse.proposeAndWait(other, { signal: new AbortController().signal })).rejects.toBeInstanceOf(ProposalConflictError);
    // The repeated proposal itself attaches to the run and gets its final state.
    const again = await h.gatehouse.proposeAndWait(proposal, { signal: new AbortController().signal });
    expect(again.final?.status).toBe('succeeded');
  });

  it('refuses with a conflict at once when its id holds a waiting run', async () => {
    const proposal = h.proposal('test.single');
    const waiting = await h.gatehouse.propose(proposal);
    const refused = h.gatehouse.proposeAndWait({ ...proposal, summary: 'other content' }, { signal: AbortSignal.timeout(30_000) });
    await expect(refused).rejects.toBeInstanceOf(ProposalConflictError);
    await waiting.withdraw(proposal.agent.id, 'test done');
  });

  it('returns the run without a final state when the signal aborts the wait', async () => {
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 500);
    const { run, final } = await h.gatehouse.proposeAndWait(h.proposal('test.single'), { signal: stop.signal });
    expect(final).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await run.status()).status).toBe('awaiting_approval');
    await run.withdraw(h.proposal('test.single').agent.id, 'test done');
  });
});
