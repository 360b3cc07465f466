import type { DecisionKind } from '../../../src/domain/decision';
import type { PolicyEvaluation } from '../../../src/domain/evaluation';
import type { Reviewer } from '../../../src/domain/policy';
import type { ApprovalState } from '../../../src/domain/state';
import type { TrustedKeys } from '../../../src/domain/trusted-keys';
import { createBytesSigner, createDecisionSigner, generateDecisionKeyPair } from '../../../src/links/decision-signer';
import { decisionThroughLink, grantFor } from '../../../src/links/link-issuer';
import { remainingSlots } from '../../../src/domain/standing';
import { IllegalTransitionError } from '../../../src/domain/run-event';
import { TERMINAL_STATUSES } from '../../../src/domain/status';
import { ALLOWED_TRANSITIONS, apply, initialState } from '../../../workflows/approval-state';
import { checkDecision, checkWithdraw } from '../../../workflows/decision-check';

const keys = generateDecisionKeyPair();
const signer = createDecisionSigner({ keyId: 'k', privateKeyHex: keys.privateKeyHex });
const grantPair = generateDecisionKeyPair();
const grantSigner = createBytesSigner({ keyId: 'g', privateKeyHex: grantPair.privateKeyHex });
const operatorPair = generateDecisionKeyPair();
const operatorSigner = createDecisionSigner({ keyId: 'op-fred', privateKeyHex: operatorPair.privateKeyHex });
const trusted: TrustedKeys = {
  decision: { k: keys.publicKeyHex },
  grants: { g: grantPair.publicKeyHex },
  operators: { 'op-fred': { owner: 'fred', publicKeyHex: operatorPair.publicKeyHex } },
};
const LATER = Date.parse('2026-01-01T00:00:00.000Z');
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
  state = apply(apply(state, { type: 'evaluation_started', at: NOW }), { type: 'evaluated', at: NOW, evaluation });
  return apply(state, { type: 'round_opened', at: NOW, deadline: '2026-01-02T00:00:00.000Z' });
}

let n = 0;
function sign(state: ApprovalState, id: string, role: string, kind: DecisionKind = 'approve', extra = {}) {
  return decisionThroughLink(
    {
      nonce: `nonce-${++n}-abcdef`,
      workflowId: state.workflowId,
      round: state.round,
      reviewer: { id, role },
      kind,
      paramsHash: state.paramsHash,
      decidedAt: NOW,
      ...(kind === 'reject' ? { comment: 'no' } : {}),
      ...extra,
    },
    signer,
    grantSigner,
    LATER / 1000 + 3600,
  );
}

