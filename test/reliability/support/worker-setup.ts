/**
 * What a spawned worker process needs besides Temporal and SMTP: a policy directory for
 * `http.request` (auto-approved up to an amount, reviewed above it), the fixture reviewers, a
 * decision key pair, link keys, and files for the audit log; plus proposals and approvals that fit.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ProposalInput } from '../../../src/domain/proposal';
import {
  createBytesSigner,
  createDecisionSigner,
  generateDecisionKeyPair,
  type BytesSigner,
  type DecisionSigner,
} from '../../../src/links/decision-signer';
import { decisionThroughLink } from '../../../src/links/link-issuer';
import { generateLinkSecret } from '../../../src/links/keyring';
import { generateSamplingKeySpec } from '../../../src/policy/sampling';
import { decideUpdate, getStateQuery } from '../../../workflows/messages';
import { eventually } from '../../support/harness';
import type { WorkerProcessEnv } from './worker-process';

const REVIEWERS = resolve(__dirname, '../../fixtures/policies/reviewers.yaml');
/** Above this amount the policy asks one approver (alice, bob or carol); up to it, nobody. */
export const REVIEW_ABOVE = 1_000;

export interface WorkerSetup {
  signer: DecisionSigner;
  grantSigner: BytesSigner;
  /** `kid:hex` of the agent key registered for `agent-7` (the client's `agentKey`). */
  agentKey: string;
  auditLog: string;
  /** `kid:hex` of the decision service's signing key (GATEHOUSE_DECISION_SIGNING_KEY). */
  decisionSigningKey: string;
  /** GATEHOUSE_LINK_KEYS, shared by the workers that mint links and the services that verify them. */
  linkKeys: string;
  env(place: Pick<WorkerProcessEnv, 'TEMPORAL_ADDRESS' | 'GATEHOUSE_TASK_QUEUE' | 'SMTP_URL' | 'GATEHOUSE_MAILDEV_API'>): WorkerProcessEnv;
  /** Rewrites the policy with another threshold; workers started from now on read it. */
  reviewAbove(amount: number): void;
}

export function prepareWorkerSetup(): WorkerSetup {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-reliability-'));
  const policiesDir = join(dir, 'policies');
  mkdirSync(policiesDir);
  const writePolicy = (reviewAbove: number) =>
    writeFileSync(
      join(policiesDir, 'http.request.yaml'),
      [
        'actionType: http.request',
        'risk: medium',
        'mode: exception-only',
        'triggers:',
        '  - id: large-amount',
        `    description: Amount above ${reviewAbove}`,
        `    when: { field: params.body.amount, op: gt, value: ${reviewAbove} }`,
        'approvals: { steps: [{ role: approver, count: 1 }] }',
        'sla: { expireAfter: 1h }',
        '',
      ].join('\n'),
    );
  writePolicy(REVIEW_ABOVE);
  const reviewersFile = join(policiesDir, 'reviewers.yaml');
  copyFileSync(REVIEWERS, reviewersFile);
  const keys = generateDecisionKeyPair();
  const grantKey = generateDecisionKeyPair();
  const agentKeys = generateDecisionKeyPair();
  // Beside the policies, as a deployment may keep it: the worker must not read it as a policy.
  const agentsFile = join(policiesDir, 'agents.yaml');
  writeFileSync(
    agentsFile,
    `agents:\n  - { id: agent-7, name: Refund agent, keys: ["rel-agent:${agentKeys.publicKeyHex}"], scope: [http.request] }\n`,
  );
  const linkKeys = `l1:${generateLinkSecret()}`;
  const samplingKey = generateSamplingKeySpec('rel');
  const auditLog = join(dir, 'audit.jsonl');
  return {
    signer: createDecisionSigner({ keyId: 'rel', privateKeyHex: keys.privateKeyHex }),
    grantSigner: createBytesSigner({ keyId: 'g1', privateKeyHex: grantKey.privateKeyHex }),
    agentKey: `rel-agent:${agentKeys.privateKeyHex}`,
    auditLog,
    decisionSigningKey: `rel:${keys.privateKeyHex}`,
    linkKeys,
    reviewAbove: writePolicy,
    env: (place) => ({
      ...place,
      GATEHOUSE_DECISION_PUBLIC_KEYS: `rel:${keys.publicKeyHex}`,
      GATEHOUSE_LINK_KEYS: linkKeys,
      GATEHOUSE_LINK_GRANT_KEY: `g1:${grantKey.privateKeyHex}`,
      GATEHOUSE_POLICIES_DIR: policiesDir,
      GATEHOUSE_REVIEWERS_FILE: reviewersFile,
      GATEHOUSE_AGENTS_FILE: agentsFile,
      GATEHOUSE_AUDIT_LOG: auditLog,
      GATEHOUSE_SANDBOX_LEDGER: join(dir, 'sandbox.jsonl'),
      // The test targets listen on loopback, which the egress allow-list refuses unless named.
      GATEHOUSE_EGRESS_ALLOW: '127.0.0.1',
      GATEHOUSE_SAMPLING_KEY: samplingKey,
      GATEHOUSE_EMAIL_OUTBOX_FILE: join(dir, 'email-outbox.jsonl'),
    }),
  };
}

/** An `http.request` proposal whose commit posts to `<targetUrl>/effects/<id>`. */
export function httpProposal(targetUrl: string, id: string, reviewed: boolean): ProposalInput {
  return {
    id,
    actionType: 'http.request',
    params: {
      method: 'POST',
      url: `${targetUrl}/effects/${id}`,
      body: { amount: reviewed ? REVIEW_ABOVE * 5 : 42 },
      verify: { url: `${targetUrl}/check/${id}` },
    },
    agent: { id: 'agent-7', name: 'Refund agent' },
    requestedBy: { id: 'peter', name: 'Peter Principal' },
    summary: `Reliability test ${id}`,
    evidence: { rationale: 'fault injection', confidence: 0.9 },
  };
}

/** Waits until the run asks for approval, then approves it as alice. */
export async function approveWhenWaiting(
  handle: WorkflowHandle,
  setup: Pick<WorkerSetup, 'signer' | 'grantSigner'>,
  timeoutMs = 60_000,
): Promise<void> {
  const state = await eventually(
    async () => {
      const s = await handle.query(getStateQuery);
      return s.status === 'awaiting_approval' ? s : undefined;
    },
    timeoutMs,
    `${handle.workflowId} awaiting approval`,
  );
  await handle.executeUpdate(decideUpdate, {
    args: [
      decisionThroughLink(
        {
          nonce: randomUUID(),
          workflowId: handle.workflowId,
          round: state.round,
          reviewer: { id: 'alice', role: 'approver' },
          kind: 'approve',
          paramsHash: state.paramsHash,
          decidedAt: new Date().toISOString(),
        },
        setup.signer,
        setup.grantSigner,
      ),
    ],
  });
}
