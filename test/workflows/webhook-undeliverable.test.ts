/** The reducer's `webhook_undeliverable`: noted on the run as an event, the outcome unchanged. */
import { apply, initialState } from '../../workflows/approval-state';

const AT = '2026-01-01T00:00:00.000Z';

describe('webhook_undeliverable', () => {
  it('appends a transition naming the event and the reason, and changes no status', () => {
    const start = initialState('agent:p1', {
      id: 'p1',
      actionType: 'test.auto',
      params: {},
      agent: { id: 'agent', name: 'Agent' },
      requestedBy: { id: 'paul' },
      summary: 'Refund',
      evidence: {},
    });
    const after = apply(start, { type: 'webhook_undeliverable', at: AT, reason: 'the webhook receiver answered 410' });
    expect(after.status).toBe(start.status);
    expect(after.transitions).toEqual([
      ...start.transitions,
      {
        at: AT,
        from: start.status,
        to: start.status,
        event: 'webhook_undeliverable',
        note: 'outcome webhook not delivered: the webhook receiver answered 410',
      },
    ]);
    // Pure: the state it was given is left as it was.
    expect(start.transitions).toHaveLength(after.transitions.length - 1);
  });
});