function decide(state: ApprovalState, id: string, role: string, kind: DecisionKind = 'approve', extra = {}) {
  const signed = sign(state, id, role, kind, extra);
  const check = checkDecision(state, signed, trusted, LATER);
  return {
    check,
    next: check.ok ? apply(state, { type: 'decision_recorded', at: NOW, decision: signed.payload, signature: signed.signature }) : state,
  };
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
    expect(decide(s, 'fred', 'finance', 'approve', { paramsHash: `sha256:${'0'.repeat(64)}` }).check).toMatchObject({
      code: 'params_changed',
    });
    expect(decide(s, 'fred', 'finance', 'approve', { workflowId: 'other' }).check).toMatchObject({ code: 'wrong_workflow' });
    const signed = sign(s, 'fred', 'finance');
    const after = apply(s, { type: 'decision_recorded', at: NOW, decision: signed.payload });
    expect(checkDecision(after, signed, trusted, LATER)).toMatchObject({ code: 'duplicate' });
  });

  it('refuses unsigned, tampered and foreign-key decisions', () => {
    const s = dual();
    const signed = sign(s, 'fred', 'finance');
    expect(checkDecision(s, { ...signed, payload: { ...signed.payload, kind: 'reject', comment: 'x' } }, trusted, LATER)).toMatchObject({
      code: 'bad_signature',
    });
    expect(checkDecision(s, signed, { ...trusted, decision: {} }, LATER)).toMatchObject({ code: 'bad_signature' });
    const other = createDecisionSigner({ keyId: 'k', privateKeyHex: generateDecisionKeyPair().privateKeyHex });
    expect(checkDecision(s, other.sign(signed.payload), trusted, LATER)).toMatchObject({ code: 'bad_signature' });
  });

  it('refuses every decision once the outcome is fixed', () => {
    const rejected = decide(dual(), 'mia', 'manager', 'reject').next;
    expect(decide(rejected, 'fred', 'finance').check).toMatchObject({ code: 'not_awaiting' });
  });

  it('lets the escalation role fill an open slot after escalation, not before', () => {
    const s = reviewState(
      [{ role: 'finance', count: 1, eligible: [person('fred', 'finance')] }],
      [{ role: 'head', eligible: [person('hank', 'head')] }],
    );
    expect(decide(s, 'hank', 'head').check).toMatchObject({ code: 'not_eligible' });
    const escalated = apply(s, { type: 'escalated', at: NOW, reason: 'sla' });
    expect(escalated.escalationLevel).toBe(1);
    const approved = decide(escalated, 'hank', 'head');
    expect(approved.next.status).toBe('approved');
    expect(approved.next.decisions[0]?.filledRole).toBe('finance');
  });

  it('allows withdrawal before the commit only', () => {
    const s = dual();
    // Without keys (the proposal still being evaluated) only the status is checked here.
    expect(checkWithdraw(s, { by: 'agent' }, undefined).ok).toBe(true);
    expect(checkWithdraw({ ...s, status: 'committing' }, { by: 'agent' }, undefined).ok).toBe(false);
  });

  it('refuses a transition the table does not have, whatever event asks for it', () => {
    const rejected = decide(dual(), 'mia', 'manager', 'reject').next;
    expect(() => apply(rejected, { type: 'commit_started', at: NOW, idempotencyKey: 'k', executedHash: rejected.paramsHash })).toThrow(
      IllegalTransitionError,
    );
    expect(() => apply(dual(), { type: 'commit_started', at: NOW, idempotencyKey: 'k', executedHash: 'h' })).toThrow(
      /awaiting_approval → committing/,
    );
    expect(() => apply(rejected, { type: 'withdrawn', at: NOW, by: 'agent' })).toThrow(IllegalTransitionError);
    for (const [from, targets] of Object.entries(ALLOWED_TRANSITIONS)) {
      for (const to of targets) expect(ALLOWED_TRANSITIONS[to]).toBeDefined();
      if (TERMINAL_STATUSES.includes(from as never)) expect(targets).toEqual([]);
    }
  });

  it('names the event on every transition it records', () => {
    const escalatedState = reviewState(
      [{ role: 'finance', count: 1, eligible: [person('fred', 'finance')] }],
      [{ role: 'head', eligible: [person('hank', 'head')] }],
    );
    let s = apply(escalatedState, { type: 'reminded', at: NOW });
    s = apply(s, { type: 'escalated', at: NOW, reason: 'SLA passed without a decision' });
    s = decide(s, 'fred', 'finance').next;
    expect(s.transitions.map((t) => t.event)).toEqual(['evaluation_started', 'round_opened', 'reminded', 'escalated', 'decision_recorded']);
    expect(s.status).toBe('approved');
  });

  it('records a refused notice per person without changing the status or the outcome reason', () => {
    const expired = apply(dual(), { type: 'expired', at: NOW });
    const refused = {
      type: 'notice_undeliverable' as const,
      at: NOW,
      purpose: 'reminder' as const,
      round: 1,
      recipients: [
        { reviewerId: 'fred', reason: 'SMTP send failed (550)' },
        { reviewerId: 'mia', reason: 'SMTP send failed (550)' },
      ],
    };
    const s = apply(expired, refused);
    expect(s.status).toBe('expired');
    expect(s.outcomeReason).toBe(expired.outcomeReason);
    expect(s.undeliverable?.map((u) => `${u.purpose}:${u.reviewerId}:${u.round}`)).toEqual(['reminder:fred:1', 'reminder:mia:1']);
    expect(s.transitions.at(-1)).toMatchObject({
      from: 'expired',
      to: 'expired',
      event: 'notice_undeliverable',
      note: 'reminder mail undeliverable to fred, mia',
    });
  });

  it('withdraws a run an operator cancels before the commit, and only notes a cancel during it', () => {
    const waiting = apply(dual(), { type: 'cancelled', at: NOW });
    expect(waiting.status).toBe('withdrawn');
    expect(waiting.outcomeReason).toBe('withdrawn by an operator: the run was cancelled');
    const approved = decide(decide(dual(), 'fred', 'finance').next, 'mia', 'manager').next;
    expect(apply(approved, { type: 'cancelled', at: NOW }).status).toBe('withdrawn');
    const committing = apply(approved, { type: 'commit_started', at: NOW, idempotencyKey: 'k', executedHash: approved.paramsHash });
    const noted = apply(committing, { type: 'cancelled', at: NOW });
    expect(noted.status).toBe('committing');
    expect(noted.transitions.at(-1)).toMatchObject({
      event: 'cancelled',
      note: 'cancel requested while committing; the commit finishes and is verified',
    });
  });

  it("applies the policy's approve on expiry to silence only, never over an objection", () => {
    const approving = (state: ApprovalState): ApprovalState => ({ ...state, evaluation: { ...state.evaluation!, onExpiry: 'approve' } });
    const silent = apply(approving(dual()), { type: 'expired', at: NOW });
    expect(silent.status).toBe('approved');
    expect(silent.transitions.at(-1)?.event).toBe('expired');

    const twoRejections = reviewState(dual().evaluation!.steps, [], { rejectionsToEnd: 2 });
    const objected = decide(approving(twoRejections), 'mia', 'manager', 'reject', { comment: 'no' }).next;
    expect(objected.status).toBe('awaiting_approval');
    const afterObjection = apply(objected, { type: 'expired', at: NOW });
    expect(afterObjection.status).toBe('expired');
    expect(afterObjection.outcomeReason).toContain('reject by mia');

    const changes = decide(approving(dual()), 'fred', 'finance', 'request_changes', { comment: 'fix the amount' }).next;
    expect(changes.status).toBe('changes_requested');
    expect(apply(changes, { type: 'expired', at: NOW }).status).toBe('expired');

    const halfApproved = decide(approving(dual()), 'fred', 'finance').next;
    expect(apply(halfApproved, { type: 'expired', at: NOW }).status).toBe('approved');
  });

  it("delegates only to someone of the delegator's own role who has not decided", () => {
    const s = reviewState([
      { role: 'finance', count: 1, eligible: [person('fred', 'finance'), person('fay', 'finance')] },
      { role: 'manager', count: 1, eligible: [person('mia', 'manager')] },
    ]);
    expect(decide(s, 'fred', 'finance', 'delegate', { delegateTo: 'mia' }).check).toMatchObject({ ok: false, code: 'invalid' });
    expect(decide(s, 'fred', 'finance', 'delegate', { delegateTo: 'paul' }).check).toMatchObject({ ok: false, code: 'invalid' });
    const delegated = decide(s, 'fred', 'finance', 'delegate', { delegateTo: 'fay' });
    expect(delegated.check.ok).toBe(true);
    expect(delegated.next.delegates).toMatchObject([{ reviewer: { id: 'fay' }, role: 'finance', by: 'fred' }]);
  });

  it('accepts a decision only from a credential bound to the person deciding', () => {
    const s = dual();
    const base = {
      nonce: 'nonce-cred-123456',
      workflowId: s.workflowId,
      round: 1,
      kind: 'approve' as const,
      paramsHash: s.paramsHash,
      decidedAt: NOW,
    };
    // The decision service's key alone: no grant, or a grant for someone else's link.
    const noGrant = signer.sign({ ...base, channel: 'operator', reviewer: { id: 'fred', role: 'finance' } });
    expect(checkDecision(s, noGrant, trusted, LATER)).toMatchObject({ ok: false, code: 'bad_signature' });
    const miasGrant = grantFor(
      { wf: s.workflowId, round: 1, sub: 'mia', role: 'manager', exp: LATER / 1000 + 60, nonce: base.nonce },
      grantSigner,
    );
    const borrowed = signer.sign({ ...base, channel: 'link', grant: miasGrant, reviewer: { id: 'fred', role: 'finance' } });
    expect(checkDecision(s, borrowed, trusted, LATER)).toMatchObject({ ok: false, code: 'bad_signature' });
    // A grant the worker did not issue, and an expired one.
    const forgedGrant = grantFor(
      { wf: s.workflowId, round: 1, sub: 'fred', role: 'finance', exp: LATER / 1000 + 60, nonce: base.nonce },
      createBytesSigner({ keyId: 'g', privateKeyHex: generateDecisionKeyPair().privateKeyHex }),
    );
    expect(
      checkDecision(
        s,
        signer.sign({ ...base, channel: 'link', grant: forgedGrant, reviewer: { id: 'fred', role: 'finance' } }),
        trusted,
        LATER,
      ),
    ).toMatchObject({ ok: false, code: 'bad_signature' });
    const expired = decisionThroughLink({ ...base, reviewer: { id: 'fred', role: 'finance' } }, signer, grantSigner, LATER / 1000 - 1);
    expect(checkDecision(s, expired, trusted, LATER)).toMatchObject({ ok: false, code: 'bad_signature', message: 'the link has expired' });
    // An operator decides as themself only, in a role the directory gives them.
    expect(
      checkDecision(s, operatorSigner.sign({ ...base, channel: 'operator', reviewer: { id: 'fred', role: 'finance' } }), trusted, LATER).ok,
    ).toBe(true);
    expect(
      checkDecision(s, operatorSigner.sign({ ...base, channel: 'operator', reviewer: { id: 'mia', role: 'manager' } }), trusted, LATER),
    ).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(
      checkDecision(s, operatorSigner.sign({ ...base, channel: 'operator', reviewer: { id: 'fred', role: 'manager' } }), trusted, LATER),
    ).toMatchObject({ ok: false, code: 'not_eligible' });
    // The operator's key cannot pose as the decision service on a link decision.
    const posing = operatorSigner.sign({
      ...base,
      channel: 'link',
      grant: grantFor({ wf: s.workflowId, round: 1, sub: 'fred', role: 'finance', exp: LATER / 1000 + 60, nonce: base.nonce }, grantSigner),
      reviewer: { id: 'fred', role: 'finance' },
    });
    expect(checkDecision(s, posing, trusted, LATER)).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('keeps the signed approval on its record and the channel on every decision', () => {
    const a = decide(dual(), 'fred', 'finance');
    expect(a.next.decisions[0]).toMatchObject({ channel: 'link', signed: { payload: { reviewer: { id: 'fred' } } } });
    const r = decide(dual(), 'mia', 'manager', 'reject', { comment: 'no' });
    expect(r.next.decisions[0]?.signed).toBeUndefined();
  });
});
