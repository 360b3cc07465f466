/**
 * The audit trail against tampering and against runs that escape it, on the real server through
 * the built CLI: a cut tail, a rewritten file (with and without the audit key), a forged
 * checkpoint, a run missing from the log, a terminated run recorded by the sweep, and stats read
 * from the log (approvals, defaults on expiry and terminations apart) after Temporal forgot a run.
 */
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainedLine } from '../../src/audit/chain';
import { canonicalJson, sha256Hex } from '../../src/domain/canonical-hash';
import { generateDecisionKeyPair } from '../../src/links/decision-signer';
import { decideUpdate } from '../../workflows/messages';
import { runCli } from '../support/cli';
import { createHarness, eventually, type Harness } from '../support/harness';

let h: Harness;
const runs: Record<string, string> = {};

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  const decide = async (actionType: string, kind: 'approve' | 'reject') => {
    const run = await h.gatehouse.propose(h.proposal(actionType));
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined));
    await h.client.workflow
      .getHandle(run.workflowId)
      .executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, kind)] });
    await run.result();
    return run.workflowId;
  };
  runs['approved'] = await decide('test.single', 'approve');
  runs['rejected'] = await decide('test.single', 'reject');
  const expiring = await h.gatehouse.propose(h.proposal('test.expire_approve'));
  await expiring.result();
  runs['expired'] = expiring.workflowId;
  const waiting = await h.gatehouse.propose(h.proposal('test.single'));
  await eventually(async () => ((await waiting.status()).status === 'awaiting_approval' ? true : undefined));
  runs['terminated'] = waiting.workflowId;
}, 120_000);
afterAll(() => h?.close());

const gatehouse = (env: Record<string, string>, ...args: string[]) =>
  runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue, ...h.auditEnv, ...env }, ...args);

/** A copy of the worker's log and checkpoints, for one tampering scenario. */
function copyOfLog(): { env: Record<string, string>; file: string; lines: ChainedLine[] } {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-tamper-')), 'audit.jsonl');
  copyFileSync(h.auditLogFile, file);
  copyFileSync(`${h.auditLogFile}.checkpoints`, `${file}.checkpoints`);
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ChainedLine);
  return { env: { GATEHOUSE_AUDIT_LOG: file }, file, lines };
}

/** Re-chains `lines` as whoever rewrites the file would: with the audit key, or as unkeyed lines without it. */
function rechain(lines: ChainedLine[], secret?: Buffer): string {
  let prev = '0'.repeat(64);
  return lines
    .map((line, i) => {
      const { hash: _hash, keyId, ...rest } = line;
      const body = { ...rest, seq: i + 1, prevHash: prev, ...(secret ? { keyId } : {}) };
      const text = canonicalJson(body);
      prev = secret ? createHmac('sha256', secret).update(text).digest('hex') : sha256Hex(text);
      return `${JSON.stringify({ ...body, hash: prev })}\n`;
    })
    .join('');
}

describe('gatehouse audit verify', () => {
  it('passes a keyed, checkpointed log whose every run is recorded', async () => {
    await gatehouse({}, 'audit', 'sweep');
    const result = await gatehouse({}, 'audit', 'verify');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 of them unkeyed');
    expect(result.stdout).toMatch(/signed checkpoints vouch for lines 1–\d+/);
    expect(result.stdout).toContain('chain intact');
  });

  it('finds a cut tail by the checkpoint past the end', async () => {
    const { env, file, lines } = copyOfLog();
    writeFileSync(
      file,
      lines
        .slice(0, -2)
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(''),
    );
    const result = await gatehouse(env, 'audit', 'verify');
    expect(result.code).toBe(11);
    expect(result.stdout).toContain('FINDING tail_truncated');
  });

  it('finds a file rewritten with the audit key by the signed checkpoints', async () => {
    const { env, file, lines } = copyOfLog();
    const edited = lines.map((l) =>
      l.kind === 'decision' && l.data['decision'] === 'reject' ? { ...l, data: { ...l.data, decision: 'approve' } } : l,
    );
    writeFileSync(file, rechain(edited, h.auditKeyring.keys.get('a1')));
    const result = await gatehouse(env, 'audit', 'verify');
    expect(result.code).toBe(12);
    expect(result.stdout).toContain('FINDING rewritten');
  });

  it('finds a file re-chained without the key, as unkeyed lines or with new checkpoints', async () => {
    const { env, file, lines } = copyOfLog();
    writeFileSync(file, rechain(lines.slice(1)));
    const unkeyed = await gatehouse(env, 'audit', 'verify');
    expect(unkeyed.code).toBe(11); // fewer lines than the checkpoints saw, and none keyed any more
    expect(unkeyed.stdout).toContain('FINDING rewritten');

    // The forger also replaces the checkpoints, signing with a key of their own.
    const forger = generateDecisionKeyPair();
    const { signCheckpoint } = await import('../../src/audit/checkpoint');
    const { createBytesSigner } = await import('../../src/links/decision-signer');
    const rewritten = rechain(lines.slice(1)).trim().split('\n');
    const head = JSON.parse(rewritten.at(-1)!) as ChainedLine;
    const forged = signCheckpoint(createBytesSigner({ keyId: 'c1', privateKeyHex: forger.privateKeyHex }), head, new Date());
    writeFileSync(`${file}.checkpoints`, `${JSON.stringify(forged)}\n`);
    const result = await gatehouse(env, 'audit', 'verify');
    expect(result.code).toBe(13);
    expect(result.stdout).toContain('FINDING checkpoint_forged');
  });

  it('finds a removed line and an edited one by the keyed chain', async () => {
    const { env, file, lines } = copyOfLog();
    writeFileSync(file, [...lines.slice(0, 2), ...lines.slice(3)].map((l) => `${JSON.stringify(l)}\n`).join(''));
    const removed = await gatehouse(env, 'audit', 'verify');
    expect(removed.code).toBe(10);
    expect(removed.stdout).toContain('FINDING chain_broken');
  });

  it('finds a run Temporal lists that the log never recorded', async () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'gatehouse-empty-')), 'audit.jsonl');
    const result = await gatehouse({ GATEHOUSE_AUDIT_LOG: empty, GATEHOUSE_AUDIT_GRACE_MS: '0' }, 'audit', 'verify');
    expect(result.code).toBe(14);
    expect(result.stdout).toContain(`FINDING run_missing`);
    expect(result.stdout).toContain(runs['approved']);
  });
});

