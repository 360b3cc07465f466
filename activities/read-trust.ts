/**
 * Activity: the keys this worker trusts now, for an open run that was asked to adopt them
 * (`gatehouse keys refresh` after a key was added, switched or revoked). Read from the same
 * configuration as the policy step, never from the caller: whoever sends the signal only makes
 * the run read its own worker's keys again.
 */
import type { AgentRegistry, MessageKeys } from '../src/domain/agent-auth';
import type { TrustedKeys } from '../src/domain/trusted-keys';

export interface ReadTrustInput {
  /** The run's proposing agent: its registered keys sign the run's withdrawals and revisions. */
  agentId: string;
}

export interface CurrentTrust {
  trustedKeys: TrustedKeys;
  messageKeys: MessageKeys;
}

export interface ReadTrustDeps {
  keys: TrustedKeys;
  agents: AgentRegistry;
}

export function createReadTrust({ keys, agents }: ReadTrustDeps) {
  return async function readTrust(input: ReadTrustInput): Promise<CurrentTrust> {
    // The same sets evaluatePolicy hands a new run (see EvaluatedProposal).
    return {
      trustedKeys: keys,
      messageKeys: { agent: agents.get(input.agentId)?.keys ?? {}, operators: keys.operators },
    };
  };
}
