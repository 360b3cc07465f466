/**
 * The commit executes only what was signed: it checks the signed approvals itself, against the
 * params it executes and the keys the worker trusts now, not the run's account of who approved.
 */
import { paramsHash } from '../../src/domain/canonical-hash';
import { createDecisionSigner, parseDecisionSigningKey } from '../../src/links/decision-signer';
import { decideSignal } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { runCli } from '../support/cli';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe('the commit re-checks the signed approvals', () => {
  it('refuses to execute, and calls for a human, when the approving key was revoked before the commit', async () => {
    await h.startWorker();
    const proposal = h.proposal('test.single');
    const run = await h.gatehouse.propose(proposal);
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined), 20_000, 'awaiting approval');
    await h.stopWorker();
    // alice approves with her own operator key while no worker runs: the decision waits as a signal.
    const payload = {
      channel: 'operator' as const,
      nonce: `cover-${Date.now()}`,
      workflowId: run.workflowId,
      round: 1,
      reviewer: { id: 'alice', role: 'approver' },
      kind: 'approve' as const,
      paramsHash: paramsHash(proposal.params),
      decidedAt: new Date().toISOString(),
    };
    const alice = createDecisionSigner(parseDecisionSigningKey(h.operatorKeySpecs['alice']!));
    await h.client.workflow.getHandle(run.workflowId).signal(decideSignal, alice.sign(payload));
    // Her key is revoked before any worker runs again: the run accepts the decision (its keys were
    // recorded at the start), but the commit, checking with today's keys, must not execute.
    await h.startWorker({ revokeOperatorKeys: true });
    const final = await run.result();
    expect(final.decisions[0]).toMatchObject({ reviewerId: 'alice', channel: 'operator' });
    expect(final.status).toBe('needs_attention');
    expect(final.outcomeReason).toMatch(
      /commit refused: refusing to execute: the signed approvals of sha256:[0-9a-f]+ do not fill the approver step/,
    );
    expect(final.transitions.at(-1)).toMatchObject({ from: 'committing', to: 'needs_attention', event: 'commit_refused' });
    expect(h.target.posts.filter((key) => key.includes(run.workflowId))).toHaveLength(0);
    await h.stopWorker();
  });

  it('executes when the same approval still checks out', async () => {
    await h.startWorker();
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined), 20_000, 'awaiting approval');
    const decided = await runCli(
      { GATEHOUSE_TASK_QUEUE: h.taskQueue, GATEHOUSE_OPERATOR_KEY: h.operatorKeySpecs['alice']! },
      'decide',
      run.workflowId,
      '--as',
      'alice',
      '--role',
      'approver',
      '--approve',
    );
    expect(decided.code).toBe(0);
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(h.target.posts.filter((key) => key.includes(run.workflowId))).toHaveLength(1);
    await h.stopWorker();
  });
});
