/**
 * `code.deploy` as a deploy ref in a git repository: `refs/deploy/<environment>` is moved to the
 * approved commit, and whatever deploys from that ref (a CD job, a git-ops controller) takes it
 * from there. Runs offline; the repository per service comes from configuration.
 *
 * The move is a compare-and-swap in one git ref transaction (`git update-ref --stdin`): the
 * deploy ref moves only if it still points where the proposal saw it (`expectedCurrent`, else
 * where this commit read it), and a ledger ref `refs/gatehouse/deploys/<hash of key>` is created
 * with it, pointing at a blob that records the previous commit. Both land or neither does, so a
 * retry after a crash finds the ledger ref and moves nothing; rollback moves the deploy ref back
 * to the recorded previous commit, again only from the commit it deployed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { CommitRejectedError, type CommitRecord, type Executor } from '../../src/actions/executor';
import type { CodeDeployParamsSchema } from '../../src/actions/schemas';
import type { Egress } from '../../src/egress/guarded-fetch';

export type CodeDeployParams = z.infer<typeof CodeDeployParamsSchema>;

const run = promisify(execFile);
const ZERO_OID = '0'.repeat(40);
const OID = /^[0-9a-f]{40}$/;

const LedgerSchema = z.object({
  idempotencyKey: z.string(),
  service: z.string(),
  environment: z.string(),
  deployRef: z.string(),
  previous: z.string().regex(OID).nullable(),
  target: z.string().regex(OID),
  deployedAt: z.string(),
});
type Ledger = z.infer<typeof LedgerSchema>;

export interface CodeDeployExecutorOptions {
  /** Git repository (its directory) per service name proposals use. */
  repos: Record<string, string>;
  /** Health-check URL per service; verify requires a 2xx from it after the move. */
  healthUrls?: Record<string, string>;
  healthTimeoutMs?: number;
}

function rejected(message: string): CommitRejectedError {
  return new CommitRejectedError(`code.deploy refused: ${message}`);
}

/**
 * The one network call of this executor (the health check), through the run's egress guard. The
 * URL comes from configuration, never from the proposal.
 */
export async function healthRequest(egress: Egress, url: string, timeoutMs: number): Promise<{ status: number }> {
  const response = await egress.fetch(url, { timeoutMs });
  return { status: response.status };
}

