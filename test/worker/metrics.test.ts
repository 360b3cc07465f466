/**
 * The worker process's Prometheus endpoint: the SDK's runtime metrics plus Gatehouse's own series
 * with the right labels, after a few real runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { GatehouseClient } from '../../src/client';
import { createBytesSigner, createDecisionSigner, generateDecisionKeyPair } from '../../src/links/decision-signer';
import { decisionThroughLink } from '../../src/links/link-issuer';
import { generateLinkSecret } from '../../src/links/keyring';
import { startDevInbox } from '../../src/mail/dev-inbox';
import { freePort } from '../../src/util/free-port';
import { workflowIdFor } from '../../src/domain/ids';
import { generateSamplingKeySpec, parseSamplingKey, samplingDraw } from '../../src/policy/sampling';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { eventually } from '../support/harness';

const ROOT = resolve(__dirname, '../..');
let worker: ChildProcess;
let connection: Connection;
let inbox: Awaited<ReturnType<typeof startDevInbox>>;
let metricsUrl: string;
let gatehouse: GatehouseClient;
let client: Client;
const keys = generateDecisionKeyPair();
const agentKeys = generateDecisionKeyPair();
const signer = createDecisionSigner({ keyId: 'm1', privateKeyHex: keys.privateKeyHex });
const grantKey = generateDecisionKeyPair();
const grantSigner = createBytesSigner({ keyId: 'g1', privateKeyHex: grantKey.privateKeyHex });
const taskQueue = `metrics-${randomUUID()}`;
const samplingKeySpec = generateSamplingKeySpec('m1');

beforeAll(async () => {
  inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-metrics-'));
  const agentsFile = join(dir, 'agents.yaml');
  writeFileSync(
    agentsFile,
    `agents:\n  - { id: metrics-agent, name: Metrics agent, keys: ["ma1:${agentKeys.publicKeyHex}"], scope: [ticket.update, email.send] }\n`,
  );
  worker = spawn('node', [join(ROOT, 'dist/src/worker/main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      GATEHOUSE_MODE: 'dev',
      TEMPORAL_ADDRESS: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
      GATEHOUSE_TASK_QUEUE: taskQueue,
      GATEHOUSE_DECISION_PUBLIC_KEYS: `m1:${keys.publicKeyHex}`,
      GATEHOUSE_LINK_KEYS: `l1:${generateLinkSecret()}`,
      GATEHOUSE_LINK_GRANT_KEY: `g1:${grantKey.privateKeyHex}`,
      GATEHOUSE_SAMPLING_KEY: samplingKeySpec,
      SMTP_URL: inbox.smtpUrl,
      GATEHOUSE_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      GATEHOUSE_SANDBOX_LEDGER: join(dir, 'effects.jsonl'),
      GATEHOUSE_EMAIL_OUTBOX_FILE: join(dir, 'email-outbox.jsonl'),
      GATEHOUSE_AUDIT_LOG: join(dir, 'audit.jsonl'),
      GATEHOUSE_AGENTS_FILE: agentsFile,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  connection = await Connection.connect({ address: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']! });
  client = new Client({ connection });
  gatehouse = await GatehouseClient.connect({ client, taskQueue, agentKey: `ma1:${agentKeys.privateKeyHex}` });
});

afterAll(async () => {
  worker?.kill('SIGTERM');
  await new Promise((r) => worker?.once('exit', r));
  await connection?.close();
  await inbox?.close();
});

const proposal = (actionType: string, params: Record<string, unknown>, evidence: Record<string, unknown> = { rationale: 'test' }) => ({
  id: `m-${randomUUID()}`,
  actionType,
  params,
  agent: { id: 'metrics-agent', name: 'Metrics agent' },
  requestedBy: { id: 'tom.ticketing' },
  summary: `metrics test ${actionType}`,
  evidence,
});

describe('worker metrics', () => {
  it('exposes runtime metrics and gatehouse series with action type, decision and status labels', async () => {
    // Ids the 10 % sampling leaves out (the test knows the worker's key), so the expected counts are known in advance.
    const unsampled = () => {
      for (;;) {
        const p = proposal(
          'ticket.update',
          { ticketId: 'OPS-1', fields: { priority: 'P3' } },
          // The shipped policy asks for the seed's evidence: classification rationale and extracted fields.
          { confidence: 0.9, rationale: 'routine', extractedFields: { priority: 'P3' } },
        );
        if (samplingDraw(workflowIdFor(p), parseSamplingKey(samplingKeySpec)) >= 0.1) return p;
      }
    };
    const tickets = await Promise.all(Array.from({ length: 3 }, () => gatehouse.propose(unsampled())));
    const email = await gatehouse.propose(
      proposal(
        'email.send',
        { to: ['someone@customer.example'], subject: 'Hello', text: 'Hi there' },
        {
          rationale: 'asked',
          confidence: 0.95,
          preview: 'Hi there',
          customerContext: 'asked for a greeting',
          sources: [{ title: 'Ticket #1' }],
          policyChecks: [{ check: 'tone', outcome: 'passed' }],
        },
      ),
    );
    const handle = client.workflow.getHandle(email.workflowId);
    const state = await eventually(
      async () => {
        const s = await handle.query(getStateQuery);
        return s.status === 'awaiting_approval' ? s : undefined;
      },
      30_000,
      'email awaiting approval',
    );
    await handle.executeUpdate(decideUpdate, {
      args: [
        decisionThroughLink(
          {
            nonce: randomUUID(),
            workflowId: email.workflowId,
            round: state.round,
            reviewer: { id: 'sam.support', role: 'support-lead' },
            kind: 'approve',
            paramsHash: state.paramsHash,
            decidedAt: new Date().toISOString(),
          },
          signer,
          grantSigner,
        ),
      ],
    });
    expect((await email.result()).status).toBe('succeeded');
    for (const t of tickets) expect((await t.result()).status).toBe('succeeded');

    const text = await eventually(
      async () => {
        const body = await (await fetch(metricsUrl)).text();
        return /gatehouse_decisions\S*\{[^}]*action_type="email.send"[^}]*decision="approve"/.test(body) ? body : undefined;
      },
      20_000,
      'gatehouse metrics',
    );
    expect(text).toMatch(/gatehouse_outcomes\S*\{[^}]*action_type="email.send"[^}]*status="succeeded"[^}]*\} 1/);
    expect(text).toMatch(/gatehouse_time_to_decision\S*_bucket\{[^}]*action_type="email.send"/);
    expect(text).toMatch(/gatehouse_sampled_out\S*\{[^}]*action_type="ticket.update"[^}]*\} 3/);
    expect(text).toMatch(/gatehouse_auto_approved\S*\{[^}]*action_type="ticket.update"[^}]*\} 3/);
    expect(text).toMatch(/temporal_workflow_completed/);
  }, 60_000);
});
