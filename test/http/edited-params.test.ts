/**
 * Approving with edits when the policy redacts fields, without a server: what the editor shows,
 * how the reviewer's JSON is merged over the redacted fields, and what is refused.
 */
import { paramsHash } from '../../src/domain/canonical-hash';
import type { PolicyEvaluation } from '../../src/domain/evaluation';
import type { Reviewer } from '../../src/domain/policy';
import { delegateCandidates } from '../../src/domain/standing';
import type { ApprovalState } from '../../src/domain/state';
import { parseDecisionForm, parseDecisionJson } from '../../src/http/decision-input';
import { editorJson, MAX_EDIT_BYTES, mergeEdit, paramsEditor, parseEditorText } from '../../src/http/edited-params';
import { BadRequestError } from '../../src/http/errors';
import { diffParams } from '../../src/evidence/params-diff';
import { apply, initialState } from '../../workflows/approval-state';

const NOW = '2026-01-01T00:00:00.000Z';
const CARD = '4111111111111111';
const person = (id: string, ...roles: string[]): Reviewer => ({
  id,
  name: `${id[0]!.toUpperCase()}${id.slice(1)} Person`,
  email: `${id}@x.example`,
  roles,
});

function runState(
  params: Record<string, unknown>,
  redact: string[] = ['params.body.card'],
  steps?: PolicyEvaluation['steps'],
): ApprovalState {
  let state = initialState('test.edits:p1', {
    id: 'p1',
    actionType: 'test.edits',
    params,
    agent: { id: 'agent', name: 'Agent' },
    requestedBy: { id: 'paul' },
    summary: 'Refund',
    evidence: {},
  });
  const evaluation: PolicyEvaluation = {
    actionType: 'test.edits',
    policyVersion: 'v1',
    outcome: 'review',
    reason: 'supervised',
    risk: 'medium',
    paramsHash: state.paramsHash,
    triggersFired: [],
    steps: steps ?? [
      { role: 'approver', count: 1, eligible: [person('alice', 'approver'), person('bob', 'approver'), person('carol', 'approver')] },
    ],
    order: 'parallel',
    rejectionsToEnd: 1,
    escalation: [],
    operators: [],
    sla: { expireAfterMs: 1000 },
    onExpiry: 'deny',
    redact,
  };
  state = apply(apply(state, { type: 'evaluation_started', at: NOW }), { type: 'evaluated', at: NOW, evaluation });
  return apply(state, { type: 'round_opened', at: NOW, deadline: '2026-01-02T00:00:00.000Z' });
}

const base = () => ({ method: 'POST', url: 'https://target.example/refunds', body: { amount: 42, card: CARD, note: 'refund' } });

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).code).toBe('invalid_edit');
    return (err as BadRequestError).detail ?? '';
  }
  throw new Error('expected a refusal');
}

describe('params editor', () => {
  it('leaves redacted fields out and names them', () => {
    const editor = paramsEditor(runState(base()));
    expect(editor).toEqual({
      offered: true,
      params: { method: 'POST', url: 'https://target.example/refunds', body: { amount: 42, note: 'refund' } },
      redactedFields: ['params.body.card'],
    });
    expect(JSON.stringify(editor)).not.toContain(CARD);
  });

  it('masks a redacted value the agent repeated in another field', () => {
    const editor = paramsEditor(runState({ ...base(), memo: `charge on card ${CARD}` }));
    expect(editor.offered && editor.params['memo']).toBe('charge on card [redacted]');
  });

  it('shows invisible characters as escapes that parse back to the same value', () => {
    const params = { note: 'pay\u202eevil\u200b' };
    const json = editorJson(params);
    expect(json).toContain('\\u202e');
    expect(json).toContain('\\u200b');
    expect(json).not.toMatch(/[\u202e\u200b]/);
    expect(JSON.parse(json)).toEqual(params);
  });

  it('is not offered when a redacted field sits inside a list, or the params are too large', () => {
    const inList = paramsEditor(runState({ items: [{ card: CARD }] }, ['params.items.0.card']));
    expect(inList).toEqual({ offered: false, reason: expect.stringContaining('inside a list') });
    expect(refusal(() => mergeEdit(runState({ items: [{ card: CARD }] }, ['params.items.0.card']), { items: [] }))).toContain(
      'inside a list',
    );
    const big = paramsEditor(runState({ blob: 'x'.repeat(MAX_EDIT_BYTES) }, []));
    expect(big).toEqual({ offered: false, reason: expect.stringContaining('64 kB') });
  });
});

