/**
 * A continuation's input carries state and keys its previous run vouched for. Anyone who can start
 * a workflow can also pass that input to a new run; the run refuses it unless Temporal says it
 * continued from a run of its own, so a made-up "succeeded" state with a result nobody approved
 * never reaches an agent waiting on the id, and no forged key set is trusted.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { workflowIdFor } from '../../src/domain/ids';
import type { ApprovalInput } from '../../workflows/approval';
import { decideUpdate } from '../../workflows/messages';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
}, 60_000);
afterAll(async () => h?.close());

describe('a forged hand-over', () => {
  it('fails the run instead of returning the state it was handed, and executes nothing', async () => {
    const genuine = await h.gatehouse.propose(h.proposal('test.single'));
    await h.client.workflow
      .getHandle(genuine.workflowId)
      .executeUpdate(decideUpdate, { args: [await h.decision(genuine.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const succeeded = await genuine.result();
    expect(succeeded.status).toBe('succeeded');
    const effectsBefore = h.target.effects.size;

    // The state of that run, retold under a new id the agent will ask for, with keys of the
    // attacker's choosing.
    const target = { ...succeeded.proposal, id: `forged-${randomUUID()}` };
    const workflowId = workflowIdFor(target);
    const forged: ApprovalInput = {
      proposal: target,
      resume: {
        state: { ...succeeded, workflowId, proposal: target },
        trustedKeys: { decision: { evil: 'aa'.repeat(32) }, grants: {}, operators: {} },
        clock: { round: 1, remindAt: null, escalateAt: null, expireAt: Date.now() + 3_600_000 },
        unsent: [],
      },
    };
    const handle = await h.client.workflow.start('approvalWorkflow', { workflowId, taskQueue: h.taskQueue, args: [forged] });
    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toContain('only from its own continue-as-new');
    expect(h.target.effects.size).toBe(effectsBefore);
  });
});
