/** Activity: copy a run's audit entries into the append-only, hash-chained log. */
import { appendEntries } from '../src/audit/hash-chain-log';
import { auditEntries } from '../src/audit/record';
import type { ApprovalState } from '../src/domain/state';

export function createRecordAudit(auditLogFile: string) {
  return async function recordAudit(input: { state: ApprovalState }): Promise<{ appended: number }> {
    // Idempotent by entry id: a retried activity appends nothing twice.
    return appendEntries(auditLogFile, auditEntries(input.state));
  };
}
