/** The pure agent checks: what a proposal, withdrawal or revision signature covers, and who may sign. */
import { authenticateMessage, authenticateProposal, type MessageKeys, type RegisteredAgent } from '../../../src/domain/agent-auth';
import { createAgentSigner } from '../../../src/client/agent-signer';
import { ProposalSchema, type Proposal } from '../../../src/domain/proposal';
import { generateDecisionKeyPair } from '../../../src/links/decision-signer';

const agentPair = generateDecisionKeyPair();
const operatorPair = generateDecisionKeyPair();
const signer = createAgentSigner(`k1:${agentPair.privateKeyHex}`);
const operator = createAgentSigner(`op1:${operatorPair.privateKeyHex}`);
const agent: RegisteredAgent = { id: 'refund-agent', name: 'Refunds', keys: { k1: agentPair.publicKeyHex }, scope: ['payment.refund'] };
const keys: MessageKeys = { agent: agent.keys, operators: { op1: { owner: 'ed.ops', publicKeyHex: operatorPair.publicKeyHex } } };

const proposal: Proposal = ProposalSchema.parse({
  id: 'r-1',
  actionType: 'payment.refund',
  params: { customerId: 'c1', amount: 10, currency: 'EUR' },
  agent: { id: 'refund-agent', name: 'Refunds' },
  requestedBy: { id: 'peter' },
  summary: 'Refund 10',
});

describe('authenticateProposal', () => {
  it('accepts the registered agent’s signature over the whole proposal, for an action type in its scope', () => {
    expect(authenticateProposal(signer.signProposal(proposal), agent)).toEqual({ ok: true, agentId: 'refund-agent', keyId: 'k1' });
  });

  it('refuses unsigned, unregistered, tampered, foreign-key and out-of-scope proposals with the reason', () => {
    const signed = signer.signProposal(proposal);
    const cases: [Proposal, RegisteredAgent | undefined, RegExp][] = [
      [proposal, agent, /not signed/],
      [signed, undefined, /not registered/],
      [{ ...signed, params: { ...signed.params, amount: 10_000 } }, agent, /does not verify/],
      [{ ...signed, requestedBy: { id: 'someone-else' } }, agent, /does not verify/],
      [operator.signProposal(proposal), agent, /unknown key id "op1"/],
      [signer.signProposal({ ...proposal, actionType: 'db.write' }), agent, /may not propose db\.write/],
    ];
    for (const [p, a, reason] of cases) {
      const result = authenticateProposal(p, a);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).toMatch(reason);
    }
  });
});

describe('authenticateMessage', () => {
  const context = (kind: 'withdraw' | 'revise', workflowId = 'refund-agent:r-1') => ({ workflowId, kind, agentId: 'refund-agent', keys });

  it('accepts the proposing agent and an operator signing as themself, naming the credential', () => {
    const byAgent = { by: 'refund-agent', reason: 'no longer needed' };
    expect(
      authenticateMessage({ ...byAgent, credential: signer.signMessage('refund-agent:r-1', 'withdraw', byAgent) }, context('withdraw')),
    ).toEqual({ ok: true, signer: 'agent', keyId: 'k1' });
    const byOperator = { by: 'ed.ops' };
    expect(
      authenticateMessage(
        { ...byOperator, credential: operator.signMessage('refund-agent:r-1', 'withdraw', byOperator) },
        context('withdraw'),
      ),
    ).toEqual({ ok: true, signer: 'operator', keyId: 'op1' });
  });

  it('binds a signature to its run, its kind and its body; nobody signs in another’s name', () => {
    const body = { by: 'refund-agent' };
    const credential = signer.signMessage('refund-agent:r-1', 'withdraw', body);
    const refused: [Parameters<typeof authenticateMessage>[0], ReturnType<typeof context>, RegExp][] = [
      [body, context('withdraw'), /not signed/],
      [{ ...body, credential }, context('withdraw', 'refund-agent:r-2'), /does not verify/],
      [{ ...body, credential }, context('revise'), /does not verify/],
      [{ ...body, reason: 'added later', credential }, context('withdraw'), /does not verify/],
      // The agent's key naming an operator, and the operator's key naming the agent or another person.
      [
        { by: 'ed.ops', credential: signer.signMessage('refund-agent:r-1', 'withdraw', { by: 'ed.ops' }) },
        context('withdraw'),
        /unknown key id "k1"/,
      ],
      [
        { by: 'refund-agent', credential: operator.signMessage('refund-agent:r-1', 'withdraw', body) },
        context('withdraw'),
        /unknown key id "op1"/,
      ],
      [
        { by: 'mia', credential: operator.signMessage('refund-agent:r-1', 'withdraw', { by: 'mia' }) },
        context('withdraw'),
        /neither the proposing agent nor an operator/,
      ],
    ];
    for (const [message, ctx, reason] of refused) {
      const result = authenticateMessage(message, ctx);
      expect(result.ok ? '' : result.reason).toMatch(reason);
    }
  });
});
