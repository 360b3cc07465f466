/** Activity: evaluate the proposal against the policy loaded at worker start. */
import type { ActionTypeRegistry } from '../src/actions/registry';
import type { DecisionPublicKeys } from '../src/domain/decision-signature';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import type { Proposal } from '../src/domain/proposal';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import { evaluatePolicy as evaluate } from '../src/policy/evaluate';
import type { PolicyBook } from '../src/policy/load';
import type { SamplingKey } from '../src/policy/sampling';

export interface EvaluatePolicyInput {
  proposal: Proposal;
  workflowId: string;
}

export interface EvaluatedProposal {
  evaluation: PolicyEvaluation;
  /**
   * Decision-service keys this worker trusts. They come from the worker's configuration, never
   * from the caller: an agent must not be able to choose who signs its approvals.
   */
  decisionKeys: DecisionPublicKeys;
  /** The worker's link-grant keys (absent in runs recorded before grants existed). */
  grantKeys?: DecisionPublicKeys;
  /** Operators' own keys, by key id. */
  operatorKeys?: TrustedKeys['operators'];
}

/** The policy loaded at worker start, applied to one proposal (also by the commit, for its own check). */
export function evaluateWithPolicyBook(policyBook: PolicyBook, actionTypes: ActionTypeRegistry, samplingKey: SamplingKey, input: EvaluatePolicyInput): PolicyEvaluation {
  const loaded = policyBook.policies.get(input.proposal.actionType);
  return evaluate({
    proposal: input.proposal,
    workflowId: input.workflowId,
    policy: loaded?.policy,
    policyVersion: loaded?.version ?? 'none',
    directory: policyBook.directory,
    paramsSchema: actionTypes.get(input.proposal.actionType)?.paramsSchema,
    samplingKey,
  });
}

export function createEvaluatePolicy(policyBook: PolicyBook, actionTypes: ActionTypeRegistry, keys: TrustedKeys, samplingKey: SamplingKey) {
  return async function evaluatePolicy(input: EvaluatePolicyInput): Promise<EvaluatedProposal> {
    const evaluation = evaluateWithPolicyBook(policyBook, actionTypes, samplingKey, input);
    return { evaluation, decisionKeys: keys.decision, grantKeys: keys.grants, operatorKeys: keys.operators };
  };
}
