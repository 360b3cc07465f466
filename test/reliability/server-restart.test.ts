/**
 * The Temporal server is stopped (SIGTERM) and started again on the same SQLite file while
 * approvals wait and commits are in flight, twice. Every run continues where it was, decisions
 * recorded before the stop are still there, decisions sent after the restart apply, and each
 * approved action has exactly one effect at a naive target.
 *
 * The file runs its own server (the suite's shared one is in memory and must stay up), and points
 * the harness at it.
 */
import { submitDecision } from '../../src/client/submit-decision';
import { verifyChain } from '../../src/audit/hash-chain-log';
import type { ApprovalState } from '../../src/domain/state';
import { getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { startSlowTarget, type SlowTarget } from './support/slow-target';
import { startOwnTemporalServer, type OwnTemporalServer } from './support/temporal-server';

let server: OwnTemporalServer;
let h: Harness;
let target: SlowTarget;
const sharedAddress = process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS'];

beforeAll(async () => {
  server = await startOwnTemporalServer();
  // The harness connects to GATEHOUSE_TEST_TEMPORAL_ADDRESS; jest gives each file its own env.
  process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS'] = server.address;
  h = await createHarness();
  await h.startWorker();
  target = await startSlowTarget();
}, 90_000);

afterAll(async () => {
  process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS'] = sharedAddress;
  target?.stopHolding();
  await h?.close();
  await target?.close();
  await server?.stop();
}, 30_000);

const state = (workflowId: string): Promise<ApprovalState> => h.client.workflow.getHandle(workflowId).query(getStateQuery);

async function until(workflowId: string, predicate: (s: ApprovalState) => boolean, what: string): Promise<ApprovalState> {
  return eventually(
    async () => {
      const s = await state(workflowId);
      return predicate(s) ? s : undefined;
    },
    60_000,
    `${workflowId}: ${what}`,
  );
}

/** A proposal whose commit goes to the slow target, under a resource name the test scripts. */
function proposal(actionType: string) {
  const p = h.proposal(actionType);
  const params = { ...p.params, url: `${target.url}/effects/${p.id}`, verify: { url: `${target.url}/check/${p.id}` } };
  return { ...p, params };
}

describe('Temporal server restarted on the same database file', () => {
  it('continues every waiting and committing run, applies decisions sent after the restarts and commits each approved action once', async () => {
    // Before the first stop: three single approvals and a dual approval wait (the dual one
    // half-decided), one commit is held by the target after applying its effect, one before.
    const waiting = await Promise.all([0, 1, 2].map(() => h.gatehouse.propose(proposal('test.single'))));
    const dual = await h.gatehouse.propose(proposal('test.dual'));
    const appliedThenStopped = proposal('test.auto');
    const heldThenStopped = proposal('test.auto');
    target.script(appliedThenStopped.id, [{ kind: 'hold', applyFirst: true }]);
    target.script(heldThenStopped.id, [{ kind: 'hold', applyFirst: false }]);
    const committing = [await h.gatehouse.propose(appliedThenStopped), await h.gatehouse.propose(heldThenStopped)];

    for (const run of [...waiting, dual]) await until(run.workflowId, (s) => s.status === 'awaiting_approval', 'awaiting approval');
    const carol = await h.decision(dual.workflowId, { id: 'carol', role: 'finance' }, 'approve');
    expect(await submitDecision(h.client, carol)).toMatchObject({ applied: true, result: { status: 'awaiting_approval' } });
    await target.until(
      () => target.held(appliedThenStopped.id) === 1 && target.held(heldThenStopped.id) === 1,
      30_000,
      'both commits held',
    );

    // Stop 1: the commit held before its effect is answered while the server is down, so the
    // worker finishes the activity and cannot report it.
    await server.stop('SIGTERM');
    target.releaseAll();
    await server.restart();

    // Decisions sent after restart 1.
    const decisions = [
      await h.decision(waiting[0]!.workflowId, { id: 'alice', role: 'approver' }, 'approve'),
      await h.decision(waiting[1]!.workflowId, { id: 'bob', role: 'approver' }, 'reject'),
      await h.decision(dual.workflowId, { id: 'dave', role: 'manager' }, 'approve'),
    ];
    for (const signed of decisions) expect(await submitDecision(h.client, signed, { timeoutMs: 20_000 })).toMatchObject({ applied: true });

    // Stop 2, with one approval still open; it is decided after restart 2.
    await server.stop('SIGTERM');
    await server.restart();
    const last = await h.decision(waiting[2]!.workflowId, { id: 'carol', role: 'approver' }, 'approve');
    expect(await submitDecision(h.client, last, { timeoutMs: 20_000 })).toMatchObject({ applied: true });

    const finals = new Map<string, ApprovalState>();
    for (const run of [...waiting, dual, ...committing]) finals.set(run.workflowId, await run.result());
    const final = (run: { workflowId: string }) => finals.get(run.workflowId)!;
    const effects = (run: { workflowId: string }) => target.effects.get(final(run).proposal.id) ?? 0;

    expect(server.restarts).toBe(2);
    expect([waiting[0], waiting[2], dual, ...committing].map((r) => final(r!).status)).toEqual(Array(5).fill('succeeded'));
    expect(final(waiting[1]!).status).toBe('rejected');
    for (const run of [waiting[0]!, waiting[2]!, dual, ...committing]) expect(effects(run)).toBe(1);
    expect(effects(waiting[1]!)).toBe(0);
    // The half-decided dual approval kept the decision made before the stops.
    expect(final(dual).decisions.map((d) => [d.reviewerId, d.kind])).toEqual([
      ['carol', 'approve'],
      ['dave', 'approve'],
    ]);
    for (const signed of [carol, ...decisions, last]) {
      const recorded = [...finals.values()].flatMap((s) => s.decisions).filter((d) => d.nonce === signed.payload.nonce);
      expect(recorded).toHaveLength(1);
    }
    expect(verifyChain(h.auditLogFile, h.auditKeyring).ok).toBe(true);
  }, 180_000);
});
