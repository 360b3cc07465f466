import { createHarness } from '../support/harness';
import { getStateQuery } from '../../workflows/messages';
it('probe', async () => {
  const h = await createHarness();
  await h.startWorker();
  const run = await h.gatehouse.propose(h.proposal('test.single'));
  await new Promise((r) => setTimeout(r, 6000));
  try {
    const s = await h.client.workflow.getHandle(run.workflowId).query(getStateQuery);
    process.stderr.write(`STATE ${s.status} ${JSON.stringify(s.transitions)}\n`);
  } catch (err) { process.stderr.write(`ERR ${(err as Error).message}\n`); }
  const d = await h.client.workflow.getHandle(run.workflowId).describe();
  process.stderr.write(`DESC ${d.status.name}\n`);
  const hist = await h.client.workflow.getHandle(run.workflowId).fetchHistory();
  for (const e of hist.events ?? []) { const f = (e as any).workflowTaskFailedEventAttributes ?? (e as any).activityTaskFailedEventAttributes; if (f) process.stderr.write(`FAIL ${JSON.stringify(f.failure?.message)} ${f.failure?.stackTrace?.slice(0,500)}\n`); }
  await h.close();
}, 60000);
