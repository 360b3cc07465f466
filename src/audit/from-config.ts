/** The audit log the configuration asks for: PostgreSQL when a database is given, else the JSONL file. */
import { Pool } from 'pg';
import type { Config } from '../config/env';
import type { AuditLog } from './chain';
import { createFileAuditLog } from './hash-chain-log';
import { createPostgresAuditLog } from './postgres-log';

export function auditLogFromConfig(config: Pick<Config, 'GATEHOUSE_AUDIT_LOG' | 'GATEHOUSE_AUDIT_DATABASE_URL'>): AuditLog {
  if (!config.GATEHOUSE_AUDIT_DATABASE_URL) return createFileAuditLog(config.GATEHOUSE_AUDIT_LOG);
  const pool = new Pool({ connectionString: config.GATEHOUSE_AUDIT_DATABASE_URL, max: 2, application_name: 'gatehouse-audit' });
  // An idle client dropped by the server emits 'error'; unheard, it would end the process. The
  // pool replaces the client on the next append, which the activity retries anyway.
  pool.on('error', () => undefined);
  return createPostgresAuditLog(pool);
}
