/**
 * The MCP gateway's configuration file: the downstream servers it fronts, the agent identity it
 * proposes as, how long it holds a call, and the policy a gated tool gets when no policy file
 * names it. The gateway and the worker read the same file, so both see the same tools.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PolicySchema } from '../domain/policy';
import { SubjectIdSchema } from '../domain/subject';

/**
 * A Host header's name as the transport compares it: lower case, no port, IPv6 in brackets. An
 * entry in any other form would never match, and every request would be refused with no word why.
 */
const AllowedHostSchema = z
  .string()
  .regex(
    /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])$/,
    'a lower-case host name without a port (an IPv6 address in brackets, e.g. [::1])',
  );

/** Part of every action type `mcp.<server>.<tool>`, so only what an action type name may hold. */
export const ServerNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,23}$/, 'a lower-case server name (letters, digits, _)');

/**
 * Whether the server's tools are listed as `<server>__<tool>` (the default, so two servers may
 * both have `search`) or under their own names: a gateway in front of one server can keep the
 * names its clients and prompts already use. Two tools under one name stop the start. Default true.
 */
const PrefixSchema = z.boolean().optional();

export const StdioServerSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Added to a minimal inherited environment (the SDK passes PATH, HOME and the like only). */
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    prefix: PrefixSchema,
  })
  .strict();
export type StdioServer = z.infer<typeof StdioServerSchema>;

export const HttpServerSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).optional(),
    prefix: PrefixSchema,
  })
  .strict();
export type HttpServer = z.infer<typeof HttpServerSchema>;

export const DownstreamServerSchema = z.union([StdioServerSchema, HttpServerSchema]);
export type DownstreamServer = z.infer<typeof DownstreamServerSchema>;

/** Probe name the `supervised` defaults are validated under; any valid action type would do. */
const PROBE_ACTION_TYPE = 'mcp.config.probe';

export const McpGatewayConfigSchema = z
  .object({
    servers: z.record(ServerNameSchema, DownstreamServerSchema).refine((s) => Object.keys(s).length > 0, 'at least one downstream server'),
    /** The agent the gateway proposes as; registered in GATEHOUSE_AGENTS_FILE with the gateway's key. */
    agent: z.object({ id: SubjectIdSchema, name: z.string().min(1).max(200) }).strict(),
    /**
     * How long a gated call is held before the gateway answers "awaiting approval, retry the same
     * call". Keep it below the client's request timeout (60 s in the TypeScript SDK).
     */
    holdSeconds: z.number().int().min(0).max(3_600).default(25),
    /**
     * Policy fields (everything but actionType and mode) of a gated tool that no policy file names.
     * Validated as a policy at load, so a typo stops the gateway and the worker at start.
     */
    supervised: z
      .record(z.string(), z.unknown())
      .default({ risk: 'medium', approvals: { steps: [{ role: 'approver', count: 1 }] }, sla: { expireAfter: '24h' } })
      .superRefine((fields, ctx) => {
        const parsed = PolicySchema.safeParse({ ...fields, actionType: PROBE_ACTION_TYPE, mode: 'supervised' });
        if (!parsed.success) {
          for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
        }
      }),
    /**
     * Clients of the streamable HTTP endpoint, each with the SHA-256 (hex) of its bearer token:
     * the gateway stores no token, and the client id is recorded as the caller of its calls.
     */
    http: z
      .object({
        clients: z
          .array(
            z.object({ id: SubjectIdSchema, tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the token') }).strict(),
          )
          .min(1),
        /**
         * Host names (no port) the endpoint answers to; any other Host header is refused before
         * authentication (DNS rebinding). Defaults to the loopback names when the gateway listens
         * on a loopback address; set it when it listens on another.
         */
        allowedHosts: z.array(AllowedHostSchema).min(1).optional(),
      })
      .strict()
      .optional(),
    /** The durable record of downstream calls (JSONL, one dev worker): the commit's check-before-retry. */
    callsFile: z.string().min(1).default('.gatehouse/mcp-calls.jsonl'),
  })
  .strict();
export type McpGatewayConfig = z.infer<typeof McpGatewayConfigSchema>;

/** Thrown when the gateway configuration cannot be read or is invalid; lists every problem. */
export class McpConfigError extends Error {
  override readonly name = 'McpConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problems.join('; ')}`, options);
  }
}

export function parseMcpGatewayConfig(raw: unknown, file = '(config)'): McpGatewayConfig {
  const parsed = McpGatewayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new McpConfigError(
      file,
      parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(file)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

/** Reads a YAML (or JSON, which is YAML) gateway configuration. */
export function loadMcpGatewayConfig(file: string): McpGatewayConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new McpConfigError(file, [`cannot be read as YAML: ${(cause as Error).message}`], { cause });
  }
  return parseMcpGatewayConfig(raw, file);
}
