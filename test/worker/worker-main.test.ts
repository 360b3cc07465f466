/** The worker process refuses to start on a broken policy or configuration, and says why. */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateDecisionKeyPair } from '../../src/links/decision-signer';
import { generateLinkSecret } from '../../src/links/keyring';

const WORKER = resolve(__dirname, '../../dist/src/worker/main.js');
const POLICIES = resolve(__dirname, '../../policies');

async function runWorker(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)('node', [WORKER], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 20_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

/** A valid agent registry, so that each test meets only the problem it is about. */
function validAgentsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-agents-')), 'agents.yaml');
  writeFileSync(
    file,
    `agents:\n  - { id: refund-agent, name: Refunds, keys: ["a1:${generateDecisionKeyPair().publicKeyHex}"], scope: [payment.refund] }\n`,
  );
  return file;
}

const validEnv = () => ({
  TEMPORAL_ADDRESS: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
  GATEHOUSE_AGENTS_FILE: validAgentsFile(),
  GATEHOUSE_DECISION_PUBLIC_KEYS: `d1:${generateDecisionKeyPair().publicKeyHex}`,
  GATEHOUSE_LINK_KEYS: `l1:${generateLinkSecret()}`,
  GATEHOUSE_LINK_GRANT_KEY: `g1:${generateDecisionKeyPair().privateKeyHex}`,
  SMTP_URL: 'smtp://127.0.0.1:9',
});

