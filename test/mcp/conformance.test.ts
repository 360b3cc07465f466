/**
 * The official MCP conformance suite for servers (@modelcontextprotocol/conformance, with the
 * Node 22 it needs, both installed into .tools/ by scripts/mcp-conformance.sh) against the gateway
 * over streamable HTTP on the real Temporal server, in front of a downstream fixture server with
 * the tools the suite calls by name. Read-only tools pass through; the others are gated and
 * auto-approved by policy, so their answers come from committed runs. The scenarios that do not
 * apply to a gateway are listed, each with its reason, in conformance-baseline.yml.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { isSeq, parseDocument } from 'yaml';
import { parseMcpGatewayConfig, type McpGatewayConfig } from '../../src/mcp/config';
import { allowedHostnamesFor, createMcpHttpApp } from '../../src/mcp/http';
import type { McpGateway } from '../../src/mcp/start';
import { eventually, type Harness } from '../support/harness';
import { createMcpHarness, type McpHarness } from '../support/mcp-harness';

const ROOT = resolve(__dirname, '../..');
const FIXTURE_SERVER = resolve(__dirname, '../support/mcp-conformance-server.ts');
const BASELINE = resolve(__dirname, 'conformance-baseline.yml');
const TOKEN = 'token-of-the-conformance-suite-0001';
/** The fixture's tools without a read-only hint: gated, and auto-approved by the test's policies. */
const GATED_TOOLS = [
  'test_image_content',
  'test_audio_content',
  'test_embedded_resource',
  'test_multiple_content_types',
  'test_error_handling',
];

let h: Harness;
let dir: string;
let config: McpGatewayConfig;
let mcp: McpHarness;
let gateway: McpGateway;
let http: HttpServer;
let proxy: HttpServer;
let suiteDir: string;
let url: string;

const execFileP = promisify(execFile);

async function listen(server: HttpServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return (server.address() as AddressInfo).port;
}

async function stop(server: HttpServer | undefined): Promise<void> {
  if (!server) return;
  // Clients keep server-sent event streams open; the test waits for no one.
  const closed = new Promise((r) => server.close(r));
  server.closeAllConnections();
  await closed;
}

/**
 * The suite's client sends no credentials, and the gateway requires a bearer token of every
 * client: this proxy adds the token and forwards everything else as it came, Host header and
 * streamed bodies included, so the suite still sees the gateway's own answers.
 */
function authProxy(gatewayPort: number): HttpServer {
  return createServer((req, res) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port: gatewayPort,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, authorization: `Bearer ${TOKEN}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}

/** The baseline's scenarios and the reason written after each. */
function readBaseline(): Map<string, string> {
  const server = parseDocument(readFileSync(BASELINE, 'utf8')).get('server');
  if (!isSeq(server)) throw new Error(`${BASELINE}: "server" is not a list`);
  return new Map(
    server.items.map((item) => {
      const node = item as { value: unknown; comment?: string | null };
      return [String(node.value), (node.comment ?? '').trim()];
    }),
  );
}

interface Check {
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  name: string;
  errorMessage?: string;
}

/** Every scenario's checks, from the suite's output directory (`server-<scenario>-<timestamp>/`). */
function readResults(outDir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  for (const entry of readdirSync(outDir)) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry)?.[1];
    if (scenario) results.set(scenario, JSON.parse(readFileSync(join(outDir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return results;
}

beforeAll(async () => {
  // Instant when the pinned suite is installed (npm test's pretest installs it); installs it otherwise.
  const { stdout } = await execFileP(join(ROOT, 'scripts/mcp-conformance.sh'), ['install'], { timeout: 300_000 });
  suiteDir = stdout.trim().split('\n').at(-1)!;

  dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-conformance-'));
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  for (const tool of GATED_TOOLS) {
    writeFileSync(
      join(policies, `mcp.fixture.${tool}.yaml`),
      `actionType: mcp.fixture.${tool}\nrisk: low\nmode: autonomous\nsla: { expireAfter: 1h }\n`,
    );
  }
  config = parseMcpGatewayConfig({
    // Unprefixed: the suite calls the tools by their own names.
    servers: { fixture: { command: process.execPath, args: ['--import', 'tsx', FIXTURE_SERVER], prefix: false } },
    agent: { id: 'agent-7', name: 'MCP gateway' },
    holdSeconds: 20,
    http: { clients: [{ id: 'conformance-suite', tokenSha256: createHash('sha256').update(TOKEN).digest('hex') }] },
    callsFile: join(dir, 'mcp-calls.jsonl'),
  });
  mcp = await createMcpHarness(config, policies);
  h = mcp.h;
  gateway = await mcp.startGateway();
  // As `gatehouse mcp-gateway --http 127.0.0.1:<port>` sets it up.
  const allowedHostnames = allowedHostnamesFor('127.0.0.1', config.http!);
  http = createServer(createMcpHttpApp(gateway, config.http!.clients, allowedHostnames ? { allowedHostnames } : {}));
  proxy = authProxy(await listen(http));
  url = `http://127.0.0.1:${await listen(proxy)}/mcp`;
}, 360_000);

afterAll(async () => {
  await stop(proxy);
  await stop(http);
  await mcp?.close();
});

describe('MCP conformance suite for servers', () => {
  it('passes every scenario that applies to a gateway and fails exactly the listed ones', async () => {
    const baseline = readBaseline();
    for (const [scenario, reason] of baseline) expect({ scenario, reason: reason.length > 0 }).toEqual({ scenario, reason: true });

    const outDir = join(dir, 'results');
    const node = join(suiteDir, `node_modules/node-linux-${process.arch}/bin/node`);
    const cli = join(suiteDir, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
    const run = await execFileP(node, [cli, 'server', '--url', url, '--suite', 'all', '--expected-failures', BASELINE, '-o', outDir], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, NO_COLOR: '1' },
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '' }),
    );

    const results = readResults(outDir);
    // A warning fails a scenario too: the suite counts it as one against the baseline.
    const failed = (checks: Check[]) => checks.some((c) => c.status === 'FAILURE' || c.status === 'WARNING');
    const unexpected = [...results]
      .filter(([scenario, checks]) => failed(checks) && !baseline.has(scenario))
      .map(
        ([scenario, checks]) =>
          `${scenario}: ${checks
            .filter((c) => c.status !== 'SUCCESS')
            .map((c) => `${c.name}: ${c.errorMessage ?? c.status}`)
            .join('; ')}`,
      );
    // A listed scenario that passes (or no longer exists) must leave the list, so it cannot rot.
    const stale = [...baseline.keys()].filter((scenario) => !failed(results.get(scenario) ?? []));
    expect({ unexpected, stale }).toEqual({ unexpected: [], stale: [] });
    expect([...results.values()].filter((checks) => !failed(checks)).length).toBeGreaterThanOrEqual(13);
    // The suite's own verdict on the same baseline: no unexpected failure, no stale entry.
    expect({ code: run.code, tail: run.code === 0 ? '' : run.stdout.slice(-3_000) }).toEqual({ code: 0, tail: '' });

    // The gated tools' answers came from runs that committed the downstream call.
    for (const tool of GATED_TOOLS) {
      const query = `GatehouseActionType = "mcp.fixture.${tool}" AND GatehouseStatus = "succeeded"`;
      await eventually(async () => ((await h.gatehouse.list(query)).length > 0 ? true : undefined), 10_000, `a succeeded run of ${tool}`);
    }
  }, 120_000);
});
