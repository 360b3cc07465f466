/**
 * One factory for every activity, taking their dependencies, so tests and the worker build them
 * the same way.
 */
import type { ActionTypeRegistry } from '../src/actions/registry';
import type { AuditLog } from '../src/audit/chain';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import type { Logger } from '../src/observability/logger';
import type { PolicyBook } from '../src/policy/load';
import { createEvaluatePolicy } from './evaluate-policy';
import { createExecutionActivities } from './execute';
import { createNotify, type NotifyDeps } from './notify';
import { createRecordAudit } from './record-audit';

export interface ActivityDeps extends NotifyDeps {
  policyBook: PolicyBook;
  actionTypes: ActionTypeRegistry;
  /** Public keys runs trust; the grant key's public half is added from `grantSigner`. */
  decisionKeys: TrustedKeys['decision'];
  operatorKeys?: TrustedKeys['operators'];
  /** Where the hash-chained audit entries go (JSONL file or PostgreSQL). */
  auditLog: AuditLog;
  logger: Logger;
}

export function createActivities(deps: ActivityDeps) {
  return {
    evaluatePolicy: createEvaluatePolicy(deps.policyBook, deps.actionTypes, trustedKeysOf(deps)),
    notify: createNotify(deps),
    recordAudit: createRecordAudit(deps.auditLog),
    ...createExecutionActivities({ actionTypes: deps.actionTypes, policyBook: deps.policyBook, trustedKeys: trustedKeysOf(deps), logger: deps.logger }),
  };
}

function trustedKeysOf(deps: ActivityDeps): TrustedKeys {
  return {
    decision: deps.decisionKeys,
    grants: { [deps.grantSigner.keyId]: deps.grantSigner.publicKeyHex },
    operators: deps.operatorKeys ?? {},
  };
}

export type GatehouseActivities = ReturnType<typeof createActivities>;
