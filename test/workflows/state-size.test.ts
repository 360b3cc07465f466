/**
 * A run whose inputs sit near the content limit stays readable: after several versions of ~450 KB
 * (the proposal and reviewers' edits, each kept with its signed copy) the whole state passes
 * Temporal's 2 MB payload limit, yet the state query still answers, with the same compact state a
 * finished run returns (before, it failed with "Blob data size exceeds limit"), and the run still
 * commits: its commit gets only the approvals of the version it executes.
 */
import { RESULT_LIMIT_BYTES, canonicalBytes } from '../../src/domain/size-limits';
import type { ProposalInput } from '../../src/domain/proposal';
import { retryingUpdateTaskFailure } from '../../src/client/temporal-errors';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(() => h?.close());

const KB = 1024;

function bulky(base: ProposalInput['params'], version: number): ProposalInput['params'] {
  return { ...base, body: { amount: 40 + version, note: `${version}`.padEnd(450 * KB, '.') } };
}

describe('state size', () => {
  it('answers the state query of a run whose whole state is over 2 MB with the compact state', async () => {
    // Two approvals needed: each approval with edits opens a new round that still waits.
    const proposal = h.proposal('test.quorum3');
    const run = await h.gatehouse.propose({ ...proposal, params: bulky(proposal.params, 1) });
    const handle = h.client.workflow.getHandle(run.workflowId);
    const firstRunId = (await handle.describe()).runId;
    const waiting = (round: number) =>
      eventually(async () => {
        const s = await handle.query(getStateQuery);
        return s.status === 'awaiting_approval' && s.round === round ? s : undefined;
      });

    const editors = ['alice', 'bob', 'alice', 'bob'];
    for (const [i, editor] of editors.entries()) {
      await waiting(i + 1);
      const decision = await h.decision(run.workflowId, { id: editor, role: 'approver' }, 'approve_with_edits', {
        editedParams: bulky(proposal.params, i + 2),
      });
      // As the SDK's own decisions do: an update that met the run's task failing as it handed over
      // (the server refused it, nothing was applied) is sent again.
      await retryingUpdateTaskFailure(() => handle.executeUpdate(decideUpdate, { args: [decision] }));
    }
    const state = await waiting(editors.length + 1);
    // The round's hash is of the last edit, whatever the query left out. A run that handed over
    // on the way (the server suggests it at 4 MB of history, and when it does depends on how the
    // tasks fell) left the stale signed edits behind and may be small enough to answer whole.
    const handedOver = (await handle.describe()).runId !== firstRunId;
    if (!handedOver) expect(state.compacted).toBe(true);
    expect(canonicalBytes(state)).toBeLessThanOrEqual(RESULT_LIMIT_BYTES);
    expect(state.decisions.filter((d) => d.kind === 'approve_with_edits')).toHaveLength(editors.length);

    // The commit gets the approvals of the version it executes, not every signed edit of the run
    // (2.7 MB here, over the server's limit): the run commits and finishes.
    // Bob's last edit approves this version already: Alice's approval makes the two.
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const outcome = await handle.result();
    expect(outcome.status).toBe('succeeded');
    expect(canonicalBytes(outcome)).toBeLessThanOrEqual(RESULT_LIMIT_BYTES);
  }, 90_000);
});
