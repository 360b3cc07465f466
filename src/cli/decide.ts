/**
 * `gatehouse decide <workflowId> --as <id> --role <role> --approve|--reject|--escalate|--delegate-to <id>`.
 * An operator decides as themself only: the decision is signed with the operator's own key
 * (GATEHOUSE_OPERATOR_KEY), which the worker has registered to one person, and the workflow
 * refuses it for anyone else or for a role the directory does not give that person.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DecisionRefusedError } from '../client';
import { submitDecision } from '../client/submit-decision';
import type { DecisionKind } from '../domain/decision';
import { createDecisionSigner, parseDecisionSigningKey } from '../links/decision-signer';
import { CliError, ExitCode, type CliContext } from './context';
import { loadState } from './show';

const USAGE =
  'usage: gatehouse decide <workflowId> --as <reviewerId> --role <role> (--approve | --reject | --escalate | --delegate-to <id>) [--comment "…"]';

export async function decideCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      as: { type: 'string' },
      role: { type: 'string' },
      approve: { type: 'boolean' },
      reject: { type: 'boolean' },
      escalate: { type: 'boolean' },
      'delegate-to': { type: 'string' },
      comment: { type: 'string' },
    },
  });
  const workflowId = positionals[0];
  const kinds: DecisionKind[] = [];
  if (values.approve) kinds.push('approve');
  if (values.reject) kinds.push('reject');
  if (values.escalate) kinds.push('escalate');
  if (values['delegate-to']) kinds.push('delegate');
  if (!workflowId || !values.as || !values.role || kinds.length !== 1) throw new CliError(USAGE, ExitCode.usage);
  if (!ctx.config.GATEHOUSE_OPERATOR_KEY) {
    throw new CliError(
      'GATEHOUSE_OPERATOR_KEY is not set: an operator decides with their own key (gatehouse keys prints one)',
      ExitCode.usage,
    );
  }
  let signer;
  try {
    signer = createDecisionSigner(parseDecisionSigningKey(ctx.config.GATEHOUSE_OPERATOR_KEY, 'operator key'));
  } catch (err) {
    throw new CliError(`GATEHOUSE_OPERATOR_KEY: ${(err as Error).message}`, ExitCode.usage);
  }
  const state = await loadState(ctx, workflowId);
  let signed;
  try {
    signed = signer.sign({
      channel: 'operator',
      nonce: randomUUID(),
      workflowId,
      round: state.round,
      reviewer: { id: values.as, role: values.role },
      kind: kinds[0]!,
      paramsHash: state.paramsHash,
      decidedAt: new Date().toISOString(),
      ...(values.comment ? { comment: values.comment } : {}),
      ...(values['delegate-to'] ? { delegateTo: values['delegate-to'] } : {}),
    });
  } catch (err) {
    throw new CliError(`invalid decision: ${(err as Error).message}`, ExitCode.usage);
  }
  const { client } = await ctx.connect();
  try {
    const delivery = await submitDecision(client, signed);
    ctx.out(
      delivery.applied ? `${workflowId}: ${delivery.result.status}` : `${workflowId}: recorded; it will be applied when a worker runs`,
    );
  } catch (err) {
    if (err instanceof DecisionRefusedError) throw new CliError(`refused (${err.code}): ${err.message}`, ExitCode.refused);
    throw err;
  }
}
