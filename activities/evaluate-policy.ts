/** Activity: authenticate the proposal's agent and evaluate the policy loaded at worker start. */
import type { ActionTypeRegistry } from '../src/actions/registry';
import type { AgentRegistry, OperatorPublicKeys } from '../src/domain/agent-auth';
import type { DecisionPublicKeys } from '../src/domain/decision-signature';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import type { Proposal } from '../src/domain/proposal';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import { nativeCheckSignature } from '../src/links/native-verify';
import { evaluateProposal } from '../src/policy/evaluate';
import type { PolicyBook } from '../src/policy/load';
import type { SamplingKey } from '../src/policy/sampling';

export interface EvaluatePolicyInput {
  proposal: Proposal;
  workflowId: string;
  /**
   * Set by the workflow when it evaluates a new version of an authenticated run's params (an edit
   * or a revision); see ProposalEvaluationInput.
   */
  authenticated?: { agentId: string; keyId: string } | undefined;
}

export interface EvaluatedProposal {
  evaluation: PolicyEvaluation;
  /**
   * Decision-service keys this worker trusts. They come from the worker's configuration, never
   * from the caller: an agent must not be able to choose who signs its approvals.
   */
  decisionKeys: DecisionPublicKeys;
  /**
   * Public keys of the proposing agent, from the registry (empty when it is not registered): its
   * withdrawals and revisions must verify against one of them.
   */
  agentKeys?: DecisionPublicKeys;
  /** The worker's link-grant keys (absent in runs recorded before grants existed). */
  grantKeys?: DecisionPublicKeys;
  /** Operators' own keys: they decide, withdraw and revise as themselves. */
  operatorKeys?: OperatorPublicKeys;
  /**
   * Set by workers that append audit entries as a run goes (a decision that leaves the round
   * waiting gets its own append). Recorded with the evaluation, so runs evaluated before it replay
   * without those appends, and no version marker is added to every run's history.
   */
  auditAsItHappens?: true;
  /**
   * Set by workers that commit an auto-approved run within the workflow task that approved it (a
   * local step; see commitAndVerify). Recorded with the evaluation, like auditAsItHappens, so runs
   * evaluated before it replay with the commit they recorded as a regular activity.
   */
  commitInTask?: true;
  /**
   * Set by every worker of a release that commits auto-approved runs inside their first workflow
   * task, whether or not this one does: a run whose first task was retried then treats an earlier
   * attempt as one that may have committed (see workflows/first-task.ts).
   */
  firstTaskChecked?: true;
}

export interface EvaluatePolicyDeps {
  policyBook: PolicyBook;
  actionTypes: ActionTypeRegistry;
  keys: TrustedKeys;
  agents: AgentRegistry;
  samplingKey: SamplingKey;
  /** This worker commits auto-approved runs inside their workflow tasks (see EvaluatedProposal.commitInTask). */
  commitInTask: boolean;
}

/** The policy loaded at worker start, applied to one proposal (also by the commit, for its own check). */
export function evaluateWithPolicyBook(
  deps: Omit<EvaluatePolicyDeps, 'keys' | 'commitInTask'>,
  input: EvaluatePolicyInput,
): PolicyEvaluation {
  const loaded = deps.policyBook.policies.get(input.proposal.actionType);
  return evaluateProposal({
    proposal: input.proposal,
    workflowId: input.workflowId,
    policy: loaded?.policy,
    policyVersion: loaded?.version ?? 'none',
    directory: deps.policyBook.directory,
    paramsSchema: deps.actionTypes.get(input.proposal.actionType)?.paramsSchema,
    samplingKey: deps.samplingKey,
    agent: deps.agents.get(input.proposal.agent.id),
    authenticated: input.authenticated,
    verify: nativeCheckSignature,
  });
}

export function createEvaluatePolicy(deps: EvaluatePolicyDeps) {
  const { keys, agents } = deps;
  return async function evaluatePolicy(input: EvaluatePolicyInput): Promise<EvaluatedProposal> {
    const evaluation = evaluateWithPolicyBook(deps, input);
    const agentKeys = agents.get(input.proposal.agent.id)?.keys ?? {};
    return {
      evaluation,
      decisionKeys: keys.decision,
      agentKeys,
      grantKeys: keys.grants,
      operatorKeys: keys.operators,
      auditAsItHappens: true,
      ...(deps.commitInTask ? { commitInTask: true as const } : {}),
      firstTaskChecked: true,
    };
  };
}
