import { checkApprovalCover, type CoverInput } from '../../../src/domain/approval-cover';
import { paramsHash } from '../../../src/domain/canonical-hash';
import type { PolicyEvaluation } from '../../../src/domain/evaluation';
import type { Reviewer } from '../../../src/domain/policy';
import { createBytesSigner, createDecisionSigner, generateDecisionKeyPair } from '../../../src/links/decision-signer';
import { decisionThroughLink } from '../../../src/links/link-issuer';
import { nativeCheckSignature } from '../../../src/links/native-verify';

const service = generateDecisionKeyPair();
const grant = generateDecisionKeyPair();
const signer = createDecisionSigner({ keyId: 'd', privateKeyHex: service.privateKeyHex });
const grantSigner = createBytesSigner({ keyId: 'g', privateKeyHex: grant.privateKeyHex });
const keys = { decision: { d: service.publicKeyHex }, grants: { g: grant.publicKeyHex }, operators: {} };
const person = (id: string, role: string): Reviewer => ({ id, name: id, email: `${id}@x.example`, roles: [role] });
const params = { amount: 420 };
const WF = 'payment.refund:p1';

const evaluation = (steps: PolicyEvaluation['steps']): PolicyEvaluation => ({
  actionType: 'payment.refund',
  policyVersion: 'v1',
  outcome: 'review',
  reason: 'supervised',
  risk: 'high',
  paramsHash: paramsHash(params),
  triggersFired: [],
  steps,
  order: 'parallel',
  rejectionsToEnd: 1,
  escalation: [],
  operators: [],
  sla: { expireAfterMs: 1000 },
  onExpiry: 'deny',
  redact: [],
});
const dual = evaluation([
  { role: 'finance', count: 1, eligible: [person('fred', 'finance'), person('paul', 'finance')] },
  { role: 'manager', count: 1, eligible: [person('mia', 'manager')] },
]);

let n = 0;
const approval = (id: string, role: string, extra: Record<string, unknown> = {}) =>
  decisionThroughLink(
    {
      nonce: `nonce-${++n}-abcdef`,
      workflowId: WF,
      round: 1,
      reviewer: { id, role },
      kind: 'approve',
      paramsHash: paramsHash(params),
      decidedAt: '2026-01-01T00:00:00.000Z',
      ...extra,
    },
    signer,
    grantSigner,
  );
const cover = (approvals: CoverInput['approvals'], over: Partial<CoverInput> = {}) =>
  checkApprovalCover({
    workflowId: WF,
    executedHash: paramsHash(params),
    evaluation: dual,
    proposer: { agentId: 'agent', requesterId: 'paul' },
    basis: 'reviewed',
    approvals,
    keys,
    ...over,
  });

describe("the commit's own approval check", () => {
  it('passes when distinct eligible people signed every step for exactly these params', () => {
    expect(cover([approval('fred', 'finance'), approval('mia', 'manager')])).toEqual({ ok: true, approvers: ['fred', 'mia'] });
  });

  it('refuses approvals of another version, from the proposer, twice from one person, or signed with an untrusted key', () => {
    expect(cover([approval('fred', 'finance'), approval('mia', 'manager')], { executedHash: paramsHash({ amount: 4200 }) }).ok).toBe(false);
    expect(cover([approval('paul', 'finance'), approval('mia', 'manager')]).ok).toBe(false);
    expect(cover([approval('fred', 'finance'), approval('fred', 'finance')]).ok).toBe(false);
    expect(cover([approval('fred', 'finance'), approval('mia', 'manager')], { keys: { ...keys, grants: {} } }).ok).toBe(false);
    expect(cover([approval('fred', 'finance'), approval('mia', 'manager', { workflowId: 'payment.refund:other' })]).ok).toBe(false);
  });

  it('counts an approval with edits for the edited version only', () => {
    const edited = { amount: 300 };
    const edit = approval('fred', 'finance', { kind: 'approve_with_edits', editedParams: edited });
    expect(cover([edit, approval('mia', 'manager', { paramsHash: paramsHash(edited) })], { executedHash: paramsHash(edited) }).ok).toBe(
      true,
    );
    expect(cover([edit, approval('mia', 'manager')]).ok).toBe(false);
  });

  it('lets silence approve only when the policy says so, and never what the policy now denies', () => {
    expect(cover([], { basis: 'expiry' }).ok).toBe(false);
    expect(cover([], { basis: 'expiry', evaluation: { ...dual, onExpiry: 'approve' } }).ok).toBe(true);
    expect(cover([], { basis: 'auto_approved', evaluation: { ...dual, outcome: 'auto_approve' } }).ok).toBe(true);
    expect(
      cover([approval('fred', 'finance'), approval('mia', 'manager')], {
        evaluation: { ...dual, outcome: 'deny', reason: 'amount too high' },
      }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('amount too high') });
  });

  it('gives the same answers with the native check the commit activity uses', () => {
    const good = [approval('fred', 'finance'), approval('mia', 'manager')];
    expect(cover(good, { verify: nativeCheckSignature })).toEqual({ ok: true, approvers: ['fred', 'mia'] });
    const tampered = good.map((a) => ({
      ...a,
      signature: { ...a.signature, value: a.signature.value.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
    }));
    expect(cover(tampered, { verify: nativeCheckSignature }).ok).toBe(false);
    expect(cover(good, { verify: nativeCheckSignature, keys: { ...keys, grants: {} } }).ok).toBe(false);
  });
});
