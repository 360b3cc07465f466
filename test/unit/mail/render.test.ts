import type { PolicyEvaluation } from '../../../src/domain/evaluation';
import type { Proposal } from '../../../src/domain/proposal';
import { NotificationRenderError, renderNotification, type NotificationView } from '../../../src/mail/render';

const DECISION_URL = 'https://gatehouse.example.com/d/v1.k1.payload.mac';
const CARD = '4111111111111111';

function proposal(overrides: Partial<Proposal> = {}, evidence: Proposal['evidence'] = {}): Proposal {
  return {
    id: 'p-1',
    actionType: 'payment.refund',
    params: { amount: 120, currency: 'EUR', cardNumber: CARD, customerId: 'c-42' },
    agent: { id: 'support-bot', name: 'Support bot' },
    requestedBy: { id: 'bob', name: 'Bob' },
    summary: 'Refund order 123',
    evidence: {
      rationale: 'The parcel never arrived.',
      sources: [{ title: 'Carrier tracking', url: 'https://tracking.example.net/123' }],
      confidence: 0.82,
      preview: 'Refund EUR 120 to the card on file',
      rollbackPlan: 'Charge again',
      riskNotes: 'Customer has 2 earlier refunds',
      ...evidence,
    },
    ...overrides,
  };
}

const evaluation: PolicyEvaluation = {
  actionType: 'payment.refund',
  policyVersion: 'payment.refund@abc',
  outcome: 'review',
  reason: 'supervised: every refund is reviewed',
  risk: 'high',
  paramsHash: `sha256:${'c'.repeat(64)}`,
  triggersFired: [{ id: 'large-amount', description: 'Amount above EUR 100' }],
  steps: [{ role: 'finance', count: 1, eligible: [] }],
  order: 'parallel',
  rejectionsToEnd: 1,
  escalation: [],
  operators: [],
  sla: { expireAfterMs: 3_600_000 },
  onExpiry: 'deny',
  redact: ['params.cardNumber'],
};

function view(overrides: Partial<NotificationView> = {}): NotificationView {
  return {
    purpose: 'review_requested',
    recipientName: 'Alice',
    proposal: proposal(),
    evaluation,
    paramsHash: evaluation.paramsHash,
    round: 1,
    deadline: '2030-01-01T13:00:00.000Z',
    decisionUrl: DECISION_URL,
    ...overrides,
  };
}

const tags = (html: string, name: string) => html.match(new RegExp(`<${name}[\\s>]`, 'gi')) ?? [];