export function createCodeDeployExecutor(options: CodeDeployExecutorOptions): Executor<CodeDeployParams> {
  const healthTimeoutMs = options.healthTimeoutMs ?? 5_000;

  function repoOf(service: string): string {
    const repo = Object.hasOwn(options.repos, service) ? options.repos[service] : undefined;
    if (!repo) throw rejected(`no repository is configured for service "${service}" on this worker`);
    return repo;
  }

  async function git(repo: string, args: string[], input?: string): Promise<string> {
    const child = run('git', ['-C', repo, ...args], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }, maxBuffer: 1 << 20 });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    return (await child).stdout.trim();
  }

  /** The object a ref names, or null when it does not exist. */
  async function resolve(repo: string, name: string): Promise<string | null> {
    try {
      return await git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', name]);
    } catch {
      return null;
    }
  }

  const deployRefOf = (params: CodeDeployParams): string => `refs/deploy/${params.environment}`;
  const ledgerRefOf = (key: string): string => `refs/gatehouse/deploys/${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
  const rollbackRefOf = (key: string): string => `refs/gatehouse/rollbacks/${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;

  async function readLedger(repo: string, key: string): Promise<Ledger | undefined> {
    const oid = await resolve(repo, ledgerRefOf(key));
    if (!oid) return undefined;
    return LedgerSchema.parse(JSON.parse(await git(repo, ['cat-file', 'blob', oid])));
  }

  async function writeBlob(repo: string, value: unknown): Promise<string> {
    return git(repo, ['hash-object', '-w', '--stdin'], JSON.stringify(value));
  }

  /** One all-or-nothing ref transaction; false when a compare-and-swap did not hold. */
  async function transaction(repo: string, lines: string[]): Promise<boolean> {
    try {
      await git(repo, ['update-ref', '--stdin'], ['start', ...lines, 'prepare', 'commit', ''].join('\n'));
      return true;
    } catch (err) {
      const raw = (err as { stderr?: unknown }).stderr;
      const stderr = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
      if (/cannot lock ref|is at .* but expected|reference already exists|unable to resolve/i.test(stderr)) return false;
      throw err;
    }
  }

  const recordOf = (ledger: Ledger): CommitRecord => ({
    deployRef: ledger.deployRef,
    previous: ledger.previous,
    target: ledger.target,
    deployedAt: ledger.deployedAt,
  });

  return {
    async readPreconditions(params, fields) {
      const current = await resolve(repoOf(params.service), deployRefOf(params));
      return fields.includes('currentCommit') ? { currentCommit: current } : {};
    },

    async commit(params, ctx) {
      const repo = repoOf(params.service);
      const earlier = await readLedger(repo, ctx.idempotencyKey);
      if (earlier) {
        if (earlier.service !== params.service || earlier.environment !== params.environment)
          throw rejected(`idempotency key ${ctx.idempotencyKey} was already used for another deploy`);
        return { alreadyApplied: true, record: recordOf(earlier) };
      }
      const target = await resolve(repo, `${params.ref}^{commit}`);
      if (!target) throw rejected(`"${params.ref}" names no commit in the ${params.service} repository`);
      if (params.commit && target !== params.commit)
        throw rejected(`"${params.ref}" now points at ${target}, not the approved ${params.commit}`);
      const deployRef = deployRefOf(params);
      const current = await resolve(repo, deployRef);
      if (params.expectedCurrent !== undefined && current !== params.expectedCurrent) {
        throw rejected(`${deployRef} is at ${current ?? 'nothing'}, not ${params.expectedCurrent ?? 'nothing'} as the proposal saw it`);
      }
      const ledger: Ledger = {
        idempotencyKey: ctx.idempotencyKey,
        service: params.service,
        environment: params.environment,
        deployRef,
        previous: current,
        target,
        deployedAt: new Date().toISOString(),
      };
      const blob = await writeBlob(repo, ledger);
      const moved = await transaction(repo, [
        `update ${deployRef} ${target} ${current ?? ZERO_OID}`,
        `create ${ledgerRefOf(ctx.idempotencyKey)} ${blob}`,
      ]);
      if (!moved) {
        // Lost a race: with our own retry (its ledger is there now), or with another deploy.
        const mine = await readLedger(repo, ctx.idempotencyKey);
        if (mine) return { alreadyApplied: true, record: recordOf(mine) };
        throw rejected(`${deployRef} moved while deploying; not overwriting it`);
      }
      ctx.logger.info({ service: params.service, environment: params.environment, target }, 'code.deploy commit');
      return { alreadyApplied: false, record: recordOf(ledger) };
    },

    async verify(params, _record, ctx) {
      const repo = repoOf(params.service);
      const ledger = await readLedger(repo, ctx.idempotencyKey);
      const current = await resolve(repo, deployRefOf(params));
      const observed: Record<string, unknown> = { deployRef: deployRefOf(params), current, ledger: ledger ? 'applied' : 'missing' };
      let ok = ledger !== undefined && current === ledger.target;
      const healthUrl =
        options.healthUrls && Object.hasOwn(options.healthUrls, params.service) ? options.healthUrls[params.service] : undefined;
      if (healthUrl) {
        const health = await healthRequest(ctx.egress, healthUrl, healthTimeoutMs).catch((err: unknown) => ({
          status: 0,
          error: (err as Error).message,
        }));
        observed['health'] = health;
        ok &&= health.status >= 200 && health.status < 300;
      }
      return { ok, observed };
    },

    async rollback(params, _record, ctx) {
      const repo = repoOf(params.service);
      const ledger = await readLedger(repo, ctx.idempotencyKey);
      if (!ledger) return { rolledBack: false, reason: 'nothing was deployed under this key' };
      if (await resolve(repo, rollbackRefOf(ctx.idempotencyKey)))
        return { rolledBack: true, alreadyRolledBack: true, restored: ledger.previous };
      const blob = await writeBlob(repo, { ...ledger, rolledBackAt: new Date().toISOString() });
      const back = ledger.previous
        ? `update ${ledger.deployRef} ${ledger.previous} ${ledger.target}`
        : `delete ${ledger.deployRef} ${ledger.target}`;
      if (!(await transaction(repo, [back, `create ${rollbackRefOf(ctx.idempotencyKey)} ${blob}`]))) {
        if (await resolve(repo, rollbackRefOf(ctx.idempotencyKey)))
          return { rolledBack: true, alreadyRolledBack: true, restored: ledger.previous };
        throw rejected(`${ledger.deployRef} no longer points at the deployed ${ledger.target}; not moving it back over a later deploy`);
      }
      ctx.logger.info({ service: params.service, restored: ledger.previous }, 'code.deploy rollback');
      return { rolledBack: true, restored: ledger.previous };
    },
  };
}
