/**
 * Not part of the suite: `npm run record-histories` runs representative approvals on the test
 * server and saves their histories for replay.test.ts, each with its workflow id beside it
 * (`<name>.workflow-id`): a history does not carry the id, and a signed revision is bound to it.
 */
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { join } from 'node:path';
import { decideUpdate, refreshTrustSignal } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { refreshed } from '../support/trust-refresh';
import { WORKFLOW_ID_SUFFIX } from './recorded-history';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(() => h?.close());

async function save(name: string, workflowId: string): Promise<void> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(join(__dirname, 'histories', `${name}.json`), historyToJSON(history));
  writeFileSync(join(__dirname, 'histories', `${name}${WORKFLOW_ID_SUFFIX}`), `${workflowId}\n`);
}

async function awaiting(workflowId: string): Promise<void> {
  await eventually(async () => {
    const d = await h.client.workflow.getHandle(workflowId).describe();
    return d.typedSearchAttributes.get({ name: 'GatehouseStatus', type: 'KEYWORD' } as never) === 'awaiting_approval' ? true : undefined;
  });
}

it('records histories', async () => {
  const auto = await h.gatehouse.propose(h.proposal('test.auto'));
  await auto.result();
  await save('auto-approved', auto.workflowId);

  const single = await h.gatehouse.propose(h.proposal('test.single'));
  await awaiting(single.workflowId);
  await h.client.workflow.getHandle(single.workflowId).executeUpdate(decideUpdate, {
    args: [await h.decision(single.workflowId, { id: 'alice', role: 'approver' }, 'approve')],
  });
  await single.result();
  await save('single-approval', single.workflowId);

  const dual = await h.gatehouse.propose(h.proposal('test.dual'));
  await awaiting(dual.workflowId);
  const handle = h.client.workflow.getHandle(dual.workflowId);
  await handle.executeUpdate(decideUpdate, { args: [await h.decision(dual.workflowId, { id: 'carol', role: 'finance' }, 'approve')] });
  await handle.executeUpdate(decideUpdate, { args: [await h.decision(dual.workflowId, { id: 'dave', role: 'manager' }, 'approve')] });
  await dual.result();
  await save('dual-approval', dual.workflowId);

  const rejected = await h.gatehouse.propose(h.proposal('test.single'));
  await awaiting(rejected.workflowId);
  await h.client.workflow.getHandle(rejected.workflowId).executeUpdate(decideUpdate, {
    args: [await h.decision(rejected.workflowId, { id: 'bob', role: 'approver' }, 'reject')],
  });
  await rejected.result();
  await save('rejected', rejected.workflowId);

  // A signed revision: its signature covers the workflow id, so it replays only under the real one.
  const proposal = h.proposal('test.single');
  const revised = await h.gatehouse.propose(proposal);
  await awaiting(revised.workflowId);
  const revisedHandle = h.client.workflow.getHandle(revised.workflowId);
  await revisedHandle.executeUpdate(decideUpdate, {
    args: [await h.decision(revised.workflowId, { id: 'bob', role: 'approver' }, 'request_changes', { comment: 'smaller' })],
  });
  await revised.revise({ by: 'agent-7', params: { ...proposal.params, body: { amount: 41 } } });
  await awaiting(revised.workflowId);
  await revisedHandle.executeUpdate(decideUpdate, {
    args: [await h.decision(revised.workflowId, { id: 'alice', role: 'approver' }, 'approve')],
  });
  await revised.result();
  await save('revised-approved', revised.workflowId);

  const sla = await h.gatehouse.propose(h.proposal('test.sla'));
  await sla.result();
  await save('reminded-escalated-expired', sla.workflowId);
}, 60_000);

it('records a run that refreshed its keys, and one refreshed twice within a minute (the second deferred, then let go when it ends)', async () => {
  for (const [name, signals] of [
    ['refreshed-approved', 1],
    ['refresh-deferred-approved', 2],
  ] as const) {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await awaiting(run.workflowId);
    const handle = h.client.workflow.getHandle(run.workflowId);
    await handle.signal(refreshTrustSignal);
    await refreshed(h.client, run.workflowId);
    if (signals === 2) await handle.signal(refreshTrustSignal);
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    await run.result();
    await save(name, run.workflowId);
  }
}, 60_000);
