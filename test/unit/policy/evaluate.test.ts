import { HttpRequestParamsSchema, PaymentRefundParamsSchema } from '../../../src/actions/schemas';
import { PolicySchema, type PolicyInput, type ReviewerDirectory } from '../../../src/domain/policy';
import type { Proposal } from '../../../src/domain/proposal';
import { createAgentSigner } from '../../../src/client/agent-signer';
import { workflowIdFor } from '../../../src/domain/ids';
import { generateDecisionKeyPair } from '../../../src/links/decision-signer';
import { evaluatePolicy, evaluateProposal, type ProposalEvaluationInput } from '../../../src/policy/evaluate';
import { generateSamplingKeySpec, parseSamplingKey, samplingDraw } from '../../../src/policy/sampling';

const samplingKey = parseSamplingKey(generateSamplingKeySpec('k1'));

const directory: ReviewerDirectory = {
  people: [
    { id: 'fred', name: 'Fred', email: 'fred@x.example', roles: ['finance'] },
    { id: 'fiona', name: 'Fiona', email: 'fiona@x.example', roles: ['finance'] },
    { id: 'mia', name: 'Mia', email: 'mia@x.example', roles: ['manager'] },
    { id: 'paul', name: 'Paul', email: 'paul@x.example', roles: ['finance', 'manager'] },
  ],
};

const refund = (amount: number, overrides: Partial<Proposal> = {}): Proposal => ({
  id: 'r1',
  actionType: 'payment.refund',
  params: { customerId: 'c1', amount, currency: 'EUR', reason: 'damaged' },
  agent: { id: 'agent-1', name: 'Refunder' },
  requestedBy: { id: 'paul' },
  summary: 'Refund',
  evidence: { rationale: 'photo of damage', confidence: 0.9 },
  ...overrides,
});

const policy = (over: Partial<PolicyInput> = {}) =>
  PolicySchema.parse({
    actionType: 'payment.refund',
    risk: 'critical',
    mode: 'supervised',
    triggers: [
      {
        id: 'large',
        description: 'over 1000',
        when: { field: 'params.amount', op: 'gt', value: 1000 },
        addSteps: [{ role: 'finance', count: 2 }],
      },
    ],
    approvals: { steps: [{ role: 'finance' }, { role: 'manager' }] },
    sla: { remindAfter: '1h', escalateAfter: '2h', expireAfter: '8h' },
    evidenceRequired: ['rationale'],
    ...over,
  });

const run = (proposal: Proposal, p = policy(), workflowId = 'payment.refund:r1') =>
  evaluatePolicy({ proposal, workflowId, policy: p, policyVersion: 'v1', directory, paramsSchema: PaymentRefundParamsSchema, samplingKey });

