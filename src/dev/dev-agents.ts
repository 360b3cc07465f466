/**
 * The dev stack's agent registry: every agent the sample proposals (examples/) name, all holding
 * the one demo key, with every built-in action type in scope, so `gatehouse demo` can sign each
 * sample as its own agent. A production registry gives each agent its own keys and a narrow scope.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { builtInActionTypes } from '../actions/registry';
import type { AgentRegistryFile } from '../policy/agents';

/** The agents named in the sample proposals of `examplesDir`, by id. */
export function sampleAgents(examplesDir: string): { id: string; name: string }[] {
  const agents = new Map<string, string>();
  for (const file of readdirSync(examplesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const agent = (JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as { agent?: { id?: unknown; name?: unknown } }).agent;
    if (typeof agent?.id === 'string') agents.set(agent.id, typeof agent.name === 'string' ? agent.name : agent.id);
  }
  return [...agents].map(([id, name]) => ({ id, name }));
}

/** Writes the dev registry: `agents` with the public key `keyId:publicKeyHex` and every built-in action type. */
export function writeDevAgentRegistry(
  file: string,
  agents: { id: string; name: string }[],
  key: { keyId: string; publicKeyHex: string },
): void {
  const scope = [...builtInActionTypes().names()].sort();
  const registry: AgentRegistryFile = { agents: agents.map((a) => ({ ...a, keys: [`${key.keyId}:${key.publicKeyHex}`], scope })) };
  const header = '# Dev agent registry written by `gatehouse keys --agents-file`: every sample agent holds the demo key.\n';
  writeFileSync(file, header + stringify(registry));
}
