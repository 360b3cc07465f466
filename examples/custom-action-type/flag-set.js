/**
 * A complete action type of your own: `flag.set` turns a feature flag on or off in a JSON flag
 * store. Load it with GATEHOUSE_ACTION_MODULES=examples/custom-action-type/flag-set.js and put
 * flag.set.yaml (next to this file) into the policies directory.
 *
 * The store file holds the flags and a ledger of applied idempotency keys, written together with
 * one atomic rename, so a retry after a crash finds its key and changes nothing.
 */
const { existsSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { z } = require('zod');

const STORE = process.env.GATEHOUSE_EXAMPLE_FLAGS_FILE || '.gatehouse/flags.json';

const paramsSchema = z.object({
  flag: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
  enabled: z.boolean(),
});

/** Refusals for good: Gatehouse recognises the name and does not retry (no import of Gatehouse needed). */
class CommitRejectedError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CommitRejectedError';
  }
}

function load() {
  return existsSync(STORE) ? JSON.parse(readFileSync(STORE, 'utf8')) : { flags: {}, applied: {} };
}
function save(store) {
  writeFileSync(`${STORE}.tmp`, JSON.stringify(store, null, 2));
  renameSync(`${STORE}.tmp`, STORE);
}

const executor = {
  async readPreconditions(params, fields) {
    const current = load().flags[params.flag];
    return fields.includes('enabled') && current !== undefined ? { enabled: current } : {};
  },
  async commit(params, ctx) {
    const store = load();
    const earlier = store.applied[ctx.idempotencyKey];
    if (earlier) return { alreadyApplied: true, record: earlier };
    if (!/^[a-z]/.test(params.flag)) throw new CommitRejectedError(`flag.set refused: ${params.flag}`);
    const record = { flag: params.flag, previous: store.flags[params.flag] ?? null, enabled: params.enabled };
    store.flags[params.flag] = params.enabled;
    store.applied[ctx.idempotencyKey] = record;
    save(store);
    return { alreadyApplied: false, record };
  },
  async verify(params, _record, ctx) {
    const store = load();
    const applied = Boolean(store.applied[ctx.idempotencyKey]);
    const enabled = store.flags[params.flag];
    return { ok: applied && enabled === params.enabled, observed: { applied, enabled } };
  },
  async rollback(params, _record, ctx) {
    const store = load();
    const record = store.applied[ctx.idempotencyKey];
    if (!record) return { rolledBack: false, reason: 'nothing was applied under this key' };
    if (record.rolledBack) return { rolledBack: true, alreadyRolledBack: true };
    if (record.previous === null) delete store.flags[params.flag];
    else store.flags[params.flag] = record.previous;
    store.applied[ctx.idempotencyKey] = { ...record, rolledBack: true };
    save(store);
    return { rolledBack: true, restored: record.previous };
  },
};

module.exports = { actionTypes: [{ name: 'flag.set', paramsSchema, executor }] };