describe('evaluatePolicy', () => {
  it('asks finance and a manager, never the principal the agent acts for', () => {
    const result = run(refund(100));
    expect(result.outcome).toBe('review');
    expect(result.steps.map((s) => [s.role, s.count, s.eligible.map((e) => e.id)])).toEqual([
      ['finance', 1, ['fred', 'fiona']],
      ['manager', 1, ['mia']],
    ]);
    expect(result.sla).toEqual({ remindAfterMs: 3_600_000, escalateAfterMs: 7_200_000, expireAfterMs: 28_800_000 });
  });

  it('adds the approvals of a trigger that fired and names it', () => {
    const result = run(refund(5_000));
    expect(result.triggersFired).toEqual([{ id: 'large', description: 'over 1000' }]);
    expect(result.steps.find((s) => s.role === 'finance')?.count).toBe(2);
  });

  it('denies when a step cannot be filled by eligible people', () => {
    const result = run(refund(100, { requestedBy: { id: 'mia' }, agent: { id: 'paul', name: 'Paul as agent' } }));
    expect(result.outcome).toBe('deny');
    expect(result.reason).toContain('manager');
  });

  it('denies invalid params, listing the field', () => {
    const result = run(refund(-5));
    expect(result.outcome).toBe('deny');
    expect(result.reason).toContain('params.amount');
  });

  it('denies when required evidence is missing', () => {
    const result = run(refund(100, { evidence: {} }));
    expect(result).toMatchObject({
      outcome: 'deny',
      reason: 'evidence missing: evidence.rationale (the payment.refund policy requires rationale)',
    });
  });

  it('fails closed for an action type without a policy', () => {
    const result = evaluatePolicy({
      proposal: refund(1),
      workflowId: 'w',
      policy: undefined,
      policyVersion: 'none',
      directory,
      paramsSchema: undefined,
      samplingKey,
    });
    expect(result.outcome).toBe('deny');
  });

  it('auto-approves exception-only actions unless a trigger fires', () => {
    const p = policy({ mode: 'exception-only' });
    expect(run(refund(100), p).outcome).toBe('auto_approve');
    expect(run(refund(2_000), p).outcome).toBe('review');
  });

  it('samples deterministically per workflow and key, and records the draw with the key id', () => {
    const p = policy({ mode: 'sampled', sampleRate: 0.5, triggers: [] });
    const ids = Array.from({ length: 400 }, (_, i) => `payment.refund:r${i}`);
    const results = ids.map((id) => run(refund(100), p, id));
    const picked = results.filter((r) => r.outcome === 'review').length;
    expect(picked).toBeGreaterThan(150);
    expect(picked).toBeLessThan(250);
    expect(results[7]!.sampling).toEqual({
      rate: 0.5,
      draw: samplingDraw(ids[7]!, samplingKey),
      picked: results[7]!.outcome === 'review',
      keyId: 'k1',
    });
    expect(run(refund(100), p, ids[7]).outcome).toBe(results[7]!.outcome);
  });

  it('validates params with the schema it is given', () => {
    const result = evaluatePolicy({
      proposal: { ...refund(1), actionType: 'http.request', params: { method: 'GET' } },
      workflowId: 'w',
      policy: policy({ actionType: 'http.request' }),
      policyVersion: 'v',
      directory,
      paramsSchema: HttpRequestParamsSchema,
      samplingKey,
    });
    expect(result.outcome).toBe('deny');
    expect(result.reason).toContain('params.method');
  });
});

describe('evaluateProposal', () => {
  const pair = generateDecisionKeyPair();
  const signer = createAgentSigner(`a1:${pair.privateKeyHex}`);
  const agent = { id: 'agent-1', name: 'Refunder', keys: { a1: pair.publicKeyHex }, scope: ['payment.refund'] };
  const input = (proposal: Proposal, over: Partial<ProposalEvaluationInput> = {}): ProposalEvaluationInput => ({
    proposal,
    workflowId: workflowIdFor(proposal),
    policy: policy(),
    policyVersion: 'v1',
    directory,
    paramsSchema: PaymentRefundParamsSchema,
    samplingKey,
    agent,
    ...over,
  });

  it('asks the policy only for a proposal its agent signed, and records the requester as the agent’s assertion', () => {
    const result = evaluateProposal(input(signer.signProposal(refund(100))));
    expect(result).toMatchObject({ outcome: 'review', requesterAssertedBy: 'agent-1', agentKeyId: 'a1' });
    const unsigned = evaluateProposal(input(refund(100)));
    expect(unsigned).toMatchObject({ outcome: 'deny', reason: 'agent not authenticated: proposal is not signed by agent "agent-1"' });
    expect(unsigned.requesterAssertedBy).toBeUndefined();
  });

  it('denies a signed proposal evaluated under another workflow id', () => {
    const result = evaluateProposal(input(signer.signProposal(refund(100)), { workflowId: 'payment.refund:r1' }));
    expect(result.outcome).toBe('deny');
    expect(result.reason).toContain("is not this proposal's (agent-1:r1)");
  });

  it('takes a new version of an authenticated run on the run’s word, but not once the agent lost the scope', () => {
    const edited = refund(90);
    const authenticated = { agentId: 'agent-1', keyId: 'a1' };
    expect(evaluateProposal(input(edited, { authenticated })).outcome).toBe('review');
    expect(evaluateProposal(input(edited, { authenticated, agent: { ...agent, scope: ['db.write'] } })).reason).toContain(
      'may not propose payment.refund',
    );
    expect(evaluateProposal(input(edited, { authenticated, agent: undefined })).reason).toContain('is not registered');
  });
});
