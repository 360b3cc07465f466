/**
 * The custom action type in examples/custom-action-type/ loads by configuration the way the worker
 * loads it, its policy loads beside the seed policies, and its executor applies once, verifies
 * and rolls back against its real store.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtInActionTypes, ActionTypeRegistrationError } from '../../src/actions/registry';
import type { ExecutionContext } from '../../src/actions/executor';
import { createLogger } from '../../src/observability/logger';
import { loadPolicyBook } from '../../src/policy/load';
import { loadActionModules } from '../../src/worker/action-modules';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import { createEgress } from '../../src/egress/guarded-fetch';

/** The targets of these tests listen on loopback, which the egress guard refuses unless named. */
const LOOPBACK_EGRESS = createEgress({ allow: parseEgressAllowList('127.0.0.1') });

const EXAMPLE = resolve(__dirname, '../../examples/custom-action-type');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-flags-'));
const store = join(dir, 'flags.json');
process.env['GATEHOUSE_EXAMPLE_FLAGS_FILE'] = store;
const ctx = (idempotencyKey: string): ExecutionContext => ({
  idempotencyKey,
  attempt: 1,
  workflowId: 'wf-flag',
  logger: createLogger({ level: 'silent' }),
  egress: LOOPBACK_EGRESS,
});

describe('examples/custom-action-type', () => {
  it('registers flag.set from GATEHOUSE_ACTION_MODULES and loads its policy next to the seed policies', () => {
    const registry = builtInActionTypes();
    expect(loadActionModules(['examples/custom-action-type/flag-set.js'], registry, resolve(__dirname, '../..'))).toEqual(['flag.set']);
    expect(registry.get('flag.set')?.executor).toBeDefined();
    const policies = mkdtempSync(join(tmpdir(), 'gatehouse-policies-'));
    copyFileSync(join(EXAMPLE, 'flag.set.yaml'), join(policies, 'flag.set.yaml'));
    copyFileSync(resolve(__dirname, '../../policies/reviewers.yaml'), join(policies, 'reviewers.yaml'));
    const book = loadPolicyBook(policies, join(policies, 'reviewers.yaml'), registry.names());
    expect([...book.policies.keys()]).toContain('flag.set');
  });

  it('refuses a module that exports no action types, naming the file', () => {
    const bad = join(dir, 'bad.js');
    writeFileSync(bad, 'module.exports = { something: 1 };');
    expect(() => loadActionModules([bad], builtInActionTypes())).toThrow(ActionTypeRegistrationError);
    expect(() => loadActionModules([bad], builtInActionTypes())).toThrow(/bad\.js: must export actionTypes/);
  });

  it('applies once per key, verifies from the store and rolls back', async () => {
    const registry = builtInActionTypes();
    loadActionModules([join(EXAMPLE, 'flag-set.js')], registry);
    const type = registry.get('flag.set')!;
    const executor = type.executor!;
    const params = type.paramsSchema.parse({ flag: 'new-checkout', enabled: true });
    expect(type.paramsSchema.safeParse({ flag: 'x; rm -rf /', enabled: true }).success).toBe(false);
    const first = await executor.commit(params, ctx('k1'));
    expect(first).toEqual({ alreadyApplied: false, record: { flag: 'new-checkout', previous: null, enabled: true } });
    // Someone turns it off; a retried commit under the same key must not turn it on again.
    const stored = JSON.parse(readFileSync(store, 'utf8')) as { flags: Record<string, boolean> };
    stored.flags['new-checkout'] = false;
    writeFileSync(store, JSON.stringify(stored));
    await expect(executor.commit(params, ctx('k1'))).resolves.toMatchObject({ alreadyApplied: true });
    await expect(executor.verify(params, first.record, ctx('k1'))).resolves.toEqual({
      ok: false,
      observed: { applied: true, enabled: false },
    });
    stored.flags['new-checkout'] = true;
    writeFileSync(store, JSON.stringify(stored));
    await expect(executor.verify(params, first.record, ctx('k1'))).resolves.toMatchObject({ ok: true });
    await expect(executor.rollback!(params, first.record, ctx('k1'))).resolves.toMatchObject({ rolledBack: true, restored: null });
    expect(JSON.parse(readFileSync(store, 'utf8')).flags).toEqual({});
  });
});
