/**
 * One factory for every activity, taking their dependencies, so tests and the worker build them
 * the same way.
 */
import type { ActionTypeRegistry } from '../src/actions/registry';
import { DEFAULT_LOCAL_COMMITS } from '../src/config/env';
import type { AuditLog } from '../src/audit/chain';
import type { AgentRegistry } from '../src/domain/agent-auth';
import type { DecisionPublicKeys } from '../src/domain/decision-signature';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import type { Logger } from '../src/observability/logger';
import type { PolicyBook } from '../src/policy/load';
import type { SamplingKey } from '../src/policy/sampling';
import { createDeliverOutcome, type WebhookSettings } from './deliver-outcome';
import { createEvaluatePolicy } from './evaluate-policy';
import { createExecutionActivities, type EgressSettings } from './execute';
import { createNotify, type NotifyDeps } from './notify';
import { createReadTrust } from './read-trust';
import { createRecordAudit } from './record-audit';
import { createUpdateSlackCards } from './slack-cards';

export interface ActivityDeps extends NotifyDeps {
  policyBook: PolicyBook;
  actionTypes: ActionTypeRegistry;
  /** Public keys runs trust; the grant key's public half is added from `grantSigner`. */
  decisionKeys: TrustedKeys['decision'];
  /**
   * More grant keys runs trust besides `grantSigner`'s own (GATEHOUSE_LINK_GRANT_PUBLIC_KEYS): the
   * next key ahead of a switch, the previous one after it. The commit re-checks with them too.
   */
  grantPublicKeys?: DecisionPublicKeys;
  /** Operators' own keys: they decide, withdraw and revise as themselves. */
  operatorKeys?: TrustedKeys['operators'];
  /** Registered agents (GATEHOUSE_AGENTS_FILE): who may propose what, with which keys. */
  agents: AgentRegistry;
  /** Where the hash-chained audit entries go (JSONL file or PostgreSQL). */
  auditLog: AuditLog;
  logger: Logger;
  /** Where executors may send requests (GATEHOUSE_EGRESS_ALLOW, plus each policy's `egress`). */
  egress: EgressSettings;
  /** Keys the sampled-mode draw, so an agent cannot pick workflow ids that are never reviewed. */
  samplingKey: SamplingKey;
  /** Outcome webhooks: their key and allow-list; absent, runs that ask for one fail its delivery. */
  webhooks?: WebhookSettings;
  /**
   * Auto-approved commits run inside their workflow tasks at once (GATEHOUSE_WORKER_LOCAL_COMMITS);
   * 0: none, every commit is a regular activity.
   */
  localCommits?: number;
}

export function createActivities(deps: ActivityDeps) {
  const localCommits = deps.localCommits ?? DEFAULT_LOCAL_COMMITS;
  return {
    evaluatePolicy: createEvaluatePolicy({ ...deps, keys: trustedKeysOf(deps), commitInTask: localCommits > 0 }),
    readTrust: createReadTrust({ keys: trustedKeysOf(deps), agents: deps.agents }),
    notify: createNotify(deps),
    updateSlackCards: createUpdateSlackCards(deps),
    recordAudit: createRecordAudit(deps.auditLog),
    deliverOutcome: createDeliverOutcome({ ...(deps.webhooks ? { webhooks: deps.webhooks } : {}), logger: deps.logger }),
    ...createExecutionActivities({
      actionTypes: deps.actionTypes,
      policyBook: deps.policyBook,
      trustedKeys: trustedKeysOf(deps),
      samplingKey: deps.samplingKey,
      agents: deps.agents,
      egress: deps.egress,
      logger: deps.logger,
      localCommits,
    }),
  };
}

function trustedKeysOf(deps: ActivityDeps): TrustedKeys {
  return {
    decision: deps.decisionKeys,
    // The signer's own key last: its id always names its own public half.
    grants: { ...deps.grantPublicKeys, [deps.grantSigner.keyId]: deps.grantSigner.publicKeyHex },
    operators: deps.operatorKeys ?? {},
  };
}

export type GatehouseActivities = ReturnType<typeof createActivities>;
