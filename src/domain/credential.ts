/** The credential an agent (or an operator) attaches to what it signs; checked in agent-auth.ts. */
import { z } from 'zod';

export const CredentialSchema = z.object({
  /** Which of the signer's registered keys signed (several are registered during a rotation). */
  keyId: z.string().min(1).max(64),
  /** Hex of the 64-byte Ed25519 signature. */
  value: z.string().regex(/^[0-9a-f]{128}$/, 'must be 128 lower-case hex characters'),
});
export type Credential = z.infer<typeof CredentialSchema>;
