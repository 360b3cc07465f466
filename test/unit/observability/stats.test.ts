import type { ApprovalState } from '../../../src/domain/state';
import { computeStats, median } from '../../../src/observability/stats';

type Outcome = 'approved' | 'rejected' | 'auto' | 'expired';

/** A finished run: asked at t=0, decided after `minutes`, with the triggers that fired. */
function run(actionType: string, outcome: Outcome, minutes: number, triggers: string[] = []): ApprovalState {
  const t0 = Date.parse('2026-11-01T10:00:00Z');
  const at = (m: number) => new Date(t0 + m * 60_000).toISOString();
  const path: [string, string][] =
    outcome === 'auto'
      ? [
          ['evaluating', 'auto_approved'],
          ['auto_approved', 'succeeded'],
        ]
      : outcome === 'approved'
        ? [
            ['evaluating', 'awaiting_approval'],
            ['awaiting_approval', 'approved'],
            ['approved', 'succeeded'],
          ]
        : [
            ['evaluating', 'awaiting_approval'],
            ['awaiting_approval', outcome],
          ];
  return {
    workflowId: `${actionType}:${Math.random()}`,
    proposal: { id: 'x', actionType, params: {}, agent: { id: 'a', name: 'a' }, requestedBy: { id: 'p' }, summary: 's', evidence: {} },
    status: outcome === 'auto' || outcome === 'approved' ? 'succeeded' : outcome,
    round: 1,
    paramsHash: 'h',
    evaluation: { triggersFired: triggers.map((id) => ({ id, description: id })) } as unknown as ApprovalState['evaluation'],
    escalationLevel: 0,
    delegates: [],
    decisions:
      outcome === 'approved' || outcome === 'rejected'
        ? [
            {
              nonce: 'n',
              round: 1,
              reviewerId: 'r',
              role: 'x',
              kind: outcome === 'approved' ? 'approve' : 'reject',
              decidedAt: at(minutes),
              recordedAt: at(minutes),
            },
          ]
        : [],
    transitions: path.map(([from, to], i) => ({ from, to, at: at(i === 0 ? 0 : minutes) })) as ApprovalState['transitions'],
  };
}

describe('stats', () => {
  const fixture = [
    run('payment.refund', 'approved', 10, ['large-amount']),
    run('payment.refund', 'approved', 30),
    run('payment.refund', 'approved', 20, ['large-amount']),
    run('payment.refund', 'rejected', 5, ['large-amount']),
    run('email.send', 'auto', 0),
    run('email.send', 'auto', 0),
    run('email.send', 'approved', 4, ['external-recipient']),
    run('email.send', 'expired', 30, ['external-recipient']),
  ];

  it('computes the median time to approval per action type from human approvals only', () => {
    const stats = computeStats(fixture);
    const byType = Object.fromEntries(stats.byActionType.map((t) => [t.actionType, t]));
    expect(byType['payment.refund']?.medianTimeToApprovalMs).toBe(20 * 60_000);
    expect(byType['email.send']?.medianTimeToApprovalMs).toBe(4 * 60_000);
  });

  it('computes rejection rates by action type and by trigger', () => {
    const stats = computeStats(fixture);
    const byType = Object.fromEntries(stats.byActionType.map((t) => [t.actionType, t]));
    expect(byType['payment.refund']?.rejectionRate).toBe(1 / 4);
    expect(byType['email.send']?.rejectionRate).toBe(0);
    expect(stats.byTrigger).toEqual([
      { trigger: 'external-recipient', runs: 2, rejected: 0, rejectionRate: 0 },
      { trigger: 'large-amount', runs: 3, rejected: 1, rejectionRate: 1 / 3 },
    ]);
  });

  it('computes the share auto-approved per type and overall', () => {
    const stats = computeStats(fixture);
    expect(stats.byActionType.find((t) => t.actionType === 'email.send')?.autoApprovedShare).toBe(0.5);
    expect(stats.overall).toEqual({ runs: 8, autoApproved: 2, autoApprovedShare: 0.25 });
  });

  it('counts only approving decisions as human approvals, and defaults on expiry apart', () => {
    const t = (from: string, to: string, minutes: number, event?: string, note?: string) => ({
      from,
      to,
      at: new Date(Date.parse('2026-11-01T10:00:00Z') + minutes * 60_000).toISOString(),
      ...(event ? { event } : {}),
      ...(note ? { note } : {}),
    });
    const escalate = { nonce: 'e', round: 1, reviewerId: 'r', role: 'x', kind: 'escalate' as const, decidedAt: 'x', recordedAt: 'x' };
    const human = run('db.write', 'approved', 10);
    human.transitions = [
      t('evaluating', 'awaiting_approval', 0, 'round_opened'),
      t('awaiting_approval', 'approved', 10, 'decision_recorded'),
      t('approved', 'committing', 10, 'commit_started'),
      t('committing', 'verifying', 10, 'commit_recorded'),
      t('verifying', 'succeeded', 10, 'verified'),
    ] as ApprovalState['transitions'];
    // A reviewer escalated, nobody approved, the policy's approve on expiry let it through.
    const byDefault = { ...run('db.write', 'approved', 60), decisions: [escalate] };
    byDefault.transitions = [
      t('evaluating', 'awaiting_approval', 0, 'round_opened'),
      t('awaiting_approval', 'approved', 60, 'expired', 'expired without decision; policy default outcome: approve'),
      t('approved', 'succeeded', 60, 'verified'),
    ] as ApprovalState['transitions'];
    // The same, recorded before transitions named their event.
    const legacyDefault = { ...run('db.write', 'approved', 60), decisions: [escalate] };
    legacyDefault.transitions = [
      t('evaluating', 'awaiting_approval', 0),
      t('awaiting_approval', 'approved', 60, undefined, 'expired without decision; policy default outcome: approve'),
      t('approved', 'succeeded', 60),
    ] as ApprovalState['transitions'];
    const expired = run('db.write', 'expired', 60);
    expired.transitions = [
      t('evaluating', 'awaiting_approval', 0, 'round_opened'),
      t('awaiting_approval', 'expired', 60, 'expired'),
    ] as ApprovalState['transitions'];

    const [stats] = computeStats([human, byDefault, legacyDefault, expired]).byActionType;
    expect(stats).toMatchObject({
      runs: 4,
      approved: 1,
      rejected: 0,
      rejectionRate: 0,
      medianTimeToApprovalMs: 10 * 60_000,
      approvedOnExpiry: 2,
      expired: 1,
    });
  });

  it('takes the middle of an even count as the mean of the two middle values', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
