import type { DecisionKind } from '../../../src/domain/decision';
import type { PolicyEvaluation } from '../../../src/domain/evaluation';
import type { Reviewer } from '../../../src/domain/policy';
import type { ApprovalState } from '../../../src/domain/state';
import { createDecisionSigner, generateDecisionKeyPair } from '../../../src/links/decision-signer';
import {
  applyDecision,
  checkDecision,
  checkWithdraw,
  escalate,
  initialState,
  remainingSlots,
  transition,
  withEvaluation,
} from '../../../workflows/approval-state';

const keys = generateDecisionKeyPair();
const signer = createDecisionSigner({ keyId: 'k', privateKeyHex: keys.privateKeyHex });
const trusted = { k: keys.publicKeyHex };
const person = (id: string, ...roles: string[]): Reviewer => ({ id, name: id, email: `${id}@x.example`, roles });
const NOW = '2026-01-01T00:00:00.000Z';

function reviewState(
  steps: PolicyEvaluation['steps'],
  escalation: PolicyEvaluation['escalation'] = [],
  { order = 'parallel', rejectionsToEnd = 1 }: { order?: 'parallel' | 'sequential'; rejectionsToEnd?: number } = {},
): ApprovalState {
  const proposal = {
    id: 'p1',
    actionType: 'payment.refund',
    params: { amount: 10 },
    agent: { id: 'agent', name: 'Agent' },
    requestedBy: { id: 'paul' },
    summary: 'Refund',
    evidence: {},
  };
  let state = initialState('payment.refund:p1', proposal);
  const evaluation: PolicyEvaluation = {
    actionType: 'payment.refund',
    policyVersion: 'v1',
    outcome: 'review',
    reason: 'supervised',
    risk: 'high',
    paramsHash: state.paramsHash,
    triggersFired: [],
    steps,
    order,
    rejectionsToEnd,
    escalation,
    operators: [],
    sla: { expireAfterMs: 1000 },
    onExpiry: 'deny',
    redact: [],
  };
  state = withEvaluation(transition(state, 'evaluating', NOW), evaluation);
  return { ...transition(state, 'awaiting_approval', NOW), deadline: '2026-01-02T00:00:00.000Z' };
}

let n = 0;
function sign(state: ApprovalState, id: string, role: string, kind: DecisionKind = 'approve', extra = {}) {
  return signer.sign({
    nonce: `nonce-${++n}-abcdef`,
    workflowId: state.workflowId,
    round: state.round,
    reviewer: { id, role },
    kind,
    paramsHash: state.paramsHash,
    decidedAt: NOW,
    ...(kind === 'reject' ? { comment: 'no' } : {}),
    ...extra,
  });
}

function decide(state: ApprovalState, id: string, role: string, kind: DecisionKind = 'approve', extra = {}) {
  const signed = sign(state, id, role, kind, extra);
  const check = checkDecision(state, signed, trusted);
  return { check, next: check.ok ? applyDecision(state, signed.payload, NOW) : state };
}

const dual = () =>
  reviewState([
    { role: 'finance', count: 1, eligible: [person('fred', 'finance'), person('carla', 'finance', 'manager')] },
    { role: 'manager', count: 1, eligible: [person('mia', 'manager'), person('carla', 'finance', 'manager')] },
  ]);

describe('approval state', () => {
  it('approves only when every step is filled by a different person', () => {
    const s0 = dual();
    const a = decide(s0, 'carla', 'finance');
    expect(a.check.ok).toBe(true);
    expect(remainingSlots(a.next)).toEqual([{ role: 'manager', needed: 1 }]);
    const b = decide(a.next, 'carla', 'manager');
    expect(b.check).toMatchObject({ ok: false, code: 'already_decided' });
    const c = decide(a.next, 'mia', 'manager');
    expect(c.next.status).toBe('approved');
    expect(c.next.transitions.at(-1)).toMatchObject({ from: 'awaiting_approval', to: 'approved' });
  });

  it('refuses a second approval for a filled slot', () => {
    const a = decide(dual(), 'fred', 'finance').next;
    expect(decide(a, 'carla', 'finance').check).toMatchObject({ ok: false, code: 'slot_filled' });
  });

  it('ends the round on one rejection', () => {
    const r = decide(dual(), 'mia', 'manager', 'reject', { comment: 'too much' });
    expect(r.next.status).toBe('rejected');
    expect(r.next.outcomeReason).toContain('too much');
  });

  it('refuses the principal, the agent, strangers and wrong roles', () => {
    const s = dual();
    expect(decide(s, 'paul', 'finance').check).toMatchObject({ code: 'self_approval' });
    expect(decide(s, 'agent', 'finance').check).toMatchObject({ code: 'self_approval' });
    expect(decide(s, 'zed', 'finance').check).toMatchObject({ code: 'not_eligible' });
    expect(decide(s, 'fred', 'manager').check).toMatchObject({ code: 'not_eligible' });
  });

  it('refuses stale rounds, other params versions, other workflows and replays', () => {
    const s = dual();
    expect(decide(s, 'fred', 'finance', 'approve', { round: 2 }).check).toMatchObject({ code: 'stale_round' });
    expect(decide(s, 'fred', 'finance', 'approve', { paramsHash: `sha256:${'0'.repeat(64)}` }).check).toMatchObject({ code: 'params_changed' });
    expect(decide(s, 'fred', 'finance', 'approve', { workflowId: 'other' }).check).toMatchObject({ code: 'wrong_workflow' });
    const signed = sign(s, 'fred', 'finance');
    const after = applyDecision(s, signed.payload, NOW);
    expect(checkDecision(after, signed, trusted)).toMatchObject({ code: 'duplicate' });
  });

  it('refuses unsigned, tampered and foreign-key decisions', () => {
    const s = dual();
    const signed = sign(s, 'fred', 'finance');
    expect(checkDecision(s, { ...signed, payload: { ...signed.payload, kind: 'reject', comment: 'x' } }, trusted)).toMatchObject({ code: 'bad_signature' });
    expect(checkDecision(s, signed, {})).toMatchObject({ code: 'bad_signature' });
    const other = createDecisionSigner({ keyId: 'k', privateKeyHex: generateDecisionKeyPair().privateKeyHex });
    expect(checkDecision(s, other.sign(signed.payload), trusted)).toMatchObject({ code: 'bad_signature' });
  });

  it('refuses every decision once the outcome is fixed', () => {
    const rejected = decide(dual(), 'mia', 'manager', 'reject').next;
    expect(decide(rejected, 'fred', 'finance').check).toMatchObject({ code: 'not_awaiting' });
  });

  it('lets the escalation role fill an open slot after escalation, not before', () => {
    const s = reviewState([{ role: 'finance', count: 1, eligible: [person('fred', 'finance')] }], [{ role: 'head', eligible: [person('hank', 'head')] }]);
    expect(decide(s, 'hank', 'head').check).toMatchObject({ code: 'not_eligible' });
    const escalated = escalate(s, NOW, 'sla');
    expect(escalated.escalationLevel).toBe(1);
    const approved = decide(escalated, 'hank', 'head');
    expect(approved.next.status).toBe('approved');
    expect(approved.next.decisions[0]?.filledRole).toBe('finance');
  });

  it('allows withdrawal before the commit only', () => {
    const s = dual();
    expect(checkWithdraw(s).ok).toBe(true);
    expect(checkWithdraw(transition(s, 'committing', NOW)).ok).toBe(false);
  });
});
