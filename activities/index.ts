/**
 * One factory for every activity, taking their dependencies, so tests and the worker build them
 * the same way.
 */
import type { ActionTypeRegistry } from '../src/actions/registry';
import type { AuditLog } from '../src/audit/chain';
import type { AgentRegistry, OperatorPublicKeys } from '../src/domain/agent-auth';
import type { DecisionPublicKeys } from '../src/domain/decision-signature';
import type { Logger } from '../src/observability/logger';
import type { PolicyBook } from '../src/policy/load';
import { createEvaluatePolicy } from './evaluate-policy';
import { createExecutionActivities } from './execute';
import { createNotify, type NotifyDeps } from './notify';
import { createRecordAudit } from './record-audit';

export interface ActivityDeps extends NotifyDeps {
  policyBook: PolicyBook;
  actionTypes: ActionTypeRegistry;
  decisionKeys: DecisionPublicKeys;
  /** Registered agents (GATEHOUSE_AGENTS_FILE): who may propose what, with which keys. */
  agents: AgentRegistry;
  /** Operators' own public keys, which may sign withdrawals and revisions of any run. */
  operatorKeys?: OperatorPublicKeys;
  /** Where the hash-chained audit entries go (JSONL file or PostgreSQL). */
  auditLog: AuditLog;
  logger: Logger;
}

export function createActivities(deps: ActivityDeps) {
  return {
    evaluatePolicy: createEvaluatePolicy(deps),
    notify: createNotify(deps),
    recordAudit: createRecordAudit(deps.auditLog),
    ...createExecutionActivities(deps.actionTypes, deps.logger),
  };
}

export type GatehouseActivities = ReturnType<typeof createActivities>;
