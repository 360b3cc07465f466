/**
 * `access.grant` on PostgreSQL roles: `GRANT role TO subject`, verified by reading
 * `pg_auth_members`, undone by `REVOKE`. The grant and a ledger row keyed by the idempotency key
 * commit in one transaction (role membership is transactional in PostgreSQL), so a retry after a
 * crash finds its ledger row and grants nothing, and a crash before COMMIT leaves neither.
 *
 * Temporary grants: the ledger keeps `expires_at`; `revokeExpired` revokes the grants that are
 * due (the worker runs it every minute), and verify reports an expired grant as not in effect.
 * A membership that existed before the approval is recorded as such and is never revoked by
 * rollback or expiry: Gatehouse only takes back what it gave.
 *
 * Role names come from the agent: each must match a conservative pattern (zod) and is then
 * quoted with `escapeIdentifier`; values travel as parameters.
 */
import { DatabaseError, escapeIdentifier, type Pool, type PoolClient } from 'pg';
import { z } from 'zod';
import { CommitRejectedError, type CommitRecord, type Executor } from '../../src/actions/executor';
import type { AccessGrantParamsSchema } from '../../src/actions/schemas';
import { inTransaction } from './db-write';

export type AccessGrantParams = z.infer<typeof AccessGrantParamsSchema>;

/** Lives in the access system's database, so it commits with the grant. */
export const GRANTS_TABLE = 'gatehouse_access_grants';

const GRANTS_DDL = `CREATE TABLE IF NOT EXISTS ${GRANTS_TABLE} (
  idempotency_key text PRIMARY KEY,
  role text NOT NULL,
  member text NOT NULL,
  granted boolean NOT NULL,
  expires_at timestamptz,
  applied_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoke_reason text
)`;

/**
 * Letters, digits, `_`, `.` and `-`, at most 63 bytes (PostgreSQL truncates longer names); enough
 * for `new.hire` and `payments-write`, nothing that needs more than plain double quotes.
 */
export const PgRoleNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/, 'a PostgreSQL role name: a letter or _, then letters, digits, _ . - (at most 63)')
  .refine((name) => !/^pg_/i.test(name), 'predefined pg_* roles are not granted through Gatehouse');

const PgGrantSchema = z.object({ role: PgRoleNameSchema, subject: PgRoleNameSchema });

export interface AccessGrantExecutorOptions {
  /** Admin connections by the `system` name proposals use. */
  systems: Record<string, Pool>;
  /** For tests: the clock expiry is judged by. */
  now?: () => Date;
}

interface Grant {
  role: string;
  member: string;
  /** Quoted for SQL text. */
  roleSql: string;
  memberSql: string;
}

function rejected(message: string): CommitRejectedError {
  return new CommitRejectedError(`access.grant refused: ${message}`);
}

function grantOf(params: AccessGrantParams): Grant {
  const parsed = PgGrantSchema.safeParse({ role: params.role, subject: params.subject });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw rejected(`${issue?.path.join('.') ?? 'role'}: ${issue?.message ?? 'invalid'}`);
  }
  if (parsed.data.role === parsed.data.subject) throw rejected('a role cannot be granted to itself');
  return {
    role: parsed.data.role,
    member: parsed.data.subject,
    roleSql: escapeIdentifier(parsed.data.role),
    memberSql: escapeIdentifier(parsed.data.subject),
  };
}

/** SQLSTATE classes a retry will hit again: data (22), constraints (23), names and privileges (42), 0A, 0L, 0P. */
const PERMANENT_SQLSTATE = /^(22|23|42|0A|0L|0P)/;

