/**
 * Evidence by reference: a large log or dump travels as its address and SHA-256, never as bytes,
 * and reviewers see it as the agent's untrusted text (no link, nothing fetched).
 */
import { ProposalSchema, type ProposalInput } from '../../../src/domain/proposal';
import { buildEvidencePack, EVIDENCE_CAPS } from '../../../src/evidence/pack';

const HASH = 'a'.repeat(64);

function proposal(evidence: Record<string, unknown>): ProposalInput {
  return {
    id: 'p-1',
    actionType: 'db.write',
    params: { table: 'orders' },
    agent: { id: 'agent-7', name: 'Agent 7' },
    requestedBy: { id: 'req-1' },
    summary: 'write a row',
    evidence,
  };
}

describe('evidence attachments', () => {
  it('shows each attachment as text with its hash and size, marked as not fetched', () => {
    const parsed = ProposalSchema.parse(
      proposal({
        attachments: [
          {
            title: 'Nightly job log\u200b',
            url: 'https://logs.example.com/run/41.txt',
            sha256: HASH,
            bytes: 48_000_000,
            mediaType: 'text/plain',
          },
        ],
      }),
    );
    const pack = buildEvidencePack({ proposal: parsed, paramsHash: 'h', round: 1 }, EVIDENCE_CAPS.mail);
    const field = pack.agentWritten.find((f) => f.label === 'Attached by reference');
    expect(field?.value).toBe(
      `- Nightly job log — https://logs.example.com/run/41.txt (SHA-256 ${HASH}, 48000000 bytes, text/plain)\n` +
        'Not fetched by Gatehouse: compare the SHA-256 of what you download.',
    );
  });

  it.each([
    ['a script address', { title: 'x', url: 'javascript:alert(1)', sha256: HASH }, 'evidence.attachments.0.url'],
    ['a file address', { title: 'x', url: 'file:///etc/passwd', sha256: HASH }, 'evidence.attachments.0.url'],
    ['a hash that is not SHA-256 hex', { title: 'x', url: 'https://e.example/a', sha256: 'abc' }, 'evidence.attachments.0.sha256'],
    ['no hash', { title: 'x', url: 'https://e.example/a' }, 'evidence.attachments.0.sha256'],
  ])('refuses %s, naming the field', (_what, attachment, path) => {
    const result = ProposalSchema.safeParse(proposal({ attachments: [attachment] }));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('keeps a proposal with a large attachment small', () => {
    const parsed = ProposalSchema.parse(
      proposal({ attachments: [{ title: 'core dump', url: 'https://e.example/dump', sha256: HASH, bytes: 3_000_000_000 }] }),
    );
    expect(JSON.stringify(parsed).length).toBeLessThan(1_000);
  });
});
