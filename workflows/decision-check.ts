/**
 * The checks every message that changes a run passes before it is applied. The update validators
 * and the signal handler call the same functions, so a decision refused as an update is ignored as
 * a signal. Who may decide what is answered by the shared standing rule (src/domain/standing.ts).
 */
import { authenticateMessage, SignedMessageKind, type MessageKeys } from '../src/domain/agent-auth';
import { checkCredential } from '../src/domain/credential';
import type { Revision, SignedDecision, Withdrawal } from '../src/domain/decision';
import { DecisionRefusal } from '../src/domain/errors';
import { contentSizeProblem } from '../src/domain/size-limits';
import type { SignedBy } from '../src/domain/run-event';
import { standingOf } from '../src/domain/standing';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import type { TrustedKeys } from '../src/domain/trusted-keys';

export type Check = { ok: true } | { ok: false; message: string };
export type DecisionCheck = { ok: true } | { ok: false; code: DecisionRefusal; message: string };

const refuse = (code: DecisionRefusal, message: string): DecisionCheck => ({ ok: false, code, message });

/**
 * The one gate every decision passes, whether it came as an update or as a signal. `nowMs` is the
 * workflow's time, against which a link's expiry is checked.
 */
export function checkDecision(state: ApprovalState, signed: SignedDecision, keys: TrustedKeys, nowMs: number): DecisionCheck {
  const credential = checkCredential(signed, keys, nowMs);
  if (!credential.ok) return refuse(DecisionRefusal.badSignature, credential.reason);
  const d = signed.payload;
  if (d.workflowId !== state.workflowId) return refuse(DecisionRefusal.wrongWorkflow, 'decision is for another workflow');
  if (state.decisions.some((r) => r.nonce === d.nonce)) return refuse(DecisionRefusal.duplicate, 'decision already recorded');
  const standing = standingOf(state, { ...d.reviewer, round: d.round });
  if (!standing.ok) return standing;
  if (d.paramsHash !== state.paramsHash)
    return refuse(DecisionRefusal.paramsChanged, 'the decision was made on another version of the params');
  if (d.kind === 'approve_with_edits') {
    const tooLarge = contentSizeProblem('the edited version', d.editedParams ?? {}, state.proposal.evidence);
    if (tooLarge) return refuse(DecisionRefusal.invalid, tooLarge);
  }
  const allowed = d.kind === 'delegate' ? standing.delegateTo.some((r) => r.id === d.delegateTo) : standing.may[d.kind];
  if (allowed) return { ok: true };
  switch (d.kind) {
    case 'approve':
    case 'approve_with_edits':
      return refuse(DecisionRefusal.slotFilled, `the ${d.reviewer.role} approvals are already complete`);
    case 'escalate':
      return refuse(DecisionRefusal.invalid, 'the escalation chain is exhausted');
    case 'delegate':
      return refuse(DecisionRefusal.invalid, `cannot delegate to ${d.delegateTo ?? 'nobody'}`);
    case 'reject':
    case 'request_changes':
      return refuse(DecisionRefusal.invalid, `${d.kind} is not possible now`);
    default: {
      const unreachable: never = d.kind;
      return refuse(DecisionRefusal.invalid, `unknown decision ${String(unreachable)}`);
    }
  }
}

export type MessageCheck = { ok: true; signedBy?: SignedBy } | { ok: false; message: string };

/**
 * Withdrawal is possible until the commit starts (after that the side effect may exist), and only
 * signed by the proposing agent or by an operator as themself. `keys` are undefined while the
 * proposal is still being evaluated: then only the status is checked here, and the handler checks
 * the signature once the keys are known.
 */
export function checkWithdraw(state: ApprovalState, withdrawal: Withdrawal, keys: MessageKeys | undefined): MessageCheck {
  const open: ApprovalState['status'][] = [Status.proposed, Status.evaluating, Status.awaitingApproval, Status.changesRequested];
  if (!open.includes(state.status)) return { ok: false, message: `cannot withdraw: the run is ${state.status}` };
  if (!keys) return { ok: true };
  return signedBy(state, withdrawal, SignedMessageKind.withdraw, keys);
}

/** Only the proposing agent or an operator may revise, signed, and only after a reviewer asked for changes. */
export function checkRevision(state: ApprovalState, revision: Revision, keys: MessageKeys | undefined): MessageCheck {
  if (state.status !== Status.changesRequested) return { ok: false, message: `no changes were requested: the run is ${state.status}` };
  if (!keys) return { ok: false, message: 'the run has no keys to check the revision against' };
  return signedBy(state, revision, SignedMessageKind.revise, keys);
}

function signedBy(state: ApprovalState, message: Withdrawal | Revision, kind: SignedMessageKind, keys: MessageKeys): MessageCheck {
  const auth = authenticateMessage(message, { workflowId: state.workflowId, kind, agentId: state.proposal.agent.id, keys });
  if (!auth.ok) return { ok: false, message: `${message.by} may not ${kind} this proposal: ${auth.reason}` };
  return { ok: true, signedBy: { signer: auth.signer, keyId: auth.keyId } };
}
