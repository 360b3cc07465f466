/** A well-formed approval payload for unit tests of signing and checking; a test overrides what it is about. */
import type { DecisionPayload } from '../../src/domain/decision';

export function decisionPayload(overrides: Partial<DecisionPayload> = {}): DecisionPayload {
  return {
    channel: 'operator',
    nonce: 'n-0123456789',
    workflowId: 'payment.refund:p-1',
    round: 1,
    reviewer: { id: 'alice', role: 'finance' },
    kind: 'approve',
    paramsHash: `sha256:${'a'.repeat(64)}`,
    decidedAt: '2030-01-01T12:00:00.000Z',
    ...overrides,
  };
}
