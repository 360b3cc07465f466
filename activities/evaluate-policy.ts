/** Activity: authenticate the proposal's agent and evaluate the policy loaded at worker start. */
import type { ActionTypeRegistry } from '../src/actions/registry';
import type { AgentRegistry, OperatorPublicKeys } from '../src/domain/agent-auth';
import type { DecisionPublicKeys } from '../src/domain/decision-signature';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import type { Proposal } from '../src/domain/proposal';
import { evaluateProposal } from '../src/policy/evaluate';
import type { PolicyBook } from '../src/policy/load';

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
  agentKeys: DecisionPublicKeys;
  /** Operators' public keys: an operator may withdraw or revise any run, as themself. */
  operatorKeys: OperatorPublicKeys;
}

export interface EvaluatePolicyDeps {
  policyBook: PolicyBook;
  actionTypes: ActionTypeRegistry;
  decisionKeys: DecisionPublicKeys;
  agents: AgentRegistry;
  operatorKeys?: OperatorPublicKeys | undefined;
}

export function createEvaluatePolicy(deps: EvaluatePolicyDeps) {
  const { policyBook, actionTypes, decisionKeys, agents } = deps;
  const operatorKeys = deps.operatorKeys ?? {};
  return async function evaluatePolicy(input: EvaluatePolicyInput): Promise<EvaluatedProposal> {
    const loaded = policyBook.policies.get(input.proposal.actionType);
    const agent = agents.get(input.proposal.agent.id);
    const evaluation = evaluateProposal({
      proposal: input.proposal,
      workflowId: input.workflowId,
      policy: loaded?.policy,
      policyVersion: loaded?.version ?? 'none',
      directory: policyBook.directory,
      paramsSchema: actionTypes.get(input.proposal.actionType)?.paramsSchema,
      agent,
      authenticated: input.authenticated,
    });
    return { evaluation, decisionKeys, agentKeys: agent?.keys ?? {}, operatorKeys };
  };
}
