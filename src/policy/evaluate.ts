/**
 * Pure policy evaluation: given a proposal, its policy and the reviewer directory, decide whether
 * it runs, is denied, or needs which approvals. Runs inside an activity so the result and the
 * policy version are recorded in history, and replay never depends on today's policy files.
 */
import type { ZodType } from 'zod';
import type { SignatureVerifier } from '../domain/decision-signature';
import { paramsHash } from '../domain/canonical-hash';
import { authenticateProposal, inScope, type ProposalAuthentication, type RegisteredAgent } from '../domain/agent-auth';
import { EvaluationOutcome, type FiredTrigger, type PolicyEvaluation, type StepRequirement } from '../domain/evaluation';
import { workflowIdFor } from '../domain/ids';
import type { ApprovalStep, Policy, Reviewer, ReviewerDirectory } from '../domain/policy';
import { hasEvidence, type Proposal } from '../domain/proposal';
import { evaluatePredicate } from './predicate';
import { samplingDraw, type SamplingKey } from './sampling';

export interface EvaluationInput {
  proposal: Proposal;
  workflowId: string;
  policy: Policy | undefined;
  policyVersion: string;
  directory: ReviewerDirectory;
  paramsSchema: ZodType | undefined;
  /** The worker's secret for the sampled-mode draw (see ./sampling). */
  samplingKey: SamplingKey;
}

function eligibleFor(role: string, proposal: Proposal, directory: ReviewerDirectory): Reviewer[] {
  // Separation of duties: the principal and the agent never review their own action.
  const excluded = new Set([proposal.requestedBy.id, proposal.agent.id]);
  return directory.people.filter((p) => p.roles.includes(role) && !excluded.has(p.id));
}

/** Merge steps of the same role, keeping the highest count. */
function mergeSteps(steps: ApprovalStep[]): ApprovalStep[] {
  const byRole = new Map<string, number>();
  for (const s of steps) byRole.set(s.role, Math.max(byRole.get(s.role) ?? 0, s.count));
  return [...byRole].map(([role, count]) => ({ role, count }));
}

export interface ProposalEvaluationInput extends EvaluationInput {
  /** The registered agent the proposal names, if there is one. */
  agent: RegisteredAgent | undefined;
  /**
   * Set when a run whose proposal was authenticated evaluates a new version of its params (a
   * reviewer's edit, the agent's signed revision): that version carries no proposal signature of
   * its own, and the run already checked who sent it.
   */
  authenticated?: { agentId: string; keyId: string } | undefined;
  /** How the proposal's signature is checked; the pure-JS check when absent. */
  verify?: SignatureVerifier;
}

/**
 * The policy step of a run: the proposal must come from the registered agent it names, signed
 * with one of its keys, for an action type in its scope, and under the workflow id its agent and
 * id give (a signed proposal started under another id would be a second run of it). Only then is
 * the policy asked; otherwise the run is denied with the reason.
 */
export function evaluateProposal(input: ProposalEvaluationInput): PolicyEvaluation {
  const { proposal } = input;
  const deny = (reason: string): PolicyEvaluation => ({ ...baseEvaluation(input), outcome: EvaluationOutcome.deny, reason });
  if (!input.authenticated && input.workflowId !== workflowIdFor(proposal)) {
    return deny(`workflow id ${input.workflowId} is not this proposal's (${workflowIdFor(proposal)})`);
  }
  const auth = authenticated(input);
  if (!auth.ok) return deny(`agent not authenticated: ${auth.reason}`);
  return { ...evaluatePolicy(input), requesterAssertedBy: auth.agentId, agentKeyId: auth.keyId };
}

function authenticated(input: ProposalEvaluationInput): ProposalAuthentication {
  const { proposal, agent, authenticated: earlier } = input;
  if (!earlier || earlier.agentId !== proposal.agent.id) return authenticateProposal(proposal, agent, input.verify);
  // The agent may have been removed or narrowed since the run began: its new version is refused.
  if (!agent) return { ok: false, reason: `agent "${proposal.agent.id}" is not registered` };
  const scoped = inScope(proposal.actionType, agent);
  return scoped.ok ? { ok: true, agentId: earlier.agentId, keyId: earlier.keyId } : scoped;
}

