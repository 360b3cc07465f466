/**
 * Agents authenticated and scoped, on the real Temporal server: a proposal is accepted only when
 * signed by the registered agent it names, for an action type in its scope; withdrawals and
 * revisions only when signed by the proposing agent or an operator as themself; a proposal id is
 * the agent's idempotency key across action types. Every attack goes straight to Temporal, as
 * anyone with Temporal access could, not through the SDK that would refuse it first.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { GatehouseClient, ProposalConflictError, ReviseRefusedError, WithdrawRefusedError, createAgentSigner } from '../../src/client';
import { buildAuditRecord } from '../../src/audit/record';
import { workflowIdFor } from '../../src/domain/ids';
import { ProposalSchema, type Proposal } from '../../src/domain/proposal';
import type { ApprovalState } from '../../src/domain/state';
import { generateDecisionKeyPair } from '../../src/links/decision-signer';
import type { approvalWorkflow } from '../../workflows/approval';
import { decideUpdate, getStateQuery, reviseUpdate, withdrawUpdate } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

/** A proposal as the SDK would send it, before any signature. */
function unsigned(actionType: string, overrides: Parameters<Harness['proposal']>[1] = {}): Proposal {
  return ProposalSchema.parse(h.proposal(actionType, overrides));
}

/** Starts a run directly through Temporal, as anyone with access to it could. */
async function startDirectly(proposal: Proposal, workflowId = workflowIdFor(proposal)): Promise<WorkflowHandle<typeof approvalWorkflow>> {
  return h.client.workflow.start<typeof approvalWorkflow>('approvalWorkflow', { workflowId, taskQueue: h.taskQueue, args: [{ proposal }] });
}

async function until(workflowId: string, status: string): Promise<ApprovalState> {
  return eventually(
    async () => {
      const state = await h.client.workflow.getHandle(workflowId).query(getStateQuery);
      return state.status === status ? state : undefined;
    },
    20_000,
    `${workflowId} ${status}`,
  );
}

async function historyLength(workflowId: string): Promise<number> {
  return (await h.client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
}

/** The refusal message of an update, or a failure if it was accepted. */
async function refusal(pending: Promise<unknown>): Promise<string> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause?.message ?? '';
}

