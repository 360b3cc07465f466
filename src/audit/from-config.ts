/** The audit log the configuration asks for: PostgreSQL when a database is given, else the JSONL file. */
import { Pool } from 'pg';
import type { Config } from '../config/env';
import { createBytesSigner, parseDecisionSigningKey } from '../links/decision-signer';
import type { AuditLog } from './chain';
import {
  anchorAuditLog,
  createFileCheckpointStore,
  createPostgresCheckpointStore,
  type AnchoredAuditLog,
  type CheckpointStore,
} from './checkpoint';
import { createFileAuditLog } from './hash-chain-log';
import { createPostgresAuditLog } from './postgres-log';

export type AuditConfig = Pick<
  Config,
  | 'GATEHOUSE_AUDIT_LOG'
  | 'GATEHOUSE_AUDIT_DATABASE_URL'
  | 'GATEHOUSE_AUDIT_KEYS'
  | 'GATEHOUSE_AUDIT_CHECKPOINT_KEY'
  | 'GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEYS'
  | 'GATEHOUSE_AUDIT_CHECKPOINTS'
>;

function auditPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 2, application_name: 'gatehouse-audit' });
  // An idle client dropped by the server emits 'error'; unheard, it would end the process. The
  // pool replaces the client on the next append, which the activity retries anyway.
  pool.on('error', () => undefined);
  return pool;
}

/** Where the checkpoints of the configured log are kept. */
export function checkpointStoreFromConfig(config: AuditConfig): CheckpointStore {
  const where = config.GATEHOUSE_AUDIT_CHECKPOINTS;
  if (where && /^postgres(ql)?:\/\//.test(where)) return createPostgresCheckpointStore(auditPool(where), undefined, true);
  if (where) return createFileCheckpointStore(where);
  if (config.GATEHOUSE_AUDIT_DATABASE_URL)
    return createPostgresCheckpointStore(auditPool(config.GATEHOUSE_AUDIT_DATABASE_URL), undefined, true);
  return createFileCheckpointStore(`${config.GATEHOUSE_AUDIT_LOG}.checkpoints`);
}

/** Public checkpoint keys the verifier accepts: the listed ones, and this process's own key's. */
export function checkpointPublicKeys(config: AuditConfig): Record<string, string> {
  const keys: Record<string, string> = { ...config.GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEYS };
  if (config.GATEHOUSE_AUDIT_CHECKPOINT_KEY) {
    const signer = createBytesSigner(parseDecisionSigningKey(config.GATEHOUSE_AUDIT_CHECKPOINT_KEY, 'audit checkpoint key'));
    keys[signer.keyId] = signer.publicKeyHex;
  }
  return keys;
}

/** The log as written by the worker: keyed with GATEHOUSE_AUDIT_KEYS, anchored when a checkpoint key is set. */
export function auditLogFromConfig(config: AuditConfig): AuditLog | AnchoredAuditLog {
  const keyring = config.GATEHOUSE_AUDIT_KEYS;
  const log = config.GATEHOUSE_AUDIT_DATABASE_URL
    ? createPostgresAuditLog(auditPool(config.GATEHOUSE_AUDIT_DATABASE_URL), keyring)
    : createFileAuditLog(config.GATEHOUSE_AUDIT_LOG, keyring);
  if (!config.GATEHOUSE_AUDIT_CHECKPOINT_KEY) return log;
  const signer = createBytesSigner(
    parseDecisionSigningKey(config.GATEHOUSE_AUDIT_CHECKPOINT_KEY, 'audit checkpoint key'),
    'audit checkpoint key',
  );
  return anchorAuditLog(log, { signer, store: checkpointStoreFromConfig(config) });
}
