/**
 * Dev-only executor for seed action types that have no real executor yet (tickets, access,
 * refunds, deploys): it writes the approved action to a local ledger file, exactly once per
 * idempotency key, so the demo shows the whole loop. Never registered in production mode.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { Executor } from '../actions/executor';

function ledgerHas(file: string, key: string): boolean {
  if (!existsSync(file)) return false;
  return readFileSync(file, 'utf8')
    .split('\n')
    .some((line) => line.length > 0 && (JSON.parse(line) as { key: string }).key === key);
}

export function createSandboxExecutor(ledgerFile: string, actionType: string): Executor {
  return {
    async commit(params, ctx) {
      // Check before acting: a retry after a crash finds its own line and writes nothing.
      if (ledgerHas(ledgerFile, ctx.idempotencyKey)) return { alreadyApplied: true, record: { ledger: ledgerFile } };
      appendFileSync(ledgerFile, `${JSON.stringify({ key: ctx.idempotencyKey, actionType, params, at: new Date().toISOString() })}\n`);
      return { alreadyApplied: false, record: { ledger: ledgerFile } };
    },
    async verify(_params, _record, ctx) {
      const found = ledgerHas(ledgerFile, ctx.idempotencyKey);
      return { ok: found, observed: { inLedger: found } };
    },
  };
}