function baseEvaluation(input: EvaluationInput) {
  const { proposal, policy, directory } = input;
  return {
    actionType: proposal.actionType,
    policyVersion: input.policyVersion,
    paramsHash: paramsHash(proposal.params),
    triggersFired: [] as FiredTrigger[],
    steps: [] as StepRequirement[],
    escalation: [] as PolicyEvaluation['escalation'],
    order: policy?.approvals.order ?? 'parallel',
    rejectionsToEnd: policy?.approvals.rejectionsToEnd ?? 1,
    operators: directory.people.filter((p) => p.roles.includes('operator')),
    sla: { expireAfterMs: 0 },
    onExpiry: 'deny' as const,
    redact: policy?.redact ?? [],
    risk: policy?.risk ?? 'critical',
    // Only written when they differ from mail-only, so evaluations of mail-only policies stay as they were.
    ...(policy?.channels && policy.channels.join() !== 'email' ? { channels: policy.channels } : {}),
    ...(policy?.slackButtons === false ? { slackButtons: false } : {}),
  };
}

/** The policy's answer alone; runs ask {@link evaluateProposal}, which authenticates the agent first. */
export function evaluatePolicy(input: EvaluationInput): PolicyEvaluation {
  const { proposal, policy, directory } = input;
  const base = baseEvaluation(input);
  const deny = (reason: string): PolicyEvaluation => ({ ...base, outcome: EvaluationOutcome.deny, reason });

  // Fail closed: an action type nobody wrote a policy for never runs.
  if (!policy) return deny(`no policy for action type "${proposal.actionType}"`);
  if (!input.paramsSchema) return deny(`unknown action type "${proposal.actionType}"`);
  const parsed = input.paramsSchema.safeParse(proposal.params);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `params.${i.path.join('.')}: ${i.message}`).join('; ');
    return deny(`params invalid: ${fields}`);
  }
  if (policy.mode === 'deny') return deny(policy.denyReason ?? `policy denies ${proposal.actionType}`);

  const missing = policy.evidenceRequired.filter((field) => !hasEvidence(proposal.evidence, field));
  if (missing.length > 0) {
    return deny(
      `evidence missing: ${missing.map((f) => `evidence.${f}`).join(', ')} ` +
        `(the ${proposal.actionType} policy requires ${policy.evidenceRequired.join(', ')})`,
    );
  }

  const fired = policy.triggers.filter((t) => evaluatePredicate(t.when, proposal));
  const triggersFired = fired.map(({ id, description }) => ({ id, description }));
  const sampling =
    policy.mode === 'sampled'
      ? (() => {
          const draw = samplingDraw(input.workflowId, input.samplingKey);
          return { rate: policy.sampleRate!, draw, picked: draw < policy.sampleRate!, keyId: input.samplingKey.id };
        })()
      : undefined;

  const needsReview = policy.mode === 'supervised' || fired.length > 0 || (sampling !== undefined && sampling.picked);

  const evaluated = { ...base, triggersFired, sampling };
  if (!needsReview) {
    const reason =
      policy.mode === 'sampled'
        ? `sampled out (draw ${sampling!.draw.toFixed(4)} ≥ rate ${sampling!.rate})`
        : `${policy.mode}: no trigger fired`;
    return { ...evaluated, outcome: EvaluationOutcome.autoApprove, reason };
  }

  const steps = mergeSteps([...policy.approvals.steps, ...fired.flatMap((t) => t.addSteps)]).map((step) => ({
    ...step,
    eligible: eligibleFor(step.role, proposal, directory),
  }));
  const short = steps.find((s) => s.eligible.length < s.count);
  if (short) {
    // Keep what fired and who was asked for, so the audit shows why nobody could approve.
    return {
      ...evaluated,
      outcome: EvaluationOutcome.deny,
      reason: `not enough eligible reviewers for role "${short.role}" (${short.eligible.length} of ${short.count})`,
      steps,
    };
  }
  const reasons = [
    policy.mode === 'supervised' ? 'supervised action type' : undefined,
    sampling?.picked ? `sampled for review (draw ${sampling.draw.toFixed(4)} < rate ${sampling.rate})` : undefined,
    ...fired.map((t) => `trigger ${t.id}: ${t.description}`),
  ].filter((r): r is string => r !== undefined);

  return {
    ...evaluated,
    outcome: EvaluationOutcome.review,
    reason: reasons.join('; '),
    steps,
    escalation: policy.escalation.map((role) => ({ role, eligible: eligibleFor(role, proposal, directory) })),
    sla: {
      remindAfterMs: policy.sla.remindAfter,
      ...(policy.sla.remindEvery !== undefined ? { remindEveryMs: policy.sla.remindEvery } : {}),
      escalateAfterMs: policy.sla.escalateAfter,
      expireAfterMs: policy.sla.expireAfter,
      ...(policy.sla.linkTtl !== undefined ? { linkTtlMs: policy.sla.linkTtl } : {}),
    },
    onExpiry: policy.onExpiry,
  };
}
