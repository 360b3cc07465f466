/** Gateway configuration, tool naming and default policies: pure, no server. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { actionTypeFor, buildCatalog, McpCatalogError } from '../../../src/mcp/catalog';
import { allowedHostnamesFor } from '../../../src/mcp/http';
import { loadMcpGatewayConfig, McpConfigError, parseMcpGatewayConfig } from '../../../src/mcp/config';
import { defaultModeFor, effectiveMcpPolicies, loadMcpPolicyFiles, passesThrough } from '../../../src/mcp/policies';

const EXAMPLE = resolve(__dirname, '../../../examples/mcp-gateway');

const tool = (name: string, annotations?: Tool['annotations']): Tool => ({
  name,
  inputSchema: { type: 'object' },
  ...(annotations ? { annotations } : {}),
});
const valid = { servers: { notes: { command: 'node', args: ['server.js'] } }, agent: { id: 'mcp-gateway', name: 'Gateway' } };

describe('MCP gateway configuration', () => {
  it('fills defaults for the hold budget, supervised policy and call record', () => {
    const config = parseMcpGatewayConfig(valid);
    expect(config.holdSeconds).toBe(25);
    expect(config.supervised).toMatchObject({ approvals: { steps: [{ role: 'approver', count: 1 }] } });
    expect(config.callsFile).toBe('.gatehouse/mcp-calls.jsonl');
  });

  it('lists every problem of a bad file, naming the field', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mcp-config-')), 'gateway.yaml');
    writeFileSync(
      file,
      'servers: { Bad-Name: { command: node }, web: { url: "ftp://x" } }\nagent: { id: "a b", name: A }\nsupervised: { sla: { expireAfter: soon } }\nextra: 1\n',
    );
    let error: unknown;
    try {
      loadMcpGatewayConfig(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(McpConfigError);
    const problems = (error as McpConfigError).problems.join('\n');
    expect(problems).toContain('servers.Bad-Name');
    expect(problems).toContain('servers.web');
    expect(problems).toContain('agent.id');
    expect(problems).toContain('supervised.sla.expireAfter');
    expect(problems).toContain('extra');
  });

  it('reads the example configuration and its policy override', () => {
    expect(Object.keys(loadMcpGatewayConfig(join(EXAMPLE, 'gateway.yaml')).servers)).toEqual(['files', 'tickets']);
    expect(loadMcpPolicyFiles(EXAMPLE).get('mcp.files.write_file')?.policy.approvals.steps).toEqual([{ role: 'approver', count: 2 }]);
  });

  it('refuses a server that is both a command and a URL', () => {
    expect(() => parseMcpGatewayConfig({ ...valid, servers: { x: { command: 'node', url: 'http://127.0.0.1:1/mcp' } } })).toThrow(
      McpConfigError,
    );
  });
});

describe('MCP catalog', () => {
  it('folds tool names into action types and prefixes exposed names with the server', () => {
    expect(actionTypeFor('github', 'create-issue')).toBe('mcp.github.create_issue');
    expect(actionTypeFor('fs', '2fa.Reset')).toBe('mcp.fs.t_2fa_reset');
    const catalog = buildCatalog([{ server: 'github', tools: [tool('createIssue')] }]);
    expect(catalog.tools[0]).toMatchObject({ exposedName: 'github__createIssue', actionType: 'mcp.github.createissue' });
  });

  it('refuses two tools that fold to one action type rather than letting one policy govern both', () => {
    expect(() => buildCatalog([{ server: 'fs', tools: [tool('rm-rf'), tool('rm_rf')] }])).toThrow(McpCatalogError);
  });

  it('lists the tools of a server configured with prefix: false under their own names', () => {
    const config = parseMcpGatewayConfig({ ...valid, servers: { fs: { command: 'node', prefix: false } } });
    const catalog = buildCatalog([{ server: 'fs', tools: [tool('read')], prefix: config.servers['fs']!.prefix }]);
    expect(catalog.tools[0]).toMatchObject({ exposedName: 'read', actionType: 'mcp.fs.read' });
    expect(catalog.byExposedName.get('read')?.server).toBe('fs');
  });

  it('refuses prefixed names that collide across servers', () => {
    const listed = [
      { server: 'a_', tools: [tool('_b')] },
      { server: 'a', tools: [tool('__b')] },
    ];
    expect(() => buildCatalog(listed)).toThrow(/a\/__b and a_\/_b are both listed as "a____b"/);
    expect(() => buildCatalog([listed[0]!])).not.toThrow();
  });

  it('refuses two servers whose tools would be listed under one name', () => {
    const listed = [
      { server: 'fs', tools: [tool('read')], prefix: false },
      { server: 'web', tools: [tool('read')], prefix: false },
    ];
    expect(() => buildCatalog(listed)).toThrow(/web\/read and fs\/read are both listed as "read"/);
    // An unprefixed tool may not take the name a prefixed one is listed under either.
    expect(() =>
      buildCatalog([
        { server: 'fs', tools: [tool('read')] },
        { server: 'web', tools: [tool('fs__read')], prefix: false },
      ]),
    ).toThrow(McpCatalogError);
  });
});

describe('MCP HTTP allowed hosts', () => {
  it('refuses entries that could never match a Host header, naming the field', () => {
    for (const bad of ['gatehouse.internal:8093', 'Gatehouse.Internal', '::1', 'http://gatehouse.internal', '']) {
      expect(() => parseMcpGatewayConfig({ ...valid, http: { clients: [], allowedHosts: [bad] } })).toThrow(/http\.allowedHosts/);
    }
    const ok = parseMcpGatewayConfig({
      ...valid,
      http: { clients: [{ id: 'c', tokenSha256: 'a'.repeat(64) }], allowedHosts: ['gatehouse.internal', '10.0.0.7', '[::1]'] },
    });
    expect(ok.http?.allowedHosts).toEqual(['gatehouse.internal', '10.0.0.7', '[::1]']);
  });

  it('answers only to loopback names on a loopback address, and to the configured names when given', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
      expect(allowedHostnamesFor(host, {})).toEqual(['localhost', '127.0.0.1', '[::1]']);
    }
    expect(allowedHostnamesFor('0.0.0.0', {})).toBeUndefined();
    expect(allowedHostnamesFor('0.0.0.0', { allowedHosts: ['gatehouse.internal'] })).toEqual(['gatehouse.internal']);
  });
});

describe('MCP default policies', () => {
  const config = parseMcpGatewayConfig(valid);

  it('lets read-only tools run alone and supervises destructive, open-world and unannotated ones', () => {
    const catalog = buildCatalog([
      {
        server: 's',
        tools: [
          tool('read', { readOnlyHint: true }),
          tool('fetch', { readOnlyHint: true, openWorldHint: true }),
          tool('drop', { destructiveHint: true }),
          tool('plain'),
        ],
      },
    ]);
    expect(catalog.tools.map(defaultModeFor)).toEqual(['autonomous', 'supervised', 'supervised', 'supervised']);
    const policies = effectiveMcpPolicies(catalog, new Map(), config);
    expect(policies.get('mcp.s.drop')?.policy).toMatchObject({
      mode: 'supervised',
      approvals: { steps: [{ role: 'approver', count: 1 }] },
    });
    expect(passesThrough(catalog.tools[0]!, policies.get('mcp.s.read')!.policy)).toBe(true);
    expect(passesThrough(catalog.tools[2]!, policies.get('mcp.s.drop')!.policy)).toBe(false);
  });

  it('prefers a policy file over the default', () => {
    const catalog = buildCatalog([{ server: 's', tools: [tool('read', { readOnlyHint: true })] }]);
    const file = {
      policy: { ...effectiveMcpPolicies(catalog, new Map(), config).get('mcp.s.read')!.policy, mode: 'deny' as const },
      version: 'f@1',
      file: 'f',
    };
    expect(effectiveMcpPolicies(catalog, new Map([['mcp.s.read', file]]), config).get('mcp.s.read')?.policy.mode).toBe('deny');
  });
});
