/** The audit log the configuration asks for: PostgreSQL when a database is given, else the JSONL file. */
import { Pool } from 'pg';
import type { Config } from '../config/env';
import type { AuditLog } from './chain';
import { createFileAuditLog } from './hash-chain-log';
import { createPostgresAuditLog } from './postgres-log';

export function auditLogFromConfig(config: Pick<Config, 'GATEHOUSE_AUDIT_LOG' | 'GATEHOUSE_AUDIT_DATABASE_URL'>): AuditLog {
  return config.GATEHOUSE_AUDIT_DATABASE_URL
    ? createPostgresAuditLog(new Pool({ connectionString: config.GATEHOUSE_AUDIT_DATABASE_URL, max: 2, application_name: 'gatehouse-audit' }))
    : createFileAuditLog(config.GATEHOUSE_AUDIT_LOG);
}
