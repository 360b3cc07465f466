/** Validation at the agent's boundary: the proposal schema and the action type's params schema. */
import type { ActionTypeRegistry } from '../actions/registry';
import { ProposalSchema, type Proposal, type ProposalInput } from '../domain/proposal';
import { contentSizeProblem } from '../domain/size-limits';
import { ProposalValidationError, type FieldProblem } from './errors';

export function validateProposal(input: ProposalInput, actionTypes: ActionTypeRegistry): Proposal {
  const problems: FieldProblem[] = [];
  // First, and alone: a proposal too large to start would also be slow to check field by field.
  const tooLarge = input && typeof input === 'object' ? contentSizeProblem('the proposal', input.params, input.evidence) : undefined;
  if (tooLarge) throw new ProposalValidationError([{ path: 'params', message: tooLarge }]);
  const parsed = ProposalSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ path: issue.path.join('.') || '(proposal)', message: issue.message });
  }
  const actionType = typeof input?.actionType === 'string' ? actionTypes.get(input.actionType) : undefined;
  if (input && typeof input.actionType === 'string' && !actionType && !problems.some((p) => p.path === 'actionType')) {
    problems.push({ path: 'actionType', message: `unknown action type "${input.actionType}"` });
  }
  if (actionType && input.params && typeof input.params === 'object') {
    const params = actionType.paramsSchema.safeParse(input.params);
    if (!params.success) {
      for (const issue of params.error.issues) problems.push({ path: ['params', ...issue.path].join('.'), message: issue.message });
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ProposalValidationError(problems);
  return parsed.data;
}