function classify(err: unknown, doing: string): Error {
  if (err instanceof CommitRejectedError) return err;
  if (err instanceof DatabaseError && err.code && PERMANENT_SQLSTATE.test(err.code)) {
    return new CommitRejectedError(`access.grant refused while ${doing}: ${err.message} (SQLSTATE ${err.code})`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function ensureLedger(client: PoolClient): Promise<void> {
  const found = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [GRANTS_TABLE]);
  if (found.rows[0]?.exists) return;
  try {
    await client.query(GRANTS_DDL);
  } catch (err) {
    if (err instanceof DatabaseError && (err.code === '23505' || err.code === '42P07')) {
      throw new Error(`the ${GRANTS_TABLE} ledger was being created concurrently; retry`, { cause: err });
    }
    throw err;
  }
}

/** Direct membership, read from the catalog (never from the ledger). */
async function isMember(client: PoolClient | Pool, grant: Grant): Promise<boolean> {
  const result = await client.query(
    `SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
      WHERE r.rolname = $1 AND u.rolname = $2 LIMIT 1`,
    [grant.role, grant.member],
  );
  return result.rows.length > 0;
}

interface LedgerRow {
  role: string;
  member: string;
  granted: boolean;
  expires_at: Date | null;
  applied_at: Date;
  revoked_at: Date | null;
  revoke_reason: string | null;
}

function recordOf(system: string, row: LedgerRow): CommitRecord {
  return {
    system,
    role: row.role,
    member: row.member,
    // False: the subject already held the role; Gatehouse granted nothing and will revoke nothing.
    granted: row.granted,
    ...(row.expires_at ? { expiresAt: row.expires_at.toISOString() } : {}),
    appliedAt: row.applied_at.toISOString(),
    ...(row.revoked_at ? { revokedAt: row.revoked_at.toISOString(), revokeReason: row.revoke_reason } : {}),
    ledger: GRANTS_TABLE,
  };
}

/** Revokes unless another live grant in the ledger still gives the same membership. */
async function revokeUnlessHeldElsewhere(client: PoolClient, grant: Grant, key: string, at: Date): Promise<boolean> {
  const others = await client.query(
    `SELECT 1 FROM ${GRANTS_TABLE} WHERE role = $1 AND member = $2 AND idempotency_key <> $3 AND revoked_at IS NULL
        AND (expires_at IS NULL OR expires_at > $4) LIMIT 1`,
    [grant.role, grant.member, key, at],
  );
  if (others.rows.length > 0 || !(await isMember(client, grant))) return false;
  await client.query(`REVOKE ${grant.roleSql} FROM ${grant.memberSql}`);
  return true;
}

export function createAccessGrantExecutor(options: AccessGrantExecutorOptions): Executor<AccessGrantParams> & {
  /** Revokes every grant whose expiry has passed; returns their idempotency keys. */
  revokeExpired(): Promise<string[]>;
} {
  const now = options.now ?? (() => new Date());

  function poolFor(system: string): Pool {
    const pool = Object.hasOwn(options.systems, system) ? options.systems[system] : undefined;
    if (!pool) throw rejected(`no access system "${system}" is configured on this worker`);
    return pool;
  }

  return {
    async readPreconditions(params, fields) {
      const grant = grantOf(params);
      const member = await isMember(poolFor(params.system), grant);
      return fields.includes('member') ? { member } : {};
    },

    async commit(params, ctx) {
      const grant = grantOf(params);
      if (params.expiresAt && new Date(params.expiresAt) <= now())
        throw rejected(`the grant expired at ${params.expiresAt}, before it was made`);
      const outcome = await inTransaction(poolFor(params.system), 'BEGIN', async (client) => {
        await ensureLedger(client);
        // Claim the key first: a concurrent attempt with the same key waits here, then finds it.
        const claim = await client.query<LedgerRow>(
          `INSERT INTO ${GRANTS_TABLE} (idempotency_key, role, member, granted, expires_at) VALUES ($1, $2, $3, false, $4)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
          [ctx.idempotencyKey, grant.role, grant.member, params.expiresAt ?? null],
        );
        if (claim.rows.length === 0) {
          const earlier = (await client.query<LedgerRow>(`SELECT * FROM ${GRANTS_TABLE} WHERE idempotency_key = $1`, [ctx.idempotencyKey]))
            .rows[0]!;
          if (earlier.role !== grant.role || earlier.member !== grant.member)
            throw rejected(`idempotency key ${ctx.idempotencyKey} was already used for another grant`);
          return { commit: false, value: { alreadyApplied: true, record: recordOf(params.system, earlier) } };
        }
        const roles = await client.query<{ rolname: string; rolsuper: boolean }>(
          'SELECT rolname, rolsuper FROM pg_roles WHERE rolname = ANY($1)',
          [[grant.role, grant.member]],
        );
        const byName = new Map(roles.rows.map((r) => [r.rolname, r]));
        if (!byName.has(grant.role)) throw rejected(`role "${grant.role}" does not exist in ${params.system}`);
        if (!byName.has(grant.member)) throw rejected(`subject "${grant.member}" is not a role in ${params.system}`);
        if (byName.get(grant.role)!.rolsuper) throw rejected(`"${grant.role}" is a superuser role`);
        const already = await isMember(client, grant);
        if (!already) await client.query(`GRANT ${grant.roleSql} TO ${grant.memberSql}`);
        const row = (
          await client.query<LedgerRow>(`UPDATE ${GRANTS_TABLE} SET granted = $2 WHERE idempotency_key = $1 RETURNING *`, [
            ctx.idempotencyKey,
            !already,
          ])
        ).rows[0]!;
        return { commit: true, value: { alreadyApplied: false, record: recordOf(params.system, row) } };
      }).catch((err: unknown) => {
        throw classify(err, `granting ${grant.role} to ${grant.member}`);
      });
      ctx.logger.info({ system: params.system, role: grant.role, alreadyApplied: outcome.alreadyApplied }, 'access.grant commit');
      return outcome;
    },

    async verify(params, _record, ctx) {
      const grant = grantOf(params);
      const pool = poolFor(params.system);
      const member = await isMember(pool, grant);
      const found = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [GRANTS_TABLE]);
      const row = found.rows[0]?.exists
        ? (await pool.query<LedgerRow>(`SELECT * FROM ${GRANTS_TABLE} WHERE idempotency_key = $1`, [ctx.idempotencyKey])).rows[0]
        : undefined;
      const ledger = !row ? 'missing' : row.revoked_at ? 'revoked' : 'applied';
      const expired = row?.expires_at ? row.expires_at <= now() : false;
      return {
        ok: member && ledger === 'applied' && !expired,
        observed: { member, ledger, ...(row?.expires_at ? { expiresAt: row.expires_at.toISOString(), expired } : {}) },
      };
    },

    async rollback(params, _record, ctx) {
      const grant = grantOf(params);
      const result = await inTransaction(
        poolFor(params.system),
        'BEGIN',
        async (client): Promise<{ commit: boolean; value: CommitRecord }> => {
          await ensureLedger(client);
          const row = (
            await client.query<LedgerRow>(`SELECT * FROM ${GRANTS_TABLE} WHERE idempotency_key = $1 FOR UPDATE`, [ctx.idempotencyKey])
          ).rows[0];
          if (!row) return { commit: false, value: { rolledBack: false, reason: 'nothing was granted under this key' } };
          if (row.revoked_at)
            return { commit: false, value: { rolledBack: true, alreadyRolledBack: true, revokedAt: row.revoked_at.toISOString() } };
          const revoked = row.granted ? await revokeUnlessHeldElsewhere(client, grant, ctx.idempotencyKey, now()) : false;
          const marked = await client.query<{ revoked_at: Date }>(
            `UPDATE ${GRANTS_TABLE} SET revoked_at = now(), revoke_reason = 'rollback' WHERE idempotency_key = $1 RETURNING revoked_at`,
            [ctx.idempotencyKey],
          );
          return { commit: true, value: { rolledBack: true, revoked, revokedAt: marked.rows[0]!.revoked_at.toISOString() } };
        },
      ).catch((err: unknown) => {
        throw classify(err, `revoking ${grant.role} from ${grant.member}`);
      });
      ctx.logger.info({ system: params.system, role: grant.role, ...result }, 'access.grant rollback');
      return result;
    },

    async revokeExpired() {
      const done: string[] = [];
      for (const pool of Object.values(options.systems)) {
        const keys = await inTransaction(pool, 'BEGIN', async (client) => {
          const exists = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [GRANTS_TABLE]);
          if (!exists.rows[0]?.exists) return { commit: false, value: [] as string[] };
          // SKIP LOCKED: two workers sweeping at once split the due grants instead of waiting.
          const due = await client.query<LedgerRow & { idempotency_key: string }>(
            `SELECT * FROM ${GRANTS_TABLE} WHERE expires_at <= $1 AND revoked_at IS NULL ORDER BY expires_at FOR UPDATE SKIP LOCKED`,
            [now()],
          );
          for (const row of due.rows) {
            const grant = grantOf({ system: '', justification: '', role: row.role, subject: row.member });
            if (row.granted) await revokeUnlessHeldElsewhere(client, grant, row.idempotency_key, now());
            await client.query(`UPDATE ${GRANTS_TABLE} SET revoked_at = now(), revoke_reason = 'expired' WHERE idempotency_key = $1`, [
              row.idempotency_key,
            ]);
          }
          return { commit: true, value: due.rows.map((r) => r.idempotency_key) };
        });
        done.push(...keys);
      }
      return done;
    },
  };
}
