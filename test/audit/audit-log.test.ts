/** The hash-chained audit log in both stores: a JSONL file and PostgreSQL. */
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { verifyLines, type AuditKeyring, type AuditLog } from '../../src/audit/chain';
import { generateLinkSecret, parseLinkKeyring } from '../../src/links/keyring';
import { createFileAuditLog } from '../../src/audit/hash-chain-log';
import { createPostgresAuditLog } from '../../src/audit/postgres-log';
import type { AuditEntry } from '../../src/audit/record';
import { startPostgres, type TestPostgres } from '../support/postgres';

const entry = (workflowId: string, n: number): AuditEntry => ({
  entryId: `${workflowId}:t${n}`,
  workflowId,
  at: new Date(Date.UTC(2026, 10, 24, 10, 0, n)).toISOString(),
  kind: 'transition',
  data: { from: 'a', to: 'b', note: `step ${n}` },
});
const entries = (workflowId: string, count: number) => Array.from({ length: count }, (_, i) => entry(workflowId, i));

async function behavesAsAChain(log: AuditLog, keyring?: AuditKeyring): Promise<void> {
  expect(await log.append(entries('wf-1', 3))).toMatchObject({ appended: 3, head: { seq: 3 } });
  // A retried activity writes the same entries again: nothing is added twice.
  expect(await log.append(entries('wf-1', 4))).toMatchObject({ appended: 1, head: { seq: 4 } });
  await Promise.all(Array.from({ length: 8 }, (_, i) => log.append(entries(`wf-p${i}`, 5))));
  const lines = await log.read();
  expect(lines).toHaveLength(4 + 40);
  expect(new Set(lines.map((l) => l.entryId)).size).toBe(44);
  expect(verifyLines(lines, keyring)).toEqual({ ok: true, lines: 44, unkeyed: keyring ? 0 : 44 });
}

describe('audit log in a JSONL file', () => {
  it('appends idempotently and keeps one unbroken chain under concurrent appends', async () => {
    await behavesAsAChain(createFileAuditLog(join(mkdtempSync(join(tmpdir(), 'gatehouse-chain-')), 'audit.jsonl')));
  });

  it('breaks a lock left behind by a crashed writer instead of stalling every run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-chain-')), 'audit.jsonl');
    writeFileSync(`${file}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    expect(await createFileAuditLog(file).append(entries('wf-stale', 2))).toMatchObject({ appended: 2 });
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('notices an edited, a removed and a reordered line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-chain-')), 'audit.jsonl');
    const log = createFileAuditLog(file);
    await log.append(entries('wf', 4));
    const original = readFileSync(file, 'utf8');
    const lines = original.trim().split('\n');
    writeFileSync(file, original.replace('step 2', 'step 9'));
    expect(verifyLines(await log.read())).toMatchObject({ ok: false, brokenAt: 3 });
    writeFileSync(file, `${[lines[0], lines[2], lines[3]].join('\n')}\n`);
    expect(verifyLines(await log.read())).toMatchObject({ ok: false, brokenAt: 2 });
    writeFileSync(file, `${[lines[0], lines[2], lines[1], lines[3]].join('\n')}\n`);
    expect(verifyLines(await log.read())).toMatchObject({ ok: false, brokenAt: 2 });
  });
});

describe('audit log in PostgreSQL', () => {
  let pg: TestPostgres;
  let pool: Pool;
  beforeAll(async () => {
    pg = await startPostgres({ databases: ['gatehouse_writers'] });
    pool = new Pool({ connectionString: pg.url, max: 4 });
    // Idle clients see the server stop at teardown; unheard, that error would end the test run.
    pool.on('error', () => undefined);
  }, 30_000);
  afterAll(async () => {
    await pool?.end();
    await pg?.stop();
  });

  it('appends idempotently and keeps one unbroken chain under concurrent appends', async () => {
    await behavesAsAChain(createPostgresAuditLog(pool));
  });

  it('keeps one keyed chain with no duplicate and no gap when two writers with pools of their own append at once', async () => {
    const keyring = parseLinkKeyring(`a1:${generateLinkSecret()}`);
    const pools = [0, 1].map(() => {
      const own = new Pool({ connectionString: pg.urlOf('gatehouse_writers'), max: 3 });
      own.on('error', () => undefined);
      return own;
    });
    try {
      const [a, b] = pools.map((p) => createPostgresAuditLog(p, keyring)) as [AuditLog, AuditLog];
      // Both writers record the same runs (a retried activity on another worker) and runs of their own.
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          Promise.all([
            a.append(entries(`wf-shared${i % 4}`, 5)),
            b.append(entries(`wf-shared${i % 4}`, 5)),
            (i % 2 ? a : b).append(entries(`wf-own${i}`, 3)),
          ]),
        ),
      );
      const lines = await a.read();
      expect(lines).toHaveLength(4 * 5 + 12 * 3);
      expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: lines.length }, (_, i) => i + 1));
      expect(new Set(lines.map((l) => l.entryId)).size).toBe(lines.length);
      expect(verifyLines(lines, keyring)).toEqual({ ok: true, lines: lines.length, unkeyed: 0 });
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('notices a row edited in the table', async () => {
    const log = createPostgresAuditLog(pool);
    await pool.query(`UPDATE gatehouse_audit SET line = jsonb_set(line, '{data,note}', '"rewritten"') WHERE seq = 2`);
    expect(verifyLines(await log.read())).toMatchObject({ ok: false, brokenAt: 2 });
  });
});