describe('terminated runs and stats from the audit log', () => {
  it('records a terminated waiting run, and stats count approvals, expiry defaults and terminations apart after Temporal forgot a run', async () => {
    const id = runs['terminated']!;
    await h.client.workflow.getHandle(id).terminate('operator pulled the plug');
    const before = await gatehouse({ GATEHOUSE_AUDIT_GRACE_MS: '0' }, 'audit', 'verify');
    // Its proposal and evaluation are in the log (they rode on the review mail); its end is not.
    expect(before.stdout).toContain(`FINDING run_not_closed`);
    expect(before.code).toBe(15);

    const swept = await gatehouse({}, 'audit', 'sweep');
    expect(swept.code).toBe(0);
    expect(swept.stdout).toContain(`recorded ${id} as terminated`);
    const terminated = readFileSync(h.auditLogFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ChainedLine)
      .find((l) => l.entryId === `${id}:terminated`);
    expect(terminated?.data).toMatchObject({ status: 'terminated', statusBefore: 'awaiting_approval', reason: 'operator pulled the plug' });
    expect((await gatehouse({}, 'audit', 'sweep')).stdout).toContain('0 terminated or timed-out runs newly recorded');

    // Past retention: Temporal no longer knows the approved run; the log still counts it.
    await h.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: runs['approved']! } });
    await eventually(async () => {
      try {
        await h.client.workflow.getHandle(runs['approved']!).describe();
        return undefined;
      } catch {
        return true;
      }
      // Temporal deletes in the background; on a loaded machine that took more than 20 s.
    }, 90_000);
    const stats = await gatehouse({}, 'stats', '--since', '1h', '--json');
    expect(stats.code).toBe(0);
    const byType = Object.fromEntries(
      (JSON.parse(stats.stdout) as { byActionType: Array<{ actionType: string }> }).byActionType.map((t) => [t.actionType, t]),
    );
    expect(byType['test.single']).toMatchObject({ runs: 3, approved: 1, rejected: 1, terminated: 1 });
    expect(byType['test.expire_approve']).toMatchObject({ runs: 1, approved: 0, approvedOnExpiry: 1 });
    const text = await gatehouse({}, 'stats', '--since', '1h');
    expect(text.stdout).toContain('Ended outside the workflow (terminated or timed out)');
  });
});

describe('an audit trail written as it happens', () => {
  it('has a waiting run’s proposal, evaluation and first of two approvals in the log before the run ends', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.quorum'));
    const id = run.workflowId;
    const logged = () => h.auditLog.read().then((lines) => lines.filter((l) => l.workflowId === id));
    await eventually(async () => ((await logged()).some((l) => l.kind === 'evaluated') ? true : undefined));
    const kinds = (await logged()).map((l) => l.entryId);
    expect(kinds).toEqual(expect.arrayContaining([`${id}:proposed`, `${id}:evaluated`]));
    await h.client.workflow
      .getHandle(id)
      .executeUpdate(decideUpdate, { args: [await h.decision(id, { id: 'alice', role: 'approver' }, 'approve')] });
    await eventually(async () => ((await logged()).some((l) => l.kind === 'decision') ? true : undefined));
    expect((await run.status()).status).toBe('awaiting_approval');
    const decision = (await logged()).find((l) => l.kind === 'decision');
    expect(decision?.data).toMatchObject({ reviewer: 'alice', decision: 'approve' });
    const result = await gatehouse({ GATEHOUSE_AUDIT_GRACE_MS: '0' }, 'audit', 'verify');
    expect(result.stdout).not.toContain(id);
    await h.client.workflow.getHandle(id).terminate('test over');
  });
});

describe("the worker's audit upkeep", () => {
  it('records a run terminated while the worker runs, by its periodic sweep', async () => {
    const { startAuditUpkeep } = await import('../../src/worker/audit-upkeep');
    const { createLogger } = await import('../../src/observability/logger');
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined));
    await h.client.workflow.getHandle(run.workflowId).terminate('stuck');
    const stop = startAuditUpkeep({
      log: h.auditLog,
      client: h.client,
      taskQueue: h.taskQueue,
      logger: createLogger({ level: 'silent' }),
      checkpointIntervalMs: 1_000,
      sweepIntervalMs: 500,
    });
    try {
      await eventually(async () =>
        (await h.auditLog.read()).some((l) => l.entryId === `${run.workflowId}:terminated`) ? true : undefined,
      );
    } finally {
      stop();
    }
  });
});
