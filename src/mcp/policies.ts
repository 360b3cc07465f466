/**
 * The policy of each MCP tool: a policy file in the policies directory when one names the tool's
 * action type, otherwise a default from the tool's annotations. Gateway and worker both compute
 * this, from the same files, so a tool the gateway hides is one the worker would deny.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../domain/canonical-hash';
import { PolicySchema, type Policy } from '../domain/policy';
import { parseFile, PolicyLoadError, type LoadedPolicy, type PolicyBook } from '../policy/load';
import { annotationsOf, type CatalogTool, type McpCatalog } from './catalog';
import type { McpGatewayConfig } from './config';

/**
 * Read-only tools run on their own; everything else waits for a person. MCP's `openWorldHint`
 * defaults to true, so only an explicit true (a read that reaches outside, where the arguments
 * themselves may leak data) keeps a read-only tool supervised. Annotations are the server's own
 * claim: an operator who does not trust a server writes policy files for its tools.
 */
export function defaultModeFor(tool: CatalogTool): 'autonomous' | 'supervised' {
  const a = annotationsOf(tool);
  return a.readOnlyHint === true && a.destructiveHint !== true && a.openWorldHint !== true ? 'autonomous' : 'supervised';
}

export function defaultPolicyFor(tool: CatalogTool, config: Pick<McpGatewayConfig, 'supervised'>): LoadedPolicy {
  const mode = defaultModeFor(tool);
  const description = `Default for the MCP tool ${tool.server}/${tool.tool} (from its annotations)`.slice(0, 500);
  const policy: Policy =
    mode === 'autonomous'
      ? PolicySchema.parse({ actionType: tool.actionType, description, risk: 'low', mode, sla: { expireAfter: '1h' } })
      : PolicySchema.parse({ risk: 'medium', ...config.supervised, actionType: tool.actionType, description, mode });
  const version = `mcp-default@${sha256Hex(canonicalJson({ mode, supervised: config.supervised, a: annotationsOf(tool) })).slice(0, 12)}`;
  return { policy, version, file: '(default from MCP annotations)' };
}

/** The `mcp.*` policy files of `dir`; a broken one is an error, as it is for the worker. */
export function loadMcpPolicyFiles(dir: string): Map<string, LoadedPolicy> {
  const policies = new Map<string, LoadedPolicy>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))) {
    const file = join(dir, name);
    let loaded: ReturnType<typeof parseFile<Policy>>;
    try {
      loaded = parseFile(file, PolicySchema);
    } catch (err) {
      // Reviewer, agent and other files are not policies; only a file that claims an mcp.* type counts.
      if (err instanceof PolicyLoadError) continue;
      throw err;
    }
    if (loaded.value.actionType.startsWith('mcp.')) policies.set(loaded.value.actionType, { policy: loaded.value, ...loaded, file });
  }
  return policies;
}

/** Every catalog tool's policy: the file's when there is one, else the default. */
export function effectiveMcpPolicies(
  catalog: McpCatalog,
  files: ReadonlyMap<string, LoadedPolicy>,
  config: Pick<McpGatewayConfig, 'supervised'>,
): Map<string, LoadedPolicy> {
  return new Map(catalog.tools.map((tool) => [tool.actionType, files.get(tool.actionType) ?? defaultPolicyFor(tool, config)]));
}

/** The worker's policy book with a default for every MCP tool that no file names. */
export function withMcpDefaults(book: PolicyBook, catalog: McpCatalog, config: Pick<McpGatewayConfig, 'supervised'>): PolicyBook {
  return { ...book, policies: new Map([...effectiveMcpPolicies(catalog, book.policies, config), ...book.policies]) };
}

/**
 * A read-only tool the policy lets run alone is called directly: there is no effect to gate. Only
 * when the policy has nothing to check per call: a trigger or required evidence is evaluated by
 * the worker, so such a call goes through a run even when it usually auto-approves.
 */
export function passesThrough(tool: CatalogTool, policy: Policy): boolean {
  return (
    policy.mode === 'autonomous' &&
    policy.triggers.length === 0 &&
    policy.evidenceRequired.length === 0 &&
    annotationsOf(tool).readOnlyHint === true
  );
}
