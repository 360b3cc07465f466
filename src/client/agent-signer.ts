/**
 * The agent's Ed25519 signer (Node side): signs proposals, withdrawals and revisions with the
 * agent's private key, which never leaves the agent's process. What each signature covers is
 * defined once, in src/domain/agent-auth.ts, where the worker and the workflow check it.
 */
import { createPrivateKey, sign as signNative, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import { messageSigningBytes, proposalSigningBytes, type SignedMessageKind } from '../domain/agent-auth';
import type { Credential } from '../domain/credential';
import type { Proposal } from '../domain/proposal';

/**
 * Thrown when the client has no usable signing key: none was given, or it is not `kid:hex` with
 * a key id of A-Z a-z 0-9 _ - and 64 hex characters. The key itself never appears in the message.
 */
export class AgentKeyError extends Error {
  override readonly name = 'AgentKeyError';
}

export interface AgentSigner {
  readonly keyId: string;
  /** The public half, to list under the agent's `keys` in the agent registry. */
  readonly publicKeyHex: string;
  /** The proposal with its credential: a signature over everything else in it. */
  signProposal(proposal: Proposal): Proposal;
  /** A credential for a withdrawal or revision of one run. */
  signMessage(workflowId: string, kind: SignedMessageKind, message: object): Credential;
}

const KEY_SPEC = /^([A-Za-z0-9_-]{1,64}):([0-9a-fA-F]{64})$/;

/**
 * A signer from `kid:private-key-hex` (what `gatehouse keys` prints as GATEHOUSE_AGENT_KEY).
 *
 * @throws {@link AgentKeyError} when the spec is malformed.
 */
export function createAgentSigner(spec: string): AgentSigner {
  const match = KEY_SPEC.exec(spec.trim());
  if (!match) throw new AgentKeyError('agent key: expected "kid:hex" (key id of A-Z a-z 0-9 _ -, then 64 hex characters)');
  const keyId = match[1]!;
  const seed = hexToBytes(match[2]!.toLowerCase());
  const publicKey = ed25519.getPublicKey(seed);
  const privateKey: KeyObject = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  const sign = (bytes: Uint8Array): Credential => ({ keyId, value: signNative(null, bytes, privateKey).toString('hex') });
  return {
    keyId,
    publicKeyHex: bytesToHex(publicKey),
    signProposal(proposal) {
      const { credential: _old, ...body } = proposal;
      return { ...body, credential: sign(proposalSigningBytes(body)) };
    },
    signMessage(workflowId, kind, message) {
      return sign(messageSigningBytes(workflowId, kind, message));
    },
  };
}