describe('merging an edit', () => {
  it('applies the reviewer’s version and puts the redacted field back at its value', () => {
    const state = runState(base());
    const merged = mergeEdit(state, { method: 'POST', url: 'https://target.example/refunds', body: { amount: 5000, note: 'corrected' } });
    expect(merged).toEqual({
      method: 'POST',
      url: 'https://target.example/refunds',
      body: { amount: 5000, card: CARD, note: 'corrected' },
    });
  });

  it('removes fields the reviewer deleted', () => {
    const merged = mergeEdit(runState(base()), { method: 'POST', url: 'https://target.example/refunds', body: { amount: 42 } });
    expect(merged['body']).toEqual({ amount: 42, card: CARD });
  });

  it('refuses any value at a redacted path, present or not', () => {
    const state = runState(base());
    expect(refusal(() => mergeEdit(state, { ...base(), body: { amount: 1, card: '5500000000000004' } }))).toContain(
      'params.body.card is redacted',
    );
    expect(refusal(() => mergeEdit(runState({ method: 'POST' }), { method: 'POST', body: { card: '1' } }))).toContain(
      'params.body.card is redacted',
    );
  });

  it('refuses an edit that removes the object a redacted field lives in', () => {
    const { body: _body, ...withoutBody } = base();
    expect(refusal(() => mergeEdit(runState(base()), withoutBody))).toContain('params.body holds the redacted field params.body.card');
    expect(refusal(() => mergeEdit(runState(base()), { ...withoutBody, body: 'none' }))).toContain('must stay an object');
  });

  it('refuses the redaction marker written anywhere, but keeps an untouched masked string', () => {
    const state = runState({ ...base(), memo: `charge on card ${CARD}` });
    const shown = paramsEditor(state);
    if (!shown.offered) throw new Error('editor not offered');
    const untouched = mergeEdit(state, { ...shown.params, body: { amount: 7, note: 'refund' } });
    expect(untouched['memo']).toBe(`charge on card ${CARD}`);
    expect(untouched['body']).toEqual({ amount: 7, note: 'refund', card: CARD });
    expect(refusal(() => mergeEdit(state, { ...shown.params, memo: 'charge on card [redacted] twice' }))).toContain(
      'params.memo contains "[redacted]"',
    );
    expect(refusal(() => mergeEdit(state, { ...shown.params, extra: ['[redacted]'] }))).toContain('params.extra.0 contains');
  });

  it('refuses a version that changes nothing', () => {
    const state = runState(base());
    const { card: _card, ...body } = base().body;
    expect(refusal(() => mergeEdit(state, { ...base(), body }))).toContain('same as the current one');
  });

  it('keeps a __proto__ key as data and pollutes nothing', () => {
    const edited = parseEditorText(
      '{"method":"POST","url":"https://target.example/refunds","body":{"amount":1,"note":"x"},"__proto__":{"polluted":true}}',
    );
    const merged = mergeEdit(runState(base()), edited);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toContain('__proto__');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(paramsHash(merged)).toMatch(/^sha256:/);
  });
});

describe('the editor’s text', () => {
  it('must be a JSON object of at most 64 kB and limited depth', () => {
    // The position where V8 gives one; never the text.
    expect(refusal(() => parseEditorText('{\n  "a": 1'))).toBe('editedParams: not valid JSON (line 2, column 9)');
    expect(refusal(() => parseEditorText('{"amount": 12,\n  "x": }'))).toMatch(/^editedParams: not valid JSON/);
    expect(refusal(() => parseEditorText('[1, 2]'))).toContain('must be a JSON object');
    expect(refusal(() => parseEditorText('"text"'))).toContain('must be a JSON object');
    expect(refusal(() => parseEditorText(JSON.stringify({ blob: 'x'.repeat(MAX_EDIT_BYTES) })))).toContain('at most 64 kB');
    expect(refusal(() => parseEditorText(`{"a":${'['.repeat(40)}${']'.repeat(40)}}`))).toContain('nested more than');
    expect(refusal(() => parseEditorText(`{"a":${'['.repeat(40_000)}${']'.repeat(40_000)}}`))).toMatch(/nested more than|64 kB/);
  });

  it('never echoes the text sent in the refusal', () => {
    expect(refusal(() => parseEditorText('{"secret-value-123": nope}'))).not.toContain('secret-value-123');
  });
});

