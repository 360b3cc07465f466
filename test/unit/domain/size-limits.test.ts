import { paramsHash } from '../../../src/domain/canonical-hash';
import { canonicalBytes, CONTENT_LIMIT_BYTES, contentSizeProblem, RESULT_LIMIT_BYTES } from '../../../src/domain/size-limits';
import type { ApprovalState } from '../../../src/domain/state';
import { boundedResult } from '../../../workflows/run-result';

const blob = (bytes: number) => 'x'.repeat(bytes);

function stateWith(params: Record<string, unknown>, edits: number): ApprovalState {
  const proposal = {
    id: 'p1',
    actionType: 'test.single',
    params,
    agent: { id: 'agent', name: 'Agent' },
    requestedBy: { id: 'paul' },
    summary: 'Big',
    evidence: { confidence: 0.5, preview: blob(40_000) },
  };
  const signed = {
    payload: {
      nonce: 'n',
      workflowId: 'w',
      round: 1,
      reviewer: { id: 'a', role: 'r' },
      kind: 'approve_with_edits' as const,
      paramsHash: 'h',
      decidedAt: 't',
      editedParams: params,
    },
    signature: { keyId: 'k', sig: 's' },
  };
  return {
    workflowId: 'test.single:p1',
    proposal,
    status: 'succeeded',
    round: edits + 1,
    paramsHash: paramsHash(params),
    escalationLevel: 0,
    delegates: [],
    originalParams: params,
    decisions: Array.from({ length: edits }, (_, i) => ({
      nonce: `n${i}`,
      round: i + 1,
      reviewerId: 'a',
      role: 'r',
      kind: 'approve_with_edits' as const,
      decidedAt: 't',
      recordedAt: 't',
      signed: signed as never,
    })),
    transitions: [{ at: 't', from: 'proposed', to: 'evaluating', event: 'evaluation_started' }],
  };
}

describe('size limits', () => {
  it('counts canonical JSON in UTF-8 bytes', () => {
    expect(canonicalBytes({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
    expect(canonicalBytes({ a: '😀' })).toBe('{"a":""}'.length + 4);
  });

  it('names the limit for a version over it and passes one under it', () => {
    expect(contentSizeProblem('the proposal', { b: blob(CONTENT_LIMIT_BYTES) }, {})).toMatch(
      /^the proposal's params and evidence are 513 KB of canonical JSON; the limit is 512 KB \(pass large evidence by reference: evidence\.attachments with a URL and its SHA-256\)$/,
    );
    expect(contentSizeProblem('the proposal', { b: blob(CONTENT_LIMIT_BYTES - 100) }, {})).toBeUndefined();
    // Evidence counts with the params.
    expect(contentSizeProblem('the revision', { b: blob(300_000) }, { preview: blob(300_000) })).toContain('the limit is 512 KB');
  });

  it('returns the whole state when it fits and a compact one under the cap when it does not', () => {
    const small = stateWith({ b: blob(1_000) }, 2);
    expect(boundedResult(small)).toBe(small);

    const big = stateWith({ b: blob(450_000) }, 3);
    expect(canonicalBytes(big)).toBeGreaterThan(2 * 1024 * 1024);
    const compact = boundedResult(big);
    expect(canonicalBytes(compact)).toBeLessThanOrEqual(RESULT_LIMIT_BYTES);
    expect(compact.compacted).toBe(true);
    expect(compact.paramsHash).toBe(big.paramsHash);
    expect(compact.originalParams).toBeUndefined();
    expect(String(compact.proposal.params['omitted'])).toContain(big.paramsHash);
    expect(compact.decisions.map((d) => d.kind)).toEqual(['approve_with_edits', 'approve_with_edits', 'approve_with_edits']);
    expect(compact.status).toBe('succeeded');
  });
});