describe('renderNotification', () => {
  it('shows the evidence pack in both parts, summary first', () => {
    const { text, html } = renderNotification(view());
    for (const part of [text, html]) {
      for (const expected of [
        'Refund order 123',
        'payment.refund',
        'high',
        'large-amount',
        'Amount above EUR 100',
        'supervised: every refund is reviewed',
        'customerId',
        'The parcel never arrived.',
        'Carrier tracking',
        'https://tracking.example.net/123',
        '82 %',
        'Refund EUR 120 to the card on file',
        'Charge again',
        'Customer has 2 earlier refunds',
        '2030-01-01 13:00 UTC',
        evaluation.paramsHash,
        'Review and decide',
        'decides nothing',
      ]) {
        expect(part).toContain(expected);
      }
      expect(part.indexOf('Refund order 123')).toBeLessThan(part.indexOf('payment.refund'));
    }
  });

  it('escapes HTML the agent put in summary, rationale and params', () => {
    const script = '<script>alert(1)</script>';
    const img = '"><img src=x onerror=alert(1)>';
    const { html, text } = renderNotification(
      view({
        proposal: proposal(
          { summary: `Refund ${script}`, params: { note: img, [`<b>key</b>`]: script } },
          { rationale: `${img}${script}`, preview: '<iframe src="https://evil.example">' },
        ),
      }),
    );
    expect(tags(html, 'script')).toHaveLength(0);
    expect(tags(html, 'img')).toHaveLength(0);
    expect(tags(html, 'iframe')).toHaveLength(0);
    expect(tags(html, 'b')).toHaveLength(0);
    expect(html).not.toMatch(/onerror=alert\(1\)>/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(text).toContain(script);
  });

  it('links only the decision URL, and shows source URLs as text', () => {
    const { html } = renderNotification(view());
    const anchors = [...html.matchAll(/<a\s[^>]*href="([^"]*)"/g)].map((m) => m[1]);
    expect(anchors).toEqual([DECISION_URL]);
    expect(html).not.toMatch(/href="https:\/\/tracking/);
    expect(html).not.toMatch(/<script|\son\w+=/i);
  });

  it('strips bidi controls and zero-width characters from agent text', () => {
    const invisible = '\u202E\u200B\u2066\uFEFF\u200F';
    const { subject, text, html } = renderNotification(
      view({
        proposal: proposal({ summary: `Refund${invisible} order` }, { rationale: `Safe ${invisible}change`, preview: `a\u202Eb` }),
      }),
    );
    for (const part of [subject, text, html]) {
      expect(part).not.toMatch(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/);
    }
    expect(subject).toContain('Refund order');
    expect(text).toContain('Safe change');
  });

  it('masks redacted params everywhere, including where the agent repeats the value', () => {
    const { subject, text, html } = renderNotification(
      view({
        proposal: proposal(
          { summary: `Refund to ${CARD.slice(0, 4)}\u200B${CARD.slice(4)}` },
          { preview: `Card ${CARD} gets EUR 120`, rationale: `Card ends ${CARD.slice(-4)}` },
        ),
      }),
    );
    for (const part of [subject, text, html]) {
      expect(part).not.toContain(CARD);
    }
    expect(text).toMatch(/cardNumber: \[redacted\]/);
    expect(html).toContain('[redacted]');
    expect(text).toContain('Card ends 1111');
  });

  it('masks short and nested redacted params the text scrubber would not catch', () => {
    const { text, html } = renderNotification(
      view({
        proposal: proposal({ params: { pin: '123', bank: { iban: 'DE89370400440532013000' }, amount: 5 } }),
        evaluation: { ...evaluation, redact: ['params.pin', 'params.bank'] },
      }),
    );
    expect(text).toContain('pin: [redacted]');
    expect(text).toContain('bank: [redacted]');
    expect(html).not.toContain('DE89370400440532013000');
    expect(text).toContain('amount: 5');
  });

  it('shows a param in clear when the policy does not redact it', () => {
    const { text } = renderNotification(view({ evaluation: { ...evaluation, redact: [] } }));
    expect(text).toContain(CARD);
  });

  it('keeps the subject on one line even if the summary carries CR/LF', () => {
    const { subject } = renderNotification(view({ proposal: proposal({ summary: 'Refund\r\nBcc: victim@example.com\nX-Evil: 1' }) }));
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toBe('[Gatehouse] Approval needed: Refund Bcc: victim@example.com X-Evil: 1');
  });

  it('removes control characters from the subject', () => {
    const { subject } = renderNotification(view({ proposal: proposal({ summary: 'Refund\u0000 \u001b[2Jnow\u0085ok' }) }));
    expect(subject).toBe('[Gatehouse] Approval needed: Refund [2Jnow ok');
  });

  it('prefixes the subject by purpose', () => {
    const subjectFor = (v: Partial<NotificationView>) => renderNotification(view(v)).subject;
    expect(subjectFor({ purpose: 'reminder' })).toBe('[Gatehouse] Reminder: Refund order 123');
    expect(subjectFor({ purpose: 'escalated' })).toBe('[Gatehouse] Escalated: Refund order 123');
    expect(subjectFor({ purpose: 'delegated' })).toBe('[Gatehouse] Delegated to you: Refund order 123');
    expect(subjectFor({ purpose: 'needs_attention' })).toBe('[Gatehouse] Needs attention: Refund order 123');
    expect(subjectFor({ purpose: 'outcome', outcome: { status: 'rejected\r\n', reason: 'too large' } })).toBe(
      '[Gatehouse] Outcome: rejected — Refund order 123',
    );
  });

  it('includes the decision URL as a link in HTML and as text', () => {
    const { text, html } = renderNotification(view());
    expect(text).toContain(`Review and decide:\n${DECISION_URL}`);
    expect(html).toMatch(new RegExp(`<a href="${DECISION_URL.replace(/\./g, '\\.')}"[^>]*>Review and decide</a>`));
  });

  it('leaves the link out when there is no decision URL', () => {
    const { text, html } = renderNotification(view({ purpose: 'outcome', decisionUrl: undefined, outcome: { status: 'approved' } }));
    expect(tags(html, 'a')).toHaveLength(0);
    expect(text).not.toContain('Review and decide');
  });

  it('refuses a decision URL that is not http(s)', () => {
    expect(() => renderNotification(view({ decisionUrl: 'javascript:alert(1)' }))).toThrow(NotificationRenderError);
    expect(() => renderNotification(view({ decisionUrl: '/d/relative' }))).toThrow(NotificationRenderError);
  });

  it('labels agent text as untrusted and quotes every line of it in the text part', () => {
    const { text, html } = renderNotification(view({ proposal: proposal({}, { rationale: 'fine\n== End of agent text ==\nRisk: low' }) }));
    expect(html).toContain('Written by the agent — untrusted');
    expect(text).toContain('== Written by the agent — untrusted ==');
    expect(text).toContain('  | fine\n  | == End of agent text ==\n  | Risk: low');
  });

  it('caps long agent text', () => {
    const { text, html } = renderNotification(view({ proposal: proposal({}, { rationale: 'y'.repeat(10_000) }) }));
    expect(text).not.toContain('y'.repeat(2_001));
    expect(html).not.toContain('y'.repeat(2_001));
    expect(text).toContain('[cut]');
  });

  it('renders without an evaluation', () => {
    const { text } = renderNotification(view({ evaluation: undefined }));
    expect(text).toContain('Risk: not evaluated');
  });
});
