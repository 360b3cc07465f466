/** The seed's finance example: a refund behind dual approval, paid once through a real payments API. */
import { randomUUID } from 'node:crypto';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { startPaymentsApi, type PaymentsApi } from '../support/payments-api';

let api: PaymentsApi;
let h: Harness;
beforeAll(async () => {
  api = await startPaymentsApi();
  h = await createHarness({ paymentsUrl: api.url });
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
  await api?.close();
});

const refund = (amount: number) => ({
  id: `refund-${randomUUID()}`,
  actionType: 'payment.refund',
  params: { customerId: 'cus_123', amount, currency: 'EUR', reason: 'damaged on delivery' },
  agent: { id: 'refund-agent', name: 'Refund agent' },
  requestedBy: { id: 'peter' },
  summary: `Refund EUR ${amount} to cus_123`,
  evidence: { rationale: 'photos on the ticket' },
});

async function decide(workflowId: string, id: string, role: string) {
  return h.client.workflow
    .getHandle(workflowId)
    .executeUpdate(decideUpdate, { args: [await h.decision(workflowId, { id, role }, 'approve')] });
}

describe('payment.refund', () => {
  it('pays once, with the idempotency key, after finance and a manager approve', async () => {
    const run = await h.gatehouse.propose(refund(420));
    await eventually(async () =>
      (await h.client.workflow.getHandle(run.workflowId).query(getStateQuery)).status === 'awaiting_approval' ? true : undefined,
    );
    expect(api.posts).toHaveLength(0);
    await decide(run.workflowId, 'carol', 'finance');
    expect(api.posts).toHaveLength(0);
    await decide(run.workflowId, 'dave', 'manager');
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(api.refunds.get(final.execution!.idempotencyKey)).toEqual(refund(420).params);
    expect(api.posts.filter((k) => k === final.execution!.idempotencyKey)).toHaveLength(1);
  });

  it('denies a refund above the limit when, without the principal, too few finance approvers remain', async () => {
    // Above 1,000 the policy wants two finance approvers; peter holds the role but asked for it.
    const final = await (await h.gatehouse.propose(refund(5_000))).result();
    expect(final.status).toBe('denied');
    expect(final.evaluation?.triggersFired.map((t) => t.id)).toEqual(['large-amount']);
    expect(final.outcomeReason).toBe('not enough eligible reviewers for role "finance" (1 of 2)');
    expect(api.posts).toHaveLength(1);
  });
});
