/** Activity: copy a run's audit entries into the append-only, hash-chained log. */
import type { AuditLog } from '../src/audit/chain';
import { auditEntries } from '../src/audit/record';
import type { ApprovalState } from '../src/domain/state';

export function createRecordAudit(auditLog: AuditLog) {
  return async function recordAudit(input: { state: ApprovalState }): Promise<{ appended: number }> {
    // Idempotent by entry id: a retried activity appends nothing twice.
    return auditLog.append(auditEntries(input.state));
  };
}
