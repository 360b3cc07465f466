/**
 * An operator's cancel (Web UI, `gatehouse cancel`, `handle.cancel()`) on the real server: a run
 * that executed nothing ends as withdrawn by the operator, with its outcome recorded and audited;
 * a commit in flight is never cut: it finishes and is verified, and the cancel is noted.
 */
import { readFileSync } from 'node:fs';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(() => h?.close());

async function untilStatus(workflowId: string, status: string): Promise<void> {
  await eventually(
    async () => ((await h.client.workflow.getHandle(workflowId).query(getStateQuery)).status === status ? true : undefined),
    20_000,
    status,
  );
}

describe('operator cancel', () => {
  it('ends a run awaiting approval as withdrawn by an operator, audited, with nothing executed', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await untilStatus(run.workflowId, 'awaiting_approval');
    const final = await run.cancel();
    expect(final.status).toBe('withdrawn');
    expect(final.outcomeReason).toBe('withdrawn by an operator: the run was cancelled');
    expect(final.transitions.at(-1)).toMatchObject({ from: 'awaiting_approval', to: 'withdrawn', event: 'cancelled' });
    expect(final.execution).toBeUndefined();
    expect(h.target.posts.some((k) => k.includes(run.workflowId))).toBe(false);
    const description = await h.client.workflow.getHandle(run.workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    const audited = readFileSync(h.auditLogFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes(run.workflowId));
    expect(audited.some((l) => l.includes('withdrawn by an operator'))).toBe(true);
  });

  it('lets a commit in flight finish and verify, and notes the cancel', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await untilStatus(run.workflowId, 'awaiting_approval');
    h.target.delayResponses(1, 3_000);
    const handle = h.client.workflow.getHandle(run.workflowId);
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    await untilStatus(run.workflowId, 'committing');
    const final = await run.cancel();
    expect(final.status).toBe('succeeded');
    expect(final.execution?.verification?.ok).toBe(true);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    expect(final.transitions.find((t) => t.event === 'cancelled')).toMatchObject({
      from: 'committing',
      to: 'committing',
      note: 'cancel requested while committing; the commit finishes and is verified',
    });
  }, 30_000);
});
