/**
 * Size limits checked up front, on the real server: a proposal or revision over the limit is
 * refused with the limit named and starts or changes nothing (before, a 3 MB proposal failed with
 * only "Failed to start Workflow", and a 1.2 MB proposal plus a 1.2 MB revision was accepted and
 * then terminated by the server for the size of its result).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ProposalValidationError, ReviseRefusedError } from '../../src/client';
import type { ProposalInput } from '../../src/domain/proposal';
import { createAgentSigner } from '../../src/client/agent-signer';
import { decideUpdate, getStateQuery, reviseUpdate } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(() => h?.close());

const MB = 1024 * 1024;

/** A test.single proposal whose params carry `bytes` of text in the body posted to the target. */
function sized(bytes: number): ProposalInput {
  const proposal = h.proposal('test.single');
  return { ...proposal, params: { ...proposal.params, body: { amount: 42, note: 'x'.repeat(bytes) } } };
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error('expected a refusal');
  return error;
}

async function waitingRun(input: ProposalInput) {
  const run = await h.gatehouse.propose(input);
  const handle = h.client.workflow.getHandle(run.workflowId);
  await eventually(async () => ((await handle.query(getStateQuery)).status === 'awaiting_approval' ? true : undefined));
  return { run, handle };
}

async function askForChanges(workflowId: string): Promise<void> {
  await h.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, {
    args: [await h.decision(workflowId, { id: 'bob', role: 'approver' }, 'request_changes', { comment: 'smaller please' })],
  });
}

describe('size limits', () => {
  it('refuses a 3 MB proposal with the limit named and starts no workflow', async () => {
    const input = sized(3 * MB);
    const error = await refusal(h.gatehouse.propose(input));
    expect(error).toBeInstanceOf(ProposalValidationError);
    expect((error as ProposalValidationError).problems).toEqual([
      {
        path: 'params',
        message:
          "the proposal's params and evidence are 3.0 MB of canonical JSON; the limit is 512 KB (pass large evidence by reference: evidence.attachments with a URL and its SHA-256)",
      },
    ]);
    await expect(h.client.workflow.getHandle(`test.single:${input.id}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('refuses a 1.2 MB proposal, and a 1.2 MB revision of a small one, up front with the limit named', async () => {
    const big = sized(1.2 * MB);
    expect((await refusal(h.gatehouse.propose(big))).message).toContain('the limit is 512 KB');
    await expect(h.client.workflow.getHandle(`test.single:${big.id}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const { run, handle } = await waitingRun(sized(1_000));
    await askForChanges(run.workflowId);
    const before = (await handle.fetchHistory()).events?.length;
    const revised = sized(1.2 * MB);
    const error = await refusal(run.revise({ by: 'agent-7', params: revised.params }));
    expect(error).toBeInstanceOf(ReviseRefusedError);
    expect(error.message).toBe(
      "the revision's params and evidence are 1.2 MB of canonical JSON; the limit is 512 KB (pass large evidence by reference: evidence.attachments with a URL and its SHA-256)",
    );
    expect((await handle.fetchHistory()).events?.length).toBe(before);
    expect((await handle.query(getStateQuery)).status).toBe('changes_requested');
    await run.withdraw('agent-7', 'test done');
  });

  it('has the workflow refuse a revision over the limit that bypassed the SDK, leaving history unchanged', async () => {
    const { run, handle } = await waitingRun(sized(1_000));
    await askForChanges(run.workflowId);
    const before = (await handle.fetchHistory()).events?.length;
    // Signed by the agent, as a caller that skipped the SDK's own size check could.
    const body = { by: 'agent-7', params: sized(600 * 1024).params };
    const credential = createAgentSigner(h.agentKeySpec).signMessage(run.workflowId, 'revise', body);
    const error = await refusal(handle.executeUpdate(reviseUpdate, { args: [{ ...body, credential }] }));
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((error as WorkflowUpdateFailedError).cause?.message).toBe(
      "the revision's params and evidence are 601 KB of canonical JSON; the limit is 512 KB (pass large evidence by reference: evidence.attachments with a URL and its SHA-256)",
    );
    expect((await handle.fetchHistory()).events?.length).toBe(before);
    await run.withdraw('agent-7', 'test done');
  });

  it('accepts a 400 KB proposal and a 400 KB revision and returns the whole state', async () => {
    const { run, handle } = await waitingRun(sized(400 * 1024));
    await askForChanges(run.workflowId);
    expect(await run.revise({ by: 'agent-7', params: sized(400 * 1024 + 1).params })).toBe('awaiting_approval');
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.compacted).toBeUndefined();
    expect(final.originalParams).toBeDefined();
  }, 30_000);
});
