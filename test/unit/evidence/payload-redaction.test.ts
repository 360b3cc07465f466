import type { Payload } from '@temporalio/common';
import { redactDecodedPayloads } from '../../../src/evidence/payload-redaction';

const CARD = '4111111111111111';
const json = (value: unknown): Payload => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(JSON.stringify(value)),
});
const text = (payload: Payload): string => new TextDecoder().decode(payload.data);
const redactions = new Map([['payment.refund', ['params.card', 'evidence.preview']]]);

describe('payloads decoded for the Web UI', () => {
  it('masks redacted fields in every params version and their values in every string of the answer', () => {
    const input = json({
      proposal: {
        actionType: 'payment.refund',
        params: { card: CARD, amount: 5 },
        summary: `refund to 4111 1111\u200b1111 1111`,
        evidence: { preview: 'secret preview text' },
      },
    });
    const state = json({
      decisions: [{ comment: `the card ${CARD.replace(/1/g, 'l')} is fine`, editedParams: { card: CARD, amount: 4 } }],
    });
    const [a, b] = redactDecodedPayloads([input, state], redactions);
    for (const out of [text(a!), text(b!)]) {
      expect(out).not.toContain(CARD);
      expect(out).not.toContain('4111 1111');
    }
    expect(JSON.parse(text(a!))).toMatchObject({
      proposal: { params: { card: '[redacted]', amount: 5 }, summary: 'refund to [redacted]', evidence: { preview: '[redacted]' } },
    });
    expect(JSON.parse(text(b!))).toMatchObject({
      decisions: [{ comment: 'the card [redacted] is fine', editedParams: { card: '[redacted]', amount: 4 } }],
    });
  });

  it('takes redactions named in a state it decodes, and leaves other payloads as they are', () => {
    const state = json({
      evaluation: { redact: ['params.token'] },
      proposal: { params: { token: 'tok_abcdef123' }, summary: 'uses tok_abcdef123' },
    });
    const binary: Payload = { metadata: { encoding: new TextEncoder().encode('binary/plain') }, data: new Uint8Array([1, 2, 3]) };
    const [masked, same] = redactDecodedPayloads([state, binary], new Map());
    expect(text(masked!)).not.toContain('tok_abcdef123');
    expect(same).toBe(binary);
  });
});
