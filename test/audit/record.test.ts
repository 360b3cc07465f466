/** The audit record masks the policy's redacted values wherever free text repeats them. */
import { auditEntries, buildAuditRecord } from '../../src/audit/record';
import type { PolicyEvaluation } from '../../src/domain/evaluation';
import type { ApprovalState } from '../../src/domain/state';

const SECRET = 'PHOTOCASE-4111-7342';
const DISGUISED = 'РНОТО\u200BСАЅЕ-4111-7342';

const evaluation: PolicyEvaluation = {
  actionType: 'payment.refund',
  policyVersion: 'payment.refund@abc',
  outcome: 'review',
  reason: `supervised; card ${SECRET} checked`,
  risk: 'high',
  paramsHash: `sha256:${'c'.repeat(64)}`,
  triggersFired: [],
  steps: [{ role: 'finance', count: 1, eligible: [] }],
  order: 'parallel',
  rejectionsToEnd: 1,
  escalation: [],
  operators: [],
  sla: { expireAfterMs: 3_600_000 },
  onExpiry: 'deny',
  redact: ['params.card'],
};

function state(overrides: Partial<ApprovalState> = {}): ApprovalState {
  return {
    workflowId: 'payment.refund:p-1',
    proposal: {
      id: 'p-1',
      actionType: 'payment.refund',
      params: { amount: 120, card: SECRET, note: `for ${SECRET.toLowerCase()}` },
      agent: { id: 'support-bot', name: 'Support bot' },
      requestedBy: { id: 'bob' },
      summary: `Refund to ${DISGUISED}`,
      evidence: { rationale: `card photocase 4111 7342`, preview: `P\u202EHOTOCASE-4111-7342` },
    },
    status: 'succeeded',
    round: 1,
    paramsHash: `sha256:${'c'.repeat(64)}`,
    evaluation,
    escalationLevel: 0,
    delegates: [],
    decisions: [
      {
        nonce: 'n1',
        round: 1,
        reviewerId: 'carol',
        role: 'finance',
        kind: 'approve',
        comment: `ok for ＰＨＯＴＯＣＡＳＥ－４１１１－７３４２`,
        decidedAt: '2030-01-01T10:00:00.000Z',
        recordedAt: '2030-01-01T10:00:00.000Z',
      },
    ],
    transitions: [
      { at: '2030-01-01T09:00:00.000Z', from: 'proposed', to: 'evaluating' },
      { at: '2030-01-01T10:00:00.000Z', from: 'awaiting_approval', to: 'approved', note: `approved; card ${DISGUISED}` },
    ],
    execution: { idempotencyKey: 'gatehouse:p-1:r1', executedHash: `sha256:${'c'.repeat(64)}`, error: `target said: bad card ${SECRET}` },
    ...overrides,
  };
}

const masked = (text: string) =>
  !text.includes(SECRET) && !text.includes('4111-7342') && !text.includes('4111 7342') && !text.includes('４１１１');

describe('audit record', () => {
  it('masks a redacted value repeated in the summary, evidence, reason, comments, notes and errors', () => {
    const entries = auditEntries(state());
    const text = JSON.stringify(entries);
    expect(masked(text)).toBe(true);
    const proposed = entries.find((e) => e.kind === 'proposed')!;
    expect(proposed.data['summary']).toBe('Refund to [redacted]');
    expect(proposed.data['params']).toEqual({ amount: 120, card: '[redacted]', note: 'for [redacted]' });
    expect(entries.find((e) => e.kind === 'decision')!.data['comment']).toBe('ok for [redacted]');
    expect(entries.find((e) => e.kind === 'transition' && e.data['note'])!.data['note']).toBe('approved; card [redacted]');
    expect(entries.find((e) => e.kind === 'evaluated')!.data['reason']).toBe('supervised; card [redacted] checked');
    expect(entries.find((e) => e.kind === 'execution')!.data['error']).toBe('target said: bad card [redacted]');

    const record = buildAuditRecord(state());
    expect(masked(JSON.stringify(record))).toBe(true);
    expect(record.proposal.summary).toBe('Refund to [redacted]');
    expect(record.proposal.evidence).toEqual({ rationale: 'card [redacted]', preview: '[redacted]' });
  });

  it('leaves ids and hashes alone even when they contain a short redacted value', () => {
    const pin = state({
      proposal: { ...state().proposal, params: { amount: 120, card: 'cccc' } },
      evaluation: { ...evaluation, redact: ['params.card'] },
    });
    const entries = auditEntries(pin);
    expect(entries.find((e) => e.kind === 'execution')!.data['executedHash']).toBe(`sha256:${'c'.repeat(64)}`);
    expect(buildAuditRecord(pin).approvedParamsHash).toBe(`sha256:${'c'.repeat(64)}`);
  });

  it('keeps everything in clear when the policy redacts nothing', () => {
    const open = state({ evaluation: { ...evaluation, redact: [] } });
    expect(auditEntries(open).find((e) => e.kind === 'proposed')!.data['summary']).toBe(`Refund to ${DISGUISED}`);
  });
});