describe('worker start-up', () => {
  it('exits 1 naming the file and field of a broken policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-broken-'));
    copyFileSync(join(POLICIES, 'reviewers.yaml'), join(dir, 'reviewers.yaml'));
    writeFileSync(join(dir, 'payment.refund.yaml'), 'actionType: payment.refund\nrisk: high\nmode: sometimes\nsla: { expireAfter: 1h }\n');
    const result = await runWorker({ ...validEnv(), GATEHOUSE_POLICIES_DIR: dir, GATEHOUSE_REVIEWERS_FILE: join(dir, 'reviewers.yaml') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('payment.refund.yaml');
    expect(result.stderr).toContain('mode');
  });

  it('refuses to start in production when a policy names an action type nothing can execute', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-unexecutable-'));
    copyFileSync(join(POLICIES, 'reviewers.yaml'), join(dir, 'reviewers.yaml'));
    copyFileSync(join(POLICIES, 'payment.refund.yaml'), join(dir, 'payment.refund.yaml'));
    const agentsFile = join(dir, 'agents.yaml');
    writeFileSync(agentsFile, 'agents: []\n');
    const decision = generateDecisionKeyPair();
    const result = await runWorker({
      ...validEnv(),
      GATEHOUSE_MODE: 'production',
      GATEHOUSE_DECISION_SIGNING_KEY: `d1:${decision.privateKeyHex}`,
      GATEHOUSE_PAYLOAD_KEYS: `p1:${Buffer.alloc(32, 7).toString('base64')}`,
      GATEHOUSE_SAMPLING_KEY: `s1:${Buffer.alloc(32, 9).toString('base64url')}`,
      GATEHOUSE_OUTBOX_DATABASE_URL: 'postgres://gatehouse@127.0.0.1:9/outbox',
      GATEHOUSE_AUDIT_KEYS: `a1:${Buffer.alloc(32, 5).toString('base64url')}`,
      GATEHOUSE_AUDIT_CHECKPOINT_KEY: `c1:${generateDecisionKeyPair().privateKeyHex}`,
      GATEHOUSE_POLICIES_DIR: dir,
      GATEHOUSE_REVIEWERS_FILE: join(dir, 'reviewers.yaml'),
      GATEHOUSE_AGENTS_FILE: agentsFile,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('payment.refund.yaml');
    expect(result.stderr).toContain('has no executor');
  });

  it('refuses to start in production with an unkeyed or unanchored audit log', async () => {
    const result = await runWorker({
      ...validEnv(),
      GATEHOUSE_MODE: 'production',
      GATEHOUSE_DECISION_SIGNING_KEY: `d1:${generateDecisionKeyPair().privateKeyHex}`,
      GATEHOUSE_PAYLOAD_KEYS: `p1:${Buffer.alloc(32, 7).toString('base64')}`,
      GATEHOUSE_SAMPLING_KEY: `s1:${Buffer.alloc(32, 9).toString('base64url')}`,
      GATEHOUSE_OUTBOX_DATABASE_URL: 'postgres://gatehouse@127.0.0.1:9/outbox',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GATEHOUSE_AUDIT_KEYS: is required by the worker');
    expect(result.stderr).toContain('GATEHOUSE_AUDIT_CHECKPOINT_KEY: is required by the worker');
  });

  it('exits 1 listing every problem of a broken agent registry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-agents-'));
    const agentsFile = join(dir, 'agents.yaml');
    writeFileSync(
      agentsFile,
      [
        'agents:',
        `  - { id: refund-agent, name: Refunds, keys: ["a1:${'0'.repeat(64)}", "a1:${generateDecisionKeyPair().publicKeyHex}"], scope: [payment.refund, no.such_type] }`,
        '  - { id: mail-agent, name: Mail, keys: [], scope: [email.send] }',
        '',
      ].join('\n'),
    );
    const result = await runWorker({ ...validEnv(), GATEHOUSE_AGENTS_FILE: agentsFile });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('agents.yaml');
    // The schema's problem and, apart from it, every key and scope problem of the other entries.
    expect(result.stderr).toContain('agents.1.keys');
    expect(result.stderr).toContain('agent "refund-agent" keys');
    expect(result.stderr).toContain('no.such_type');
  });

  it('exits 1 naming the agent registry when it is missing', async () => {
    const result = await runWorker({ ...validEnv(), GATEHOUSE_AGENTS_FILE: join(tmpdir(), 'no-such-agents.yaml') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-such-agents.yaml');
  });

  it('exits 1 listing every missing or invalid setting', async () => {
    const result = await runWorker({ GATEHOUSE_MODE: 'production', GATEHOUSE_HTTP_PORT: 'eighty' });
    expect(result.code).toBe(1);
    for (const key of [
      'GATEHOUSE_HTTP_PORT',
      'GATEHOUSE_LINK_KEYS',
      'GATEHOUSE_DECISION_SIGNING_KEY',
      'SMTP_URL',
      'GATEHOUSE_SAMPLING_KEY',
    ]) {
      expect(result.stderr).toContain(key);
    }
  });

  it('refuses a sampling key that is too short, without printing it', async () => {
    const result = await runWorker({ ...validEnv(), GATEHOUSE_SAMPLING_KEY: 's1:c2hvcnQ' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/sampling key "s1": the secret has 5 bytes; at least 32 are needed/);
    expect(result.stderr).not.toContain('c2hvcnQ');
  });

  it('refuses an egress allow-list entry it cannot read', async () => {
    const result = await runWorker({ ...validEnv(), GATEHOUSE_EGRESS_ALLOW: 'api.example.com,0x7f000001' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/GATEHOUSE_EGRESS_ALLOW: "0x7f000001": reads as the address 127\.0\.0\.1/);
  });

  it('exits 1 naming the file, profile and field of a bad Temporal profile', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-profile-')), 'temporal.toml');
    writeFileSync(file, '[profile.prod]\naddress = "https://temporal.internal"\n');
    const { TEMPORAL_ADDRESS: _address, ...env } = validEnv();
    const result = await runWorker({ ...env, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file} [profile.prod] address (TEMPORAL_ADDRESS): must be host:port`);
  });

  it('refuses a link key that is too short', async () => {
    const result = await runWorker({ ...validEnv(), GATEHOUSE_LINK_KEYS: 'l1:c2hvcnQ' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/GATEHOUSE_LINK_KEYS|link key/i);
  });

  it.each([
    ['a repeated key id', (pub: string) => `g0:${pub},g0:${pub}`, 'entry 2: key id "g0" appears more than once'],
    ['bad hex', () => 'g0:not-hex', 'entry 1: key "g0" must be 64 hex characters'],
    ['the signing key id with another key', (pub: string) => `g1:${pub}`, 'key id "g1" is the signing key\'s'],
  ])('refuses GATEHOUSE_LINK_GRANT_PUBLIC_KEYS with %s, naming it', async (_what, spec, problem) => {
    const result = await runWorker({ ...validEnv(), GATEHOUSE_LINK_GRANT_PUBLIC_KEYS: spec(generateDecisionKeyPair().publicKeyHex) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`gatehouse worker: GATEHOUSE_LINK_GRANT_PUBLIC_KEYS: ${problem}`);
  });
});
