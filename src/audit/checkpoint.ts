/**
 * Signed checkpoints of the chain's head, kept apart from the log. A key alone cannot catch a
 * truncated tail (the remaining lines still chain) nor a file rewritten by someone holding the
 * audit key; a checkpoint signed by the worker (Ed25519, verified with the public key only) says
 * "line N had hash H at time T", so a log shorter than N or with another hash at N is caught.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils';
import type { Pool } from 'pg';
import { z } from 'zod';
import { canonicalJson } from '../domain/canonical-hash';
import type { BytesSigner } from '../links/decision-signer';
import type { AuditLog, ChainHead } from './chain';
import { createTableInTurn } from './postgres-log';

export const CheckpointSchema = z.object({
  seq: z.number().int().min(1),
  head: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string(),
  keyId: z.string(),
  signature: z.string().regex(/^[0-9a-f]{128}$/),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** Domain-separated, so a checkpoint signature can never pass for any other Gatehouse signature. */
const checkpointBytes = (c: Pick<Checkpoint, 'seq' | 'head' | 'at'>): Uint8Array =>
  utf8ToBytes(canonicalJson({ purpose: 'gatehouse-audit-checkpoint', seq: c.seq, head: c.head, at: c.at }));

export function signCheckpoint(signer: BytesSigner, head: ChainHead, at: Date): Checkpoint {
  const body = { seq: head.seq, head: head.hash, at: at.toISOString() };
  const signature = signer.signBytes(checkpointBytes(body));
  return { ...body, keyId: signature.keyId, signature: signature.value };
}

/** Whether one of `publicKeys` (key id → hex) signed the checkpoint. */
export function checkpointSignedBy(checkpoint: Checkpoint, publicKeys: Readonly<Record<string, string>>): boolean {
  const key = Object.hasOwn(publicKeys, checkpoint.keyId) ? publicKeys[checkpoint.keyId] : undefined;
  if (!key) return false;
  try {
    return ed25519.verify(hexToBytes(checkpoint.signature), checkpointBytes(checkpoint), hexToBytes(key));
  } catch {
    return false;
  }
}

/** Thrown when a stored checkpoint cannot be read as one (a hand-edited checkpoint file, say). */
export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
}

/** Where checkpoints live: apart from the log, so one edit cannot change both. */
export interface CheckpointStore {
  add(checkpoint: Checkpoint): Promise<void>;
  read(): Promise<Checkpoint[]>;
  describe(): string;
  close?(): Promise<void>;
}

const parseStored = (value: unknown, where: string): Checkpoint => {
  const parsed = CheckpointSchema.safeParse(value);
  if (!parsed.success) throw new CheckpointFormatError(`${where} is not a checkpoint`);
  return parsed.data;
};

export function createFileCheckpointStore(file: string): CheckpointStore {
  return {
    async add(checkpoint) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${JSON.stringify(checkpoint)}\n`);
    },
    async read() {
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l, i) => {
          try {
            return parseStored(JSON.parse(l), `${file} line ${i + 1}`);
          } catch (err) {
            if (err instanceof CheckpointFormatError) throw err;
            throw new CheckpointFormatError(`${file} line ${i + 1} is not JSON`, { cause: err });
          }
        });
    },
    describe: () => file,
  };
}

const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;
const CHECKPOINT_DDL_LOCK = 7_342_119;

/** Checkpoints in a PostgreSQL table (by default beside the log's; ideally another database). */
export function createPostgresCheckpointStore(pool: Pool, table = 'gatehouse_audit_checkpoints', ownsPool = false): CheckpointStore {
  if (!TABLE.test(table)) throw new CheckpointFormatError(`checkpoint table "${table}" is not a plain table name`);
  let ready: Promise<unknown> | undefined;
  // Taken in turns (see the log's table): concurrent CREATE TABLE IF NOT EXISTS can collide.
  const ensureTable = () =>
    (ready ??= createTableInTurn(
      pool,
      CHECKPOINT_DDL_LOCK,
      `CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, checkpoint jsonb NOT NULL)`,
    ).catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));
  return {
    async add(checkpoint) {
      await ensureTable();
      await pool.query(`INSERT INTO ${table} (checkpoint) VALUES ($1)`, [JSON.stringify(checkpoint)]);
    },
    async read() {
      await ensureTable();
      const rows = await pool.query<{ id: string; checkpoint: unknown }>(`SELECT id, checkpoint FROM ${table} ORDER BY id`);
      return rows.rows.map((r) => parseStored(r.checkpoint, `${table} row ${r.id}`));
    },
    describe: () => `PostgreSQL table ${table}`,
    ...(ownsPool ? { close: () => pool.end() } : {}),
  };
}

/** An audit log that signs a checkpoint of its head after every append that moved it. */
export interface AnchoredAuditLog extends AuditLog {
  /** Signs the current head if no checkpoint of this process covers it yet; the periodic anchor. */
  checkpoint(): Promise<Checkpoint | undefined>;
  readonly checkpoints: CheckpointStore;
}

export function anchorAuditLog(log: AuditLog, anchor: { signer: BytesSigner; store: CheckpointStore; now?: () => Date }): AnchoredAuditLog {
  const now = anchor.now ?? (() => new Date());
  let anchored: ChainHead | undefined;
  const sign = async (head: ChainHead | undefined): Promise<Checkpoint | undefined> => {
    if (!head || (anchored && anchored.seq === head.seq && anchored.hash === head.hash)) return undefined;
    const checkpoint = signCheckpoint(anchor.signer, head, now());
    // Written before the append is reported done: a failure makes the activity retry, and the
    // retried (idempotent) append comes back here with the same head.
    await anchor.store.add(checkpoint);
    anchored = head;
    return checkpoint;
  };
  return {
    async append(entries) {
      const result = await log.append(entries);
      await sign(result.head);
      return result;
    },
    read: () => log.read(),
    head: () => log.head(),
    describe: () => `${log.describe()} (checkpoints: ${anchor.store.describe()})`,
    checkpoint: async () => sign(await log.head()),
    checkpoints: anchor.store,
    async close() {
      await log.close?.();
      await anchor.store.close?.();
    },
  };
}
