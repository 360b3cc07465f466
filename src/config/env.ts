/**
 * The only place that reads `process.env`. Configuration is validated once at start; every
 * problem is listed, because fixing one variable per restart wastes an operator's morning.
 */
import { z } from 'zod';
import { EgressAllowListError, parseEgressAllowList } from '../egress/allow-list';
import { DecisionKeyError, parseDecisionPublicKeys } from '../links/decision-signer';
import { LinkKeyringError, parseLinkKeyring } from '../links/keyring';
import { SubjectIdSchema } from '../domain/subject';
import { loadTemporalProfile, TemporalProfileError, type TemporalProfileSettings } from '../temporal/profile';

/** `name=value,…` → `{ name: value }`, each value matching `shape`; every malformed entry is one problem. */
const namedValues = (shape: RegExp, expected: string) =>
  z
    .string()
    .optional()
    .transform((spec, ctx) => {
      const values: Record<string, string> = {};
      for (const entry of (spec ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const at = entry.indexOf('=');
        const name = entry.slice(0, at);
        const value = entry.slice(at + 1);
        if (at < 1 || !shape.test(value)) {
          ctx.addIssue({ code: 'custom', message: `"${name || entry.slice(0, 20)}…" must be name=${expected}` });
        } else values[name] = value;
      }
      return values;
    });
const namedPostgresUrls = namedValues(/^postgres(ql)?:\/\//, 'postgres://…');

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * Auto-approved commits inside workflow tasks at once, unless configured: a quarter of the
 * workflow-task slots (10 of the default 40), the rest free for decisions and timers.
 */
export const localCommitsFor = (workflowTaskSlots: number): number => Math.floor(workflowTaskSlots / 4);
export const DEFAULT_LOCAL_COMMITS = localCommitsFor(40);

/** An allow-list in GATEHOUSE_EGRESS_ALLOW's syntax, every bad entry reported; unset: nowhere. */
const egressAllowList = z
  .string()
  .optional()
  .transform((spec, ctx) => {
    try {
      return parseEgressAllowList(spec);
    } catch (err) {
      if (!(err instanceof EgressAllowListError)) throw err;
      for (const problem of err.problems) ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
  });

/**
 * A `kid:secret,…` HMAC keyring (the link keyring's syntax), every problem reported with the
 * keyring named; unset or blank: none.
 */
const hmacKeyring = (what: string) =>
  z
    .string()
    .optional()
    .transform((spec, ctx) => {
      if (spec === undefined || spec.trim() === '') return undefined;
      try {
        return parseLinkKeyring(spec);
      } catch (err) {
        if (!(err instanceof LinkKeyringError)) throw err;
        for (const problem of err.problems) ctx.addIssue({ code: 'custom', message: problem.replace(/link/g, what) });
        return z.NEVER;
      }
    });

export const ConfigSchema = z.object({
  GATEHOUSE_MODE: z.enum(['dev', 'production']).default('dev'),
  /** Frontend `host:port`: the dev server, a self-hosted cluster's frontend, or `<ns>.<account>.tmprl.cloud:7233`. */
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'must be host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Temporal's environment-configuration file (TOML); unset, `~/.config/temporalio/temporal.toml` if it exists. */
  TEMPORAL_CONFIG_FILE: z.string().min(1).optional(),
  /** The profile in that file whose address, namespace, TLS and API key are the TEMPORAL_* defaults. */
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  /** TLS with the system's roots; implied by an API key or any TEMPORAL_TLS_* setting below. */
  TEMPORAL_TLS: bool.default(false),
  /** Temporal Cloud API key (sent as a bearer token, so always over TLS). */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** PEM file: the client certificate for mTLS (a self-hosted cluster or a Cloud namespace with CA certs). */
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  /** PEM file: the client certificate's private key. */
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  /** PEM file: the CA the server's certificate must chain to (a private CA); unset, the system's roots. */
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  /** The name the server's certificate carries, when it differs from the address's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  GATEHOUSE_TASK_QUEUE: z.string().default('gatehouse'),
  GATEHOUSE_POLICIES_DIR: z.string().default('policies'),
  GATEHOUSE_REVIEWERS_FILE: z.string().default('policies/reviewers.yaml'),
  /** Agent registry (YAML): each agent's id, name, Ed25519 public keys and action types in scope. */
  GATEHOUSE_AGENTS_FILE: z.string().default('policies/agents.yaml'),
  /** `kid:hex-private-key` — the agent key `gatehouse propose`, `withdraw` and `demo` sign with. */
  GATEHOUSE_AGENT_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}:[0-9a-fA-F]{64}$/, 'must be "kid:hex" (key id of A-Z a-z 0-9 _ -, 64 hex characters)')
    .optional(),
  /** `kid:hex-private-key` — the decision service's Ed25519 signing key. */
  GATEHOUSE_DECISION_SIGNING_KEY: z.string().optional(),
  /** `kid:hex-public-key,…` — keys the workflow accepts decisions from. */
  GATEHOUSE_DECISION_PUBLIC_KEYS: z.string().optional(),
  /** `kid:hex-private-key` — the worker's Ed25519 key that grants each link it mails (worker only). */
  GATEHOUSE_LINK_GRANT_KEY: z.string().optional(),
  /**
   * `kid:hex-public-key,…` — more grant keys runs trust besides GATEHOUSE_LINK_GRANT_KEY's own:
   * the next key ahead of a switch, the previous one after it (worker only; checked at its start).
   */
  GATEHOUSE_LINK_GRANT_PUBLIC_KEYS: z.string().optional(),
  /** `person=kid:hex-public-key,…` — operators' own keys; each decides only as its person (worker). */
  GATEHOUSE_OPERATOR_KEYS: z.string().default(''),
  /** `kid:hex-private-key` — this operator's own key, for `gatehouse decide` (CLI). */
  GATEHOUSE_OPERATOR_KEY: z.string().optional(),
  /** `kid:secret,…` — HMAC keys for reviewer links; the first one signs. */
  GATEHOUSE_LINK_KEYS: z.string().optional(),
  /** `kid:secret` (base64url, ≥ 32 bytes): keys the sampled-mode draw so agents cannot predict it. */
  GATEHOUSE_SAMPLING_KEY: z.string().optional(),
  GATEHOUSE_PUBLIC_URL: z.url().default('http://127.0.0.1:8080'),
  GATEHOUSE_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  GATEHOUSE_HTTP_HOST: z.string().default('127.0.0.1'),
  /** How long the decision service waits for a worker before recording a decision as a signal. */
  GATEHOUSE_DECISION_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  GATEHOUSE_HTTP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /** Express `trust proxy` (e.g. `loopback` or a hop count) when behind a reverse proxy. */
  GATEHOUSE_TRUST_PROXY: z.string().optional(),
  SMTP_URL: z.string().optional(),
  /** Payments API for payment.refund (POST /refunds with Idempotency-Key; GET /refunds/by-key/<key>). */
  GATEHOUSE_PAYMENTS_URL: z.url().optional(),
  /** `name=postgres://…,…`: databases the db.write executor may write to, by the name proposals use. */
  GATEHOUSE_DATABASES: namedPostgresUrls,
  /** `name=postgres://…,…`: PostgreSQL clusters whose roles access.grant grants, by the `system` name proposals use. */
  GATEHOUSE_ACCESS_SYSTEMS: namedPostgresUrls,
  /** PostgreSQL holding the email.send outbox (table gatehouse_email_outbox); required by a production worker. */
  GATEHOUSE_OUTBOX_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  /** Dev mode without GATEHOUSE_OUTBOX_DATABASE_URL: the email.send outbox as a file (one worker only). */
  GATEHOUSE_EMAIL_OUTBOX_FILE: z.string().default('.gatehouse/email-outbox.jsonl'),
  /** email.send after a worker died mid-send and no mailbox can tell: `needs_attention` (send nothing) or `resend` (same Message-ID). */
  GATEHOUSE_EMAIL_ON_UNCERTAIN: z.enum(['needs_attention', 'resend']).default('needs_attention'),
  /** Ticket API for ticket.update (GET/PATCH /tickets/<id> with ETag, If-Match and Idempotency-Key). */
  GATEHOUSE_TICKETS_URL: z.url().optional(),
  /** Sent as the Authorization header to the ticket API. */
  GATEHOUSE_TICKETS_AUTHORIZATION: z.string().optional(),
  /** `service=/path/to/repo,…`: git repositories whose `refs/deploy/<environment>` code.deploy moves. */
  GATEHOUSE_DEPLOY_REPOS: namedValues(/^\//, '/absolute/path/to/repo'),
  /** `service=http(s)://…,…`: health checks code.deploy's verify requires a 2xx from. */
  GATEHOUSE_DEPLOY_HEALTH_URLS: namedValues(/^https?:\/\//, 'http(s)://…'),
  /**
   * `service=http(s)://…,…`: services code.deploy deploys through a deploy webhook instead of a git
   * deploy ref (signed with GATEHOUSE_WEBHOOK_KEYS; contract in activities/executors/code-deploy-webhook.ts).
   */
  GATEHOUSE_DEPLOY_WEBHOOKS: namedValues(/^https?:\/\//, 'http(s)://…'),
  /** Comma-separated CommonJS modules exporting `actionTypes` (the deployment's own action types). */
  /**
   * The MCP gateway's configuration file (downstream servers, agent, hold budget): read by
   * `gatehouse mcp-gateway`, and by the worker, which then executes the `mcp.*` action types.
   */
  GATEHOUSE_MCP_CONFIG: z.string().optional(),
  /** Who calls the stdio gateway (recorded as requester, never an approver); the OS user by default. */
  GATEHOUSE_MCP_CALLER: SubjectIdSchema.optional(),
  /**
   * PostgreSQL holding the record of MCP tool calls (table gatehouse_mcp_calls), shared by every
   * worker; without it the config's callsFile serves one dev worker. Required by a production worker with MCP.
   */
  GATEHOUSE_MCP_CALLS_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  GATEHOUSE_ACTION_MODULES: z
    .string()
    .optional()
    .transform((spec) =>
      (spec ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  /**
   * `host[:port]`, `*.domain`, `address[:port]` or `network/prefix`, comma-separated: where
   * executors may send requests. Loopback, private, link-local and metadata addresses need an
   * address or network entry; names must resolve to public addresses. Empty: nowhere.
   */
  GATEHOUSE_EGRESS_ALLOW: egressAllowList,
  /** Slack Web API base URL; a local Slack-compatible fake in tests and the dev stack. */
  GATEHOUSE_SLACK_API_URL: z.url().default('https://slack.com/api/'),
  /** Bot token (`xoxb-…`): the worker posts and updates cards, the decision service opens the reason modal. */
  GATEHOUSE_SLACK_BOT_TOKEN: z.string().min(1).optional(),
  /** Slack app's signing secret: the decision service verifies every interactivity request with it. */
  GATEHOUSE_SLACK_SIGNING_SECRET: z.string().min(16).optional(),
  /**
   * `kid:secret,…` (unpadded base64url, ≥ 32 bytes each): HMAC keys of outcome webhooks; the first
   * signs, receivers accept every listed one. Unset: no run's webhook is sent.
   */
  GATEHOUSE_WEBHOOK_KEYS: hmacKeyring('webhook'),
  /**
   * Where outcome webhooks may go, in GATEHOUSE_EGRESS_ALLOW's syntax but a list of its own: the
   * agent writes the URL, so it must not reach the executors' targets. Empty: nowhere.
   */
  GATEHOUSE_WEBHOOK_ALLOW: egressAllowList,
  GATEHOUSE_MAIL_FROM: z.string().default('Gatehouse <gatehouse@localhost>'),
  /** maildev REST API used to check for an already-sent message in dev. */
  GATEHOUSE_MAILDEV_API: z.url().optional(),
  /**
   * Dev mode, when set: seed action types with no target configured record their effect in this
   * file instead. Unset, such a type has no executor (a policy naming it fails its commit).
   */
  GATEHOUSE_SANDBOX_LEDGER: z.string().optional(),
  /** `kid:base64,…` AES-256 keys: payloads in Temporal history are encrypted with the first. */
  GATEHOUSE_PAYLOAD_KEYS: z.string().optional(),
  /** Bearer token the Web UI's codec requests must carry. */
  GATEHOUSE_CODEC_TOKEN: z.string().min(16).optional(),
  /** Origin of the Temporal Web UI allowed to call the codec endpoint. */
  GATEHOUSE_CODEC_CORS_ORIGIN: z.string().default('http://127.0.0.1:8233'),
  /** Append-only, hash-chained audit log (JSONL). */
  GATEHOUSE_AUDIT_LOG: z.string().default('.gatehouse/audit.jsonl'),
  /** PostgreSQL for the audit chain in production (table gatehouse_audit); replaces the file. */
  GATEHOUSE_AUDIT_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  /**
   * `kid:secret,…` (unpadded base64url, ≥ 32 bytes each): HMAC keys of the audit chain; the first
   * keys new lines, every listed one verifies older lines (rotation). Worker and `audit verify`.
   */
  GATEHOUSE_AUDIT_KEYS: hmacKeyring('audit'),
  /** `kid:hex-private-key`: the worker's Ed25519 key that signs checkpoints of the chain's head. */
  GATEHOUSE_AUDIT_CHECKPOINT_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}:[0-9a-fA-F]{64}$/, 'must be "kid:hex" (key id of A-Z a-z 0-9 _ -, 64 hex characters)')
    .optional(),
  /** `kid:hex-public-key,…`: checkpoint keys `gatehouse audit verify` accepts (it needs no private key). */
  GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEYS: z
    .string()
    .optional()
    .transform((spec, ctx) => {
      if (spec === undefined || spec.trim() === '') return {};
      try {
        return parseDecisionPublicKeys(spec);
      } catch (err) {
        if (!(err instanceof DecisionKeyError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message.replace('decision public keys', 'checkpoint public keys') });
        return z.NEVER;
      }
    }),
  /**
   * Where checkpoints are kept, apart from the log: a file, or a postgres:// URL (table
   * gatehouse_audit_checkpoints). Unset: `<GATEHOUSE_AUDIT_LOG>.checkpoints` beside the file, or
   * that table in the audit database.
   */
  GATEHOUSE_AUDIT_CHECKPOINTS: z.string().min(1).optional(),
  /** How often the worker signs a checkpoint of a head it has not anchored yet (besides after each append). */
  GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** How often the worker looks for terminated or timed-out runs the log has not closed; 0: never. */
  GATEHOUSE_AUDIT_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** `audit verify`: a run started longer ago than this must have entries in the log. */
  GATEHOUSE_AUDIT_GRACE_MS: z.coerce.number().int().min(0).default(300_000),
  /** Worker's Prometheus endpoint (`host:port`, served at /metrics). */
  GATEHOUSE_METRICS_ADDRESS: z.string().default('127.0.0.1:9464'),
  GATEHOUSE_LINK_TTL_HOURS: z.coerce.number().positive().default(72),
  /**
   * Runs a worker keeps in memory between tasks. Bounded, so thousands of waiting approvals cost
   * no worker memory: a decision on an evicted run replays its short history instead.
   */
  GATEHOUSE_WORKER_CACHED_RUNS: z.coerce.number().int().min(0).default(500),
  /** Workflow tasks and activities a worker runs at once. */
  GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).default(40),
  GATEHOUSE_WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).default(100),
  /**
   * Auto-approved commits a worker runs inside their workflow tasks at once, each holding one of
   * its workflow-task slots; more go on as regular activities. Unset: a quarter of the slots. 0
   * turns it off: while workers of a release before this one still run, an attempt they retry
   * would not check the target first.
   */
  GATEHOUSE_WORKER_LOCAL_COMMITS: z.coerce.number().int().min(0).optional(),
  /** Worker's probes (`host:port`, /healthz and /readyz); unset: none, as several workers may share a host. */
  GATEHOUSE_WORKER_HEALTH_ADDRESS: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'must be host:port')
    .optional(),
  /**
   * On SIGTERM, activities in flight get this long to finish; then they are cancelled and their
   * attempt retried by another worker (every activity is safe to retry).
   */
  GATEHOUSE_WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  /**
   * On SIGTERM the decision service answers /readyz 503 for this long while still serving, so the
   * load balancer stops sending before the listener closes; then in-flight requests finish.
   */
  GATEHOUSE_HTTP_DRAIN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Thrown when the environment does not describe a runnable configuration. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** Secrets that dev mode can do without (the dev script generates them) but production cannot. */
const REQUIRED_IN_PRODUCTION = [
  'GATEHOUSE_DECISION_SIGNING_KEY',
  'GATEHOUSE_DECISION_PUBLIC_KEYS',
  'GATEHOUSE_LINK_KEYS',
  'GATEHOUSE_LINK_GRANT_KEY',
  'SMTP_URL',
  'GATEHOUSE_PAYLOAD_KEYS',
  'GATEHOUSE_SAMPLING_KEY',
] as const;

const TLS_SETTINGS = [
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
] as const;

/**
 * Settings that parse one by one but cannot work together. A certificate without its key would
 * otherwise surface as a handshake failure on the first connection, far from its cause.
 */
function temporalTlsProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const cert = env['TEMPORAL_TLS_CLIENT_CERT_PATH'];
  const key = env['TEMPORAL_TLS_CLIENT_KEY_PATH'];
  if (cert && !key) problems.push('TEMPORAL_TLS_CLIENT_KEY_PATH: is required with TEMPORAL_TLS_CLIENT_CERT_PATH');
  if (key && !cert) problems.push('TEMPORAL_TLS_CLIENT_CERT_PATH: is required with TEMPORAL_TLS_CLIENT_KEY_PATH');
  if (env['TEMPORAL_TLS'] === 'false' || env['TEMPORAL_TLS'] === '0') {
    const needTls = [...TLS_SETTINGS, 'TEMPORAL_API_KEY'].filter((name) => env[name]);
    if (needTls.length > 0) problems.push(`TEMPORAL_TLS: is false, but ${needTls.join(', ')} need${needTls.length === 1 ? 's' : ''} TLS`);
  }
  return problems;
}

/** The profile's settings, or no settings and the problems that stopped it from loading. */
function temporalProfile(env: Record<string, string | undefined>): { profile: TemporalProfileSettings; problems: string[] } {
  try {
    return { profile: loadTemporalProfile(env), problems: [] };
  } catch (err) {
    if (!(err instanceof TemporalProfileError)) throw err;
    return { profile: { values: {}, sources: {} }, problems: err.problems };
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const { profile, problems: profileProblems } = temporalProfile(env);
  const explicit = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  // Explicit variables override the profile, as they do for the Temporal CLI and SDKs.
  const merged: Record<string, string | undefined> = { ...profile.values, ...explicit };
  // A value the profile supplied is blamed on its file and field, not on a variable nobody set.
  const blame = (problem: string): string => {
    const variable = problem.slice(0, problem.indexOf(':'));
    const source = env[variable] === undefined ? profile.sources[variable as keyof typeof profile.sources] : undefined;
    return source ? `${source} (${variable})${problem.slice(variable.length)}` : problem;
  };
  const parsed = ConfigSchema.safeParse(merged);
  // Checked apart from the schema so that one bad value does not hide the missing secrets.
  const problems = [...profileProblems];
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => blame(`${i.path.join('.')}: ${i.message}`)));
  problems.push(...temporalTlsProblems(merged).map(blame));
  if (parsed.success && (parsed.data.GATEHOUSE_WORKER_LOCAL_COMMITS ?? 0) >= parsed.data.GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS) {
    problems.push(
      `GATEHOUSE_WORKER_LOCAL_COMMITS: must be below GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS (${parsed.data.GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS}), or slow commits could hold every slot that decisions and timers need`,
    );
  }
  if (env['GATEHOUSE_MODE'] === 'production') {
    problems.push(...REQUIRED_IN_PRODUCTION.filter((key) => !env[key]).map((key) => `${key}: is required in production mode`));
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

let cached: Config | undefined;

/** The process's configuration, parsed from `process.env` on first use. */
export function loadConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
