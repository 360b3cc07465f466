/**
 * Loads the agent registry (GATEHOUSE_AGENTS_FILE): each agent that may propose, the Ed25519
 * public keys it signs with and the action types it may propose. Validated at worker start with
 * every problem listed, like the policy files: a worker on a half-read registry would let the
 * wrong agent through or deny the right one.
 */
import { z } from 'zod';
import type { AgentRegistry, RegisteredAgent } from '../domain/agent-auth';
import { SubjectIdSchema } from '../domain/subject';
import { DecisionKeyError, parseDecisionPublicKeys } from '../links/decision-signer';
import { parseFile, PolicyLoadError } from './load';

export const AgentEntrySchema = z.object({
  id: SubjectIdSchema,
  name: z.string().min(1).max(200),
  /** `kid:hex` public keys; more than one while a key is rotated. */
  keys: z.array(z.string()).min(1, 'an agent needs at least one key'),
  /** Action types the agent may propose; anything else is denied. */
  scope: z.array(z.string().min(1)).min(1, 'an agent needs at least one action type in scope'),
});
export type AgentEntry = z.infer<typeof AgentEntrySchema>;

export const AgentRegistryFileSchema = z.object({ agents: z.array(AgentEntrySchema) });
export type AgentRegistryFile = z.infer<typeof AgentRegistryFileSchema>;

/** The file's outline; each entry is then checked on its own so one bad agent hides no other problem. */
const RegistryOutlineSchema = z.object({ agents: z.array(z.unknown()) });

/**
 * Reads and checks the registry: each entry's fields, then every key (syntax, a valid and not
 * small-order Ed25519 point, no key id twice for one agent), every scope entry (a registered
 * action type) and no agent id twice.
 *
 * @throws {@link PolicyLoadError} naming the file and listing every problem.
 */
export function loadAgentRegistry(file: string, knownActionTypes: ReadonlySet<string>): AgentRegistry {
  const problems: string[] = [];
  const entries: AgentEntry[] = [];
  parseFile(file, RegistryOutlineSchema).value.agents.forEach((raw, index) => {
    const parsed = AgentEntrySchema.safeParse(raw);
    if (parsed.success) entries.push(parsed.data);
    else problems.push(...parsed.error.issues.map((i) => `${['agents', index, ...i.path].join('.')}: ${i.message}`));
  });
  try {
    const registry = agentRegistryFrom({ agents: entries }, knownActionTypes, file);
    if (problems.length === 0) return registry;
  } catch (err) {
    if (!(err instanceof PolicyLoadError)) throw err;
    problems.push(...err.problems);
  }
  throw new PolicyLoadError(file, problems);
}

/** The registry from parsed entries (tools and tests build one in memory). */
export function agentRegistryFrom(parsed: AgentRegistryFile, knownActionTypes: ReadonlySet<string>, file = '(agents)'): AgentRegistry {
  const problems: string[] = [];
  const agents = new Map<string, RegisteredAgent>();
  for (const entry of parsed.agents) {
    const at = `agent "${entry.id}"`;
    if (agents.has(entry.id)) problems.push(`${at}: is listed twice`);
    let keys: RegisteredAgent['keys'] = {};
    try {
      keys = parseDecisionPublicKeys(entry.keys.join(','));
    } catch (err) {
      if (!(err instanceof DecisionKeyError)) throw err;
      problems.push(`${at} keys: ${err.message.replace(/^decision public keys: /, '')}`);
    }
    for (const actionType of entry.scope) {
      if (!knownActionTypes.has(actionType)) problems.push(`${at} scope: "${actionType}" is not a registered action type`);
    }
    agents.set(entry.id, { id: entry.id, name: entry.name, keys, scope: [...new Set(entry.scope)] });
  }
  if (problems.length > 0) throw new PolicyLoadError(file, problems);
  return agents;
}
