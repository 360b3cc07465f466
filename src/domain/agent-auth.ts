/**
 * Agent authentication, pure JS (no zod, no node:crypto) so the policy step and the workflow's
 * message handlers run the same checks. The proposal's `agent` is only a claim until its
 * credential verifies against a key registered for the agent it names; a withdrawal or revision
 * is only a claim until it verifies against the proposing agent's key or an operator's own key.
 *
 * Each kind of signed thing has its own prefix, and messages name the run they are for, so a
 * signature made for one proposal, one run or one kind of message never verifies as another.
 */
import { utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-hash';
import type { Credential } from './credential';
import { checkSignature, type DecisionPublicKeys, type SignatureVerifier } from './decision-signature';
import type { Proposal } from './proposal';

/** The messages that change a run on the agent's side, each signed for one run. */
export const SignedMessageKind = { withdraw: 'withdraw', revise: 'revise' } as const;
export type SignedMessageKind = (typeof SignedMessageKind)[keyof typeof SignedMessageKind];

/** Bytes of a proposal signature: the proposal as sent, without its credential. */
export function proposalSigningBytes(proposal: object): Uint8Array {
  return utf8ToBytes(`gatehouse-proposal-v1\n${canonicalJson(withoutCredential(proposal))}`);
}

/** Bytes of a withdrawal or revision signature: bound to the run and to the kind of message. */
export function messageSigningBytes(workflowId: string, kind: SignedMessageKind, message: object): Uint8Array {
  return utf8ToBytes(`gatehouse-message-v1\n${workflowId}\n${kind}\n${canonicalJson(withoutCredential(message))}`);
}

function withoutCredential(value: object): object {
  const { credential: _credential, ...body } = value as { credential?: unknown };
  return body;
}

/** One registered agent, its keys decoded into the map the signature check takes. */
export interface RegisteredAgent {
  id: string;
  name: string;
  /** Key id → public key hex. */
  keys: DecisionPublicKeys;
  /** Action types the agent may propose. */
  scope: readonly string[];
}

/** Registered agents by id. */
export type AgentRegistry = ReadonlyMap<string, RegisteredAgent>;

/** Operator keys: key id → the operator who holds it and its public key hex. */
export type OperatorPublicKeys = Readonly<Record<string, { owner: string; publicKeyHex: string }>>;

export type ProposalAuthentication = { ok: true; agentId: string; keyId: string } | { ok: false; reason: string };

/**
 * Is the proposal signed by the registered agent it names, with an action type in its scope?
 * `verify` is the pure-JS check unless the caller runs outside the workflow sandbox and has a
 * faster one (the policy step runs in the worker, where Node's own Ed25519 is ~10× quicker).
 */
export function authenticateProposal(
  proposal: Proposal,
  agent: RegisteredAgent | undefined,
  verify: SignatureVerifier = checkSignature,
): ProposalAuthentication {
  if (!agent) return { ok: false, reason: `agent "${proposal.agent.id}" is not registered` };
  if (!proposal.credential) return { ok: false, reason: `proposal is not signed by agent "${agent.id}"` };
  const signature = verify('proposal', proposal.credential, proposalSigningBytes(proposal), agent.keys);
  if (!signature.ok) return { ok: false, reason: `${signature.reason} (agent "${agent.id}")` };
  // Checked after the signature, so only the agent itself learns what its scope is.
  const scoped = inScope(proposal.actionType, agent);
  if (!scoped.ok) return scoped;
  return { ok: true, agentId: agent.id, keyId: proposal.credential.keyId };
}

export function inScope(actionType: string, agent: RegisteredAgent): { ok: true } | { ok: false; reason: string } {
  return agent.scope.includes(actionType)
    ? { ok: true }
    : {
        ok: false,
        reason: `agent "${agent.id}" may not propose ${actionType}: it is outside the agent's scope (${agent.scope.join(', ')})`,
      };
}

/** The keys that may sign a run's withdrawals and revisions, known once its proposal was checked. */
export interface MessageKeys {
  /** The proposing agent's public keys. */
  agent: DecisionPublicKeys;
  operators: OperatorPublicKeys;
}

/** A withdrawal or revision as signed: who it is from, its credential, and its other fields. */
export type SignedMessage = { by: string; credential?: Credential | undefined } & Record<string, unknown>;

/** Who signed a withdrawal or revision: the proposing agent, or an operator as themself. */
export const MessageSigner = { agent: 'agent', operator: 'operator' } as const;
export type MessageSigner = (typeof MessageSigner)[keyof typeof MessageSigner];

export type MessageAuthentication = { ok: true; signer: MessageSigner; keyId: string } | { ok: false; reason: string };

/**
 * A withdrawal or revision is accepted only from the proposing agent's key (`by` is the agent) or
 * from an operator's own key (`by` is that operator): nobody signs in someone else's name.
 */
export function authenticateMessage(
  message: SignedMessage,
  context: { workflowId: string; kind: SignedMessageKind; agentId: string; keys: MessageKeys },
): MessageAuthentication {
  const { credential } = message;
  if (!credential) return { ok: false, reason: `the ${context.kind} is not signed by the proposing agent or an operator` };
  const bytes = messageSigningBytes(context.workflowId, context.kind, message);
  if (message.by === context.agentId) {
    const check = checkSignature(context.kind, credential, bytes, context.keys.agent);
    return check.ok
      ? { ok: true, signer: MessageSigner.agent, keyId: credential.keyId }
      : { ok: false, reason: `${check.reason} (agent ${message.by})` };
  }
  // fromEntries defines own properties, so even a key id like "__proto__" stays a plain entry.
  const own = Object.fromEntries(
    Object.entries(context.keys.operators)
      .filter(([, key]) => key.owner === message.by)
      .map(([keyId, key]) => [keyId, key.publicKeyHex]),
  );
  if (Object.keys(own).length === 0) {
    return { ok: false, reason: `${message.by} is neither the proposing agent nor an operator with a registered key` };
  }
  const check = checkSignature(context.kind, credential, bytes, own);
  return check.ok
    ? { ok: true, signer: MessageSigner.operator, keyId: credential.keyId }
    : { ok: false, reason: `${check.reason} (operator ${message.by})` };
}
