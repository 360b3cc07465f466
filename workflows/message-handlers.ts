/**
 * What the run does with each message it receives: check it (the validators and the signal handler
 * share the checks), then apply it through the reducer. Registered one line each in handlers.ts.
 */
import { condition, log } from '@temporalio/workflow';
import type { Revision, SignedDecision, Withdrawal } from '../src/domain/decision';
import type { MessageKeys } from '../src/domain/agent-auth';
import { DecisionRefusal, FailureType } from '../src/domain/errors';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import { FRESH_LINK_INTERVAL_MS } from '../src/domain/fresh-link';
import { NoticePurpose } from '../src/domain/notice';
import { contentSizeProblem } from '../src/domain/size-limits';
import { remainingSlots } from '../src/domain/standing';
import type { SignedBy } from '../src/domain/run-event';
import type { ApprovalState } from '../src/domain/state';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import { checkDecision, checkRevision, checkWithdraw } from './decision-check';
import type { DecisionAccepted } from './messages';
import { messageSchemas } from './message-schemas';
import { undecidedReviewers } from './notices';
import { refusal } from './refusal';
import type { Run } from './run-context';

const decisionRefused = (code: DecisionRefusal, message: string) => refusal(FailureType.decisionRefused, message, code);

/** Parses and checks a decision; throws the refusal the sender sees. */
export function acceptDecision(run: Run, raw: unknown, keys: TrustedKeys): SignedDecision {
  const parsed = messageSchemas().SignedDecisionSchema.safeParse(raw);
  if (!parsed.success) throw decisionRefused(DecisionRefusal.invalid, `malformed decision: ${parsed.error.issues[0]?.message ?? ''}`);
  const result = checkDecision(run.get(), parsed.data, keys, Date.now());
  if (!result.ok) throw decisionRefused(result.code, result.message);
  return parsed.data;
}

export async function applyDecision(run: Run, signed: SignedDecision, keys: () => TrustedKeys): Promise<DecisionAccepted> {
  const before = run.get();
  if (signed.payload.kind === 'approve_with_edits') {
    const evaluation = await evaluateVersion(run, signed.payload.editedParams ?? {}, (reason) =>
      decisionRefused(DecisionRefusal.invalid, `the edited version is refused: ${reason}`),
    );
    // Another decision may have settled the round while the policy was evaluated.
    acceptDecision(run, signed, keys());
    run.apply({ type: 'approved_with_edits', decision: signed.payload, signature: signed.signature, evaluation });
  } else {
    run.apply({ type: 'decision_recorded', decision: signed.payload, signature: signed.signature });
  }
  run.outbox.queueDecisionNotices(before, run.get(), signed);
  const state = run.get();
  return { status: state.status, round: state.round, remaining: remainingSlots(state) };
}

/** A signal cannot be refused to its sender: an invalid one is logged and never applied. */
export async function applyDecisionSignal(run: Run, raw: unknown, keys: () => TrustedKeys): Promise<void> {
  try {
    await applyDecision(run, acceptDecision(run, raw, keys()), keys);
  } catch (err) {
    log.warn('decision signal ignored', { reason: (err as Error).message, workflowId: run.workflowId });
  }
}

/** A withdrawal or revision that passed its checks, with who signed it (once that could be checked). */
export interface Accepted<T> {
  message: T;
  signedBy?: SignedBy | undefined;
}

export function acceptRevision(run: Run, raw: unknown, keys: MessageKeys | undefined): Accepted<Revision> {
  const parsed = messageSchemas().RevisionSchema.safeParse(raw);
  if (!parsed.success) throw refusal(FailureType.reviseRefused, `malformed revision: ${parsed.error.issues[0]?.message ?? ''}`);
  const result = checkRevision(run.get(), parsed.data, keys);
  if (!result.ok) throw refusal(FailureType.reviseRefused, result.message);
  const tooLarge = contentSizeProblem('the revision', parsed.data.params, run.get().proposal.evidence);
  if (tooLarge) throw refusal(FailureType.reviseRefused, tooLarge);
  return { message: parsed.data, signedBy: result.signedBy };
}