describe('proposals', () => {
  it('denies a proposal started directly through Temporal without a signature, with the reason', async () => {
    const handle = await startDirectly(unsigned('test.single'));
    const final = await handle.result();
    expect(final.status).toBe('denied');
    expect(final.outcomeReason).toMatch(/agent not authenticated: proposal is not signed by agent "agent-7"/);
    expect(final.evaluation?.requesterAssertedBy).toBeUndefined();
  });

  it('denies a signed proposal whose content was changed after signing, and one signed by an unregistered key', async () => {
    const signer = createAgentSigner(h.agentKeySpec);
    const signed = signer.signProposal(unsigned('test.single'));
    const tampered = { ...signed, params: { ...signed.params, body: { amount: 4_200 } } };
    expect((await (await startDirectly(tampered)).result()).outcomeReason).toMatch(
      /proposal signature does not verify \(agent "agent-7"\)/,
    );

    // The right key id, someone else's key.
    const impostor = createAgentSigner(`${h.agentKeySpec.split(':')[0]}:${generateDecisionKeyPair().privateKeyHex}`);
    const forged = await (await startDirectly(impostor.signProposal(unsigned('test.single')))).result();
    expect(forged.status).toBe('denied');
    expect(forged.outcomeReason).toMatch(/proposal signature does not verify/);
    expect(forged.execution).toBeUndefined();
  });

  it('denies a correctly signed proposal started under another workflow id (a second run of it)', async () => {
    const signed = createAgentSigner(h.agentKeySpec).signProposal(unsigned('test.auto'));
    const final = await (await startDirectly(signed, `replayed-${signed.id}`)).result();
    expect(final.status).toBe('denied');
    expect(final.outcomeReason).toContain(`is not this proposal's (${workflowIdFor(signed)})`);
    expect(final.execution).toBeUndefined();
  });

  it('denies an agent proposing outside its scope, and an agent nobody registered', async () => {
    const signer = createAgentSigner(h.agentKeySpec);
    h.agents.set('narrow-agent', {
      id: 'narrow-agent',
      name: 'Narrow',
      keys: { [signer.keyId]: signer.publicKeyHex },
      scope: ['test.auto'],
    });
    const narrow = await h.gatehouse.propose(h.proposal('test.single', { agent: { id: 'narrow-agent', name: 'Narrow' } }));
    const final = await narrow.result();
    expect(final.status).toBe('denied');
    expect(final.outcomeReason).toContain('agent "narrow-agent" may not propose test.single');

    const ghost = await h.gatehouse.propose(h.proposal('test.auto', { agent: { id: 'ghost-agent', name: 'Ghost' } }));
    expect((await ghost.result()).outcomeReason).toContain('agent "ghost-agent" is not registered');
  });

  it('records the requester as asserted by the authenticated agent, in the state and the audit record', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.auto'));
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.evaluation).toMatchObject({ requesterAssertedBy: 'agent-7', agentKeyId: 'agent-test' });
    const proposed = buildAuditRecord(final).entries.find((e) => e.kind === 'proposed')!;
    expect(proposed.data['requestedBy']).toEqual({ id: 'peter', assertedBy: 'agent-7', agentKeyId: 'agent-test' });
  });

  it('treats the proposal id as the agent’s idempotency key across action types: a conflict, one run', async () => {
    const proposal = h.proposal('test.single');
    const first = await h.gatehouse.propose(proposal);
    expect(first.workflowId).toBe(`agent-7:${proposal.id}`);
    const { runId } = await h.client.workflow.getHandle(first.workflowId).describe();
    await expect(h.gatehouse.propose({ ...proposal, actionType: 'test.auto' })).rejects.toBeInstanceOf(ProposalConflictError);
    await expect(h.gatehouse.propose({ ...proposal, params: { ...proposal.params, body: { amount: 1 } } })).rejects.toBeInstanceOf(
      ProposalConflictError,
    );
    expect((await h.gatehouse.propose(proposal)).workflowId).toBe(first.workflowId);
    const described = await h.client.workflow.getHandle(first.workflowId).describe();
    expect(described.runId).toBe(runId);
    expect((await first.status()).proposal.actionType).toBe('test.single');
    await first.withdraw('agent-7');
  });
});