describe('decision input', () => {
  const paramsHash = `sha256:${'a'.repeat(64)}`;

  it('takes approve_with_edits and delegate from the form and the API', () => {
    expect(
      parseDecisionForm({ kind: 'approve_with_edits', paramsHash, csrf: 'c', editedParams: '{"amount": 5}', comment: ' ok ' }),
    ).toEqual({
      kind: 'approve_with_edits',
      paramsHash,
      editedParams: { amount: 5 },
      comment: 'ok',
    });
    expect(parseDecisionJson({ kind: 'delegate', paramsHash, delegateTo: 'bob' })).toEqual({
      kind: 'delegate',
      paramsHash,
      delegateTo: 'bob',
    });
    expect(parseDecisionJson({ kind: 'approve_with_edits', paramsHash, editedParams: { amount: 5 } })).toMatchObject({
      editedParams: { amount: 5 },
    });
  });

  it('refuses an edit sent with a plain approve, and the fields a kind needs when missing', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return `${(err as BadRequestError).code}: ${(err as BadRequestError).detail}`;
      }
      return 'accepted';
    };
    expect(bad(() => parseDecisionForm({ kind: 'approve', paramsHash, csrf: 'c', editedParams: '{"amount": 5}' }))).toContain(
      'only with approve_with_edits',
    );
    expect(bad(() => parseDecisionForm({ kind: 'approve_with_edits', paramsHash, csrf: 'c', editedParams: '  ' }))).toContain(
      'needs the edited version',
    );
    expect(bad(() => parseDecisionForm({ kind: 'delegate', paramsHash, csrf: 'c', delegateTo: '' }))).toContain(
      'choose whom to delegate to',
    );
    expect(bad(() => parseDecisionJson({ kind: 'delegate', paramsHash, delegateTo: 'not an id!' }))).toMatch(/^bad_form: delegateTo/);
    expect(bad(() => parseDecisionJson({ kind: 'approve_with_edits', paramsHash, editedParams: [1] }))).toBe(
      'bad_form: editedParams: must be a JSON object holding every parameter',
    );
    expect(
      bad(() => parseDecisionJson({ kind: 'approve_with_edits', paramsHash, editedParams: { blob: 'x'.repeat(MAX_EDIT_BYTES) } })),
    ).toContain('invalid_edit: editedParams: an edited version may be at most 64 kB');
  });
});

describe('params diff', () => {
  it('lists changed leaves, and a changed redacted field without its value', () => {
    const before = { url: 'https://a.example', body: { amount: 42, card: CARD, note: 'x' } };
    const after = { url: 'https://a.example', body: { amount: 5000, card: '5500000000000004' }, headers: { 'x-card': 'y' } };
    const { differences, truncated } = diffParams(before, after, [['body', 'card']]);
    expect(truncated).toBe(false);
    expect(differences).toEqual([
      { path: ['body', 'amount'], before: 42, after: 5000, redacted: false },
      { path: ['body', 'card'], before: '[redacted]', after: '[redacted]', redacted: true },
      { path: ['body', 'note'], before: 'x', after: undefined, redacted: false },
      { path: ['headers'], before: undefined, after: { 'x-card': 'y' }, redacted: false },
    ]);
  });

  it('masks redacted fields inside an object that was added or removed whole', () => {
    const { differences } = diffParams({}, { body: { amount: 1, card: CARD } }, [['body', 'card']]);
    expect(differences).toEqual([{ path: ['body'], before: undefined, after: { amount: 1, card: '[redacted]' }, redacted: false }]);
  });
});

describe('delegate candidates', () => {
  it('offers the others of the reviewer’s role who have not decided, once each', () => {
    const steps = [
      {
        role: 'approver',
        count: 2,
        eligible: [person('alice', 'approver'), person('bob', 'approver'), person('carol', 'approver'), person('paul', 'approver')],
      },
      { role: 'manager', count: 1, eligible: [person('dave', 'manager')] },
    ];
    const state = runState(base(), [], steps);
    const decided: ApprovalState = {
      ...state,
      decisions: [
        {
          nonce: 'n1',
          round: 1,
          reviewerId: 'carol',
          role: 'approver',
          kind: 'approve',
          decidedAt: NOW,
          recordedAt: NOW,
          filledRole: 'approver',
        },
      ],
    };
    expect(delegateCandidates(decided, { id: 'alice', role: 'approver' }).map((r) => r.id)).toEqual(['bob']);
    expect(delegateCandidates(decided, { id: 'dave', role: 'manager' })).toEqual([]);
  });
});
