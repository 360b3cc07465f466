/**
 * The shipped policies ask for what the seed's decision matrix names per action type, the sample
 * proposals (the demo) carry it, a proposal without it is denied with the missing fields named,
 * and the evidence pack shows each item to the reviewer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { builtInActionTypes } from '../../../src/actions/registry';
import { ProposalSchema, type Proposal, type RequirableEvidence } from '../../../src/domain/proposal';
import { buildEvidencePack, EVIDENCE_CAPS } from '../../../src/evidence/pack';
import { evaluatePolicy } from '../../../src/policy/evaluate';
import { loadPolicyBook } from '../../../src/policy/load';
import { generateSamplingKeySpec, parseSamplingKey } from '../../../src/policy/sampling';

const ROOT = resolve(__dirname, '../../..');
const registry = builtInActionTypes();
const book = loadPolicyBook(join(ROOT, 'policies'), join(ROOT, 'policies/reviewers.yaml'), registry.names());
const samplingKey = parseSamplingKey(generateSamplingKeySpec('k1'));

/** The seed's "Evidence required" per action type, as evidence fields. */
const SEED_EVIDENCE: Record<string, RequirableEvidence[]> = {
  'email.send': ['preview', 'customerContext', 'sources', 'policyChecks'],
  'ticket.update': ['rationale', 'extractedFields'],
  'db.write': ['diff', 'preconditions', 'rollbackPlan'],
  'access.grant': ['requestSource', 'rationale', 'leastPrivilege'],
  'payment.refund': ['invoice', 'vendorValidation', 'policyChecks', 'reconciliation'],
  'code.deploy': ['diff', 'tests', 'riskScore', 'impactAnalysis'],
};

/** What the pack labels each field. */
const LABELS: Record<RequirableEvidence, string> = {
  rationale: 'Rationale',
  sources: 'Sources',
  attachments: 'Attached by reference',
  confidence: 'Confidence (agent’s own estimate)',
  preview: 'Preview',
  diff: 'Diff',
  preconditions: 'Preconditions',
  rollbackPlan: 'Rollback plan',
  riskNotes: 'Risk notes',
  customerContext: 'Customer context',
  policyChecks: 'Policy checks (agent’s own)',
  extractedFields: 'Extracted fields',
  requestSource: 'Request source',
  leastPrivilege: 'Least-privilege mapping',
  invoice: 'Invoice',
  vendorValidation: 'Vendor validation',
  reconciliation: 'Reconciliation',
  tests: 'Tests',
  riskScore: 'Risk score (agent’s own estimate)',
  impactAnalysis: 'Impact analysis',
};

const samples: Proposal[] = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => ProposalSchema.parse(JSON.parse(readFileSync(join(ROOT, 'examples', f), 'utf8'))));

function evaluate(proposal: Proposal) {
  const loaded = book.policies.get(proposal.actionType)!;
  return evaluatePolicy({
    proposal,
    workflowId: `${proposal.agent.id}:${proposal.id}`,
    policy: loaded.policy,
    policyVersion: loaded.version,
    directory: book.directory,
    paramsSchema: registry.get(proposal.actionType)?.paramsSchema,
    samplingKey,
  });
}

describe('seed evidence', () => {
  it.each(Object.entries(SEED_EVIDENCE))('the shipped %s policy requires the seed’s evidence', (actionType, fields) => {
    expect(book.policies.get(actionType)?.policy.evidenceRequired.slice().sort()).toEqual(fields.slice().sort());
  });

  it('has one sample proposal per seed type, and each passes its policy’s evidence check', () => {
    expect(samples.map((s) => s.actionType).sort()).toEqual(Object.keys(SEED_EVIDENCE).sort());
    for (const sample of samples) {
      const result = evaluate(sample);
      expect([sample.actionType, result.reason]).not.toEqual([sample.actionType, expect.stringContaining('evidence missing')]);
      expect(result.outcome).not.toBe('deny');
    }
  });

  it.each(samples.map((s) => [s.actionType, s] as const))('denies a %s proposal missing each required item, naming it', (_type, sample) => {
    for (const field of SEED_EVIDENCE[sample.actionType]!) {
      const { [field]: _dropped, ...rest } = sample.evidence;
      const result = evaluate({ ...sample, evidence: rest });
      expect(result.outcome).toBe('deny');
      expect(result.reason).toContain(`evidence missing: evidence.${field} (the ${sample.actionType} policy requires`);
    }
  });

  it('counts blank text and empty lists as missing', () => {
    const email = samples.find((s) => s.actionType === 'email.send')!;
    const result = evaluate({ ...email, evidence: { ...email.evidence, customerContext: '  ', sources: [], policyChecks: [] } });
    expect(result.reason).toMatch(/^evidence missing: evidence\.customerContext, evidence\.sources, evidence\.policyChecks /);
  });

  it.each(samples.map((s) => [s.actionType, s] as const))(
    'shows every required item of a %s proposal in the evidence pack',
    (_type, sample) => {
      const pack = buildEvidencePack({ proposal: sample, evaluation: evaluate(sample), paramsHash: 'h', round: 1 }, EVIDENCE_CAPS.page);
      const labels = pack.agentWritten.map((f) => f.label);
      for (const field of SEED_EVIDENCE[sample.actionType]!) expect(labels).toContain(LABELS[field]);
    },
  );

  it('marks flagged policy checks and shows the risk score as a figure', () => {
    const email = samples.find((s) => s.actionType === 'email.send')!;
    const pack = buildEvidencePack(
      {
        proposal: { ...email, evidence: { ...email.evidence, riskScore: 0.25 } },
        evaluation: evaluate(email),
        paramsHash: 'h',
        round: 1,
      },
      EVIDENCE_CAPS.mail,
    );
    const field = (label: string) => pack.agentWritten.find((f) => f.label === label)?.value;
    expect(field(LABELS.policyChecks)).toContain('FLAGGED: Recipient outside example.com — external customer address');
    expect(field(LABELS.policyChecks)).toContain('passed: No promise beyond the approved amount');
    expect(field(LABELS.riskScore)).toBe('25 / 100');
  });
});