describe('withdrawals and revisions', () => {
  it('refuses a withdrawal sent directly through Temporal with a plain `by` or a forged credential, leaving the run unchanged', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await until(run.workflowId, 'awaiting_approval');
    const other = await h.gatehouse.propose(h.proposal('test.single'));
    await until(other.workflowId, 'awaiting_approval');
    const handle = h.client.workflow.getHandle(run.workflowId);
    await new Promise((r) => setTimeout(r, 1_000));
    const before = await historyLength(run.workflowId);

    const signer = createAgentSigner(h.agentKeySpec);
    const body = { by: 'agent-7', reason: 'pull it' };
    const attempts: [string, unknown, RegExp][] = [
      ['no credential', body, /withdraw is not signed/],
      [
        'a credential made for another run',
        { ...body, credential: signer.signMessage(other.workflowId, 'withdraw', body) },
        /withdraw signature does not verify/,
      ],
      [
        'a revise credential',
        { ...body, credential: signer.signMessage(run.workflowId, 'revise', body) },
        /withdraw signature does not verify/,
      ],
      ['another body', { ...body, reason: 'other', credential: signer.signMessage(run.workflowId, 'withdraw', body) }, /does not verify/],
      [
        'someone nobody registered',
        { by: 'nobody.known', credential: signer.signMessage(run.workflowId, 'withdraw', { by: 'nobody.known' }) },
        /neither the proposing agent nor an operator/,
      ],
    ];
    for (const [what, withdrawal, reason] of attempts) {
      expect([what, await refusal(handle.executeUpdate(withdrawUpdate, { args: [withdrawal as never] }))]).toEqual([
        what,
        expect.stringMatching(reason),
      ]);
    }
    expect(await historyLength(run.workflowId)).toBe(before);
    expect((await handle.query(getStateQuery)).status).toBe('awaiting_approval');
    await other.withdraw('agent-7');
    await run.withdraw('agent-7');
  });

  it('refuses a withdrawal signed by another registered agent, whoever it names', async () => {
    const otherKeys = generateDecisionKeyPair();
    h.agents.set('other-agent', { id: 'other-agent', name: 'Other', keys: { o1: otherKeys.publicKeyHex }, scope: ['test.single'] });
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await until(run.workflowId, 'awaiting_approval');
    const otherKey = `o1:${otherKeys.privateKeyHex}`;
    await expect(run.withdraw('other-agent', 'mine now', { signingKey: otherKey })).rejects.toThrow(
      /neither the proposing agent nor an operator/,
    );
    await expect(run.withdraw('agent-7', 'as agent-7', { signingKey: otherKey })).rejects.toBeInstanceOf(WithdrawRefusedError);
    expect((await run.status()).status).toBe('awaiting_approval');
    expect(await run.withdraw('agent-7', 'done')).toBe('withdrawn');
    const final = await run.result();
    expect(final.transitions.at(-1)?.note).toBe('withdrawn by agent-7 (signed with agent key agent-test): done');
  });

  it('accepts a withdrawal an operator signs with their own key, and records the credential', async () => {
    const operator = generateDecisionKeyPair();
    h.operatorKeys['op-ed'] = { owner: 'ed.escalation', publicKeyHex: operator.publicKeyHex };
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await until(run.workflowId, 'awaiting_approval');
    const operatorKey = `op-ed:${operator.privateKeyHex}`;
    // An operator signs only as themself.
    await expect(run.withdraw('quinn.other', 'not me', { signingKey: operatorKey })).rejects.toBeInstanceOf(WithdrawRefusedError);
    expect(await run.withdraw('ed.escalation', 'stopped by operations', { signingKey: operatorKey })).toBe('withdrawn');
    const final = await run.result();
    expect(final.status).toBe('withdrawn');
    expect(final.outcomeReason).toBe('withdrawn by ed.escalation (signed with operator key op-ed): stopped by operations');
  });

  it('refuses a revision sent directly through Temporal unsigned or signed by another agent; accepts the agent’s', async () => {
    const proposal = h.proposal('test.single');
    const run = await h.gatehouse.propose(proposal);
    await until(run.workflowId, 'awaiting_approval');
    const handle = h.client.workflow.getHandle(run.workflowId);
    await handle.executeUpdate(decideUpdate, {
      args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'request_changes', { comment: 'less' })],
    });
    await until(run.workflowId, 'changes_requested');
    await new Promise((r) => setTimeout(r, 1_000));
    const before = await historyLength(run.workflowId);

    const revision = { by: 'agent-7', params: { ...proposal.params, body: { amount: 1_000_000 } } };
    expect(await refusal(handle.executeUpdate(reviseUpdate, { args: [revision] }))).toMatch(/revise is not signed/);
    const stranger = createAgentSigner(`agent-test:${generateDecisionKeyPair().privateKeyHex}`);
    const forged = { ...revision, credential: stranger.signMessage(run.workflowId, 'revise', revision) };
    expect(await refusal(handle.executeUpdate(reviseUpdate, { args: [forged] }))).toMatch(/revise signature does not verify/);
    await expect(run.revise({ ...revision, by: 'peter' })).rejects.toBeInstanceOf(ReviseRefusedError);
    expect(await historyLength(run.workflowId)).toBe(before);
    expect((await handle.query(getStateQuery)).status).toBe('changes_requested');

    expect(await run.revise({ by: 'agent-7', params: { ...proposal.params, body: { amount: 40 } } })).toBe('awaiting_approval');
    const state = await handle.query(getStateQuery);
    expect(state.round).toBe(2);
    expect(state.transitions.at(-1)?.note).toContain('revised by agent-7 (signed with agent key agent-test)');
    expect(state.evaluation?.requesterAssertedBy).toBe('agent-7');
    await run.withdraw('agent-7');
  });

  it('refuses to propose, withdraw or revise from an SDK without a key, before anything reaches Temporal', async () => {
    const keyless = await GatehouseClient.connect({ client: h.client, taskQueue: h.taskQueue });
    const proposal = h.proposal('test.auto');
    await expect(keyless.propose(proposal)).rejects.toThrow(/no signing key/);
    await expect(h.client.workflow.getHandle(workflowIdFor(proposal)).describe()).rejects.toThrow();
  });
});