export async function applyRevision(run: Run, raw: Revision, keys: () => MessageKeys | undefined): Promise<ApprovalState['status']> {
  const { message: revision } = acceptRevision(run, raw, keys());
  const evaluation = await evaluateVersion(run, revision.params, (reason) =>
    refusal(FailureType.reviseRefused, `the revision is refused: ${reason}`),
  );
  // The run may have moved on (expired, withdrawn) while the policy was evaluated.
  const { signedBy } = acceptRevision(run, revision, keys());
  const { by, params, summary } = revision;
  return run.apply({
    type: 'revised',
    revision: { by, params, ...(summary ? { summary } : {}) },
    evaluation,
    ...(signedBy ? { signedBy } : {}),
  }).status;
}

export function acceptWithdrawal(run: Run, raw: unknown, keys: MessageKeys | undefined): Accepted<Withdrawal> {
  const parsed = messageSchemas().WithdrawalSchema.safeParse(raw);
  if (!parsed.success) throw refusal(FailureType.withdrawRefused, 'malformed withdrawal');
  const result = checkWithdraw(run.get(), parsed.data, keys);
  if (!result.ok) throw refusal(FailureType.withdrawRefused, result.message);
  return { message: parsed.data, signedBy: result.signedBy };
}

export async function applyWithdrawal(run: Run, raw: Withdrawal, keys: () => MessageKeys | undefined): Promise<ApprovalState['status']> {
  // A withdrawal sent while the proposal is being evaluated waits for the keys to check it with;
  // it is then checked in full, and refused (the run unchanged) if its signature does not hold.
  if (!keys()) await condition(() => keys() !== undefined);
  const { message, signedBy } = acceptWithdrawal(run, raw, keys());
  return run.apply({ type: 'withdrawn', by: message.by, reason: message.reason, ...(signedBy ? { signedBy } : {}) }).status;
}

/**
 * Mails a fresh link to a reviewer who asked for one, if they are still asked to decide in this
 * round, and not more often than FRESH_LINK_INTERVAL_MS. The address is the directory's, from the
 * policy evaluation: the request names a person, never where to write. Refusals are logged only
 * (a signal has no answer), so the page cannot tell who is a reviewer.
 */
export function applyFreshLinkRequest(run: Run, raw: unknown): void {
  const parsed = messageSchemas().FreshLinkRequestSchema.safeParse(raw);
  const ignore = (reason: string) => log.info('fresh link not sent', { reason, workflowId: run.workflowId });
  if (!parsed.success) return ignore('malformed request');
  const { reviewerId, role } = parsed.data;
  const state = run.get();
  if (state.status !== 'awaiting_approval') return ignore(`the run is ${state.status}`);
  const recipient = undecidedReviewers(state).find((r) => r.reviewer.id === reviewerId && r.role === role);
  if (!recipient) return ignore(`${reviewerId} (${role}) is not waited for in round ${state.round}`);
  const mine = (state.freshLinks ?? []).filter((f) => f.reviewerId === reviewerId);
  const last = mine[mine.length - 1];
  if (last && Date.now() - Date.parse(last.at) < FRESH_LINK_INTERVAL_MS)
    return ignore(`${reviewerId} got a fresh link less than ${FRESH_LINK_INTERVAL_MS / 60_000} minutes ago`);
  run.apply({ type: 'fresh_link_sent', reviewerId, role });
  log.info('fresh link requested', { workflowId: run.workflowId, reviewerId, role, round: state.round });
  run.outbox.push({ purpose: NoticePurpose.freshLink, recipients: [recipient], seq: mine.length });
}

/**
 * Re-validates a new params version and re-evaluates the policy on it. A version the policy
 * would deny (invalid params, missing evidence) is refused, and the run stays as it was.
 */
async function evaluateVersion(run: Run, params: Record<string, unknown>, refuse: (reason: string) => Error): Promise<PolicyEvaluation> {
  const proposal = { ...run.get().proposal, params };
  // The new version carries no proposal signature of its own: the run vouches for its agent.
  const previous = run.get().evaluation;
  const authenticated =
    previous?.requesterAssertedBy && previous.agentKeyId
      ? { agentId: previous.requesterAssertedBy, keyId: previous.agentKeyId }
      : undefined;
  const { evaluation } = await run.steps.evaluatePolicy({
    proposal,
    workflowId: run.workflowId,
    ...(authenticated ? { authenticated } : {}),
  });
  if (evaluation.outcome === 'deny') throw refuse(evaluation.reason);
  return evaluation;
}
