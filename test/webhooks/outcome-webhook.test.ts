/**
 * Outcome notification on the real Temporal server: the signed webhook a run posts when it ends
 * (real HTTP receiver that is down at first), and the client's wait for many runs at once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutcomeWaitError, type FinishedRun } from '../../src/client';
import { generateLinkSecret, parseLinkKeyring } from '../../src/links/keyring';
import { signWebhook, verifyWebhook, WebhookVerificationError, type VerifiedDelivery } from '../../src/webhooks/signature';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';

const KEYS = `wh1:${generateLinkSecret()}`;
const keyring = parseLinkKeyring(KEYS);

/** A receiver as an agent service would write one: verify, dedupe by delivery id, then act once. */
interface Receiver {
  url: string;
  attempts: { deliveryId: string; status: number }[];
  handled: VerifiedDelivery[];
  failNext: number;
  /** What a failing attempt answers: 500 is retried, a 4xx like 410 is refused for good. */
  failStatus: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const seen = new Set<string>();
  const receiver: Receiver = { url: '', attempts: [], handled: [], failNext: 0, failStatus: 500, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const deliveryId = String(req.headers['gatehouse-delivery']);
      if (receiver.failNext > 0) {
        receiver.failNext -= 1;
        receiver.attempts.push({ deliveryId, status: receiver.failStatus });
        res.writeHead(receiver.failStatus).end();
        return;
      }
      try {
        const delivery = verifyWebhook({ body, headers: req.headers, keys: keyring, agentId: 'agent-7' });
        if (!seen.has(delivery.deliveryId)) {
          seen.add(delivery.deliveryId);
          receiver.handled.push(delivery);
        }
        receiver.attempts.push({ deliveryId, status: 200 });
        res.writeHead(200).end();
      } catch (err) {
        receiver.attempts.push({ deliveryId, status: 401 });
        res.writeHead(401).end(err instanceof Error ? err.message : '');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gatehouse`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}

let h: Harness;
let receiver: Receiver;

beforeAll(async () => {
  h = await createHarness({ webhooks: { keys: KEYS, allow: '127.0.0.1' } });
  await h.startWorker();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

async function awaitingApproval(workflowId: string): Promise<void> {
  await eventually(async () =>
    (await h.client.workflow.getHandle(workflowId).query(getStateQuery)).status === 'awaiting_approval' ? true : undefined,
  );
}

describe('outcome webhook', () => {
  it('delivers an approved run once, signed, after the receiver answered 500', async () => {
    receiver.failNext = 1;
    const run = await h.gatehouse.propose(h.proposal('test.single', { notify: { webhook: receiver.url } }));
    await awaitingApproval(run.workflowId);
    await h.client.workflow
      .getHandle(run.workflowId)
      .executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    const mine = receiver.attempts.filter((a) => a.deliveryId === `outcome:${run.workflowId}`);
    expect(mine.map((a) => a.status)).toEqual([500, 200]);
    const handled = receiver.handled.filter((d) => d.outcome.workflowId === run.workflowId);
    expect(handled).toHaveLength(1);
    expect(handled[0]!.outcome).toMatchObject({
      status: 'succeeded',
      verdict: 'done',
      idempotencyKey: final.execution!.idempotencyKey,
      commit: final.execution!.commit,
    });
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });

  it('carries the rejecting reviewer and reason', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single', { notify: { webhook: receiver.url } }));
    await awaitingApproval(run.workflowId);
    await h.client.workflow.getHandle(run.workflowId).executeUpdate(decideUpdate, {
      args: [await h.decision(run.workflowId, { id: 'bob', role: 'approver' }, 'reject', { comment: 'wrong customer' })],
    });
    await run.result();
    const delivery = await eventually(async () => receiver.handled.find((d) => d.outcome.workflowId === run.workflowId));
    expect(delivery.outcome).toMatchObject({ status: 'rejected', verdict: 'not_done', reason: 'rejected by bob: wrong customer' });
    expect(delivery.outcome.commit).toBeUndefined();
  });

  it('sends nothing to a host outside the webhook allow-list, and the run still ends', async () => {
    const before = receiver.attempts.length;
    const url = receiver.url.replace('127.0.0.1', 'localhost');
    const run = await h.gatehouse.propose(h.proposal('test.auto', { notify: { webhook: url } }));
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(receiver.attempts.length).toBe(before);
    // The run says its agent service was not told; the outcome stands.
    expect(final.transitions.filter((t) => t.event === 'webhook_undeliverable')).toEqual([
      expect.objectContaining({
        from: 'succeeded',
        to: 'succeeded',
        note: expect.stringMatching(/^outcome webhook not delivered: .*localhost/),
      }),
    ]);
  });

  it('records on the run a delivery the receiver refuses for good, after one attempt', async () => {
    receiver.failNext = 1;
    receiver.failStatus = 410;
    try {
      const run = await h.gatehouse.propose(h.proposal('test.auto', { notify: { webhook: receiver.url } }));
      const final = await run.result();
      expect(final.status).toBe('succeeded');
      expect(receiver.attempts.filter((a) => a.deliveryId === `outcome:${run.workflowId}`).map((a) => a.status)).toEqual([410]);
      expect(final.transitions.filter((t) => t.event === 'webhook_undeliverable')).toEqual([
        expect.objectContaining({ note: 'outcome webhook not delivered: the webhook receiver answered 410' }),
      ]);
      expect((await h.client.workflow.getHandle(run.workflowId).query(getStateQuery)).transitions.at(-1)?.event).toBe(
        'webhook_undeliverable',
      );
    } finally {
      receiver.failStatus = 500;
    }
  });

  it('records no delivery failure on a run whose webhook was delivered', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.auto', { notify: { webhook: receiver.url } }));
    const final = await run.result();
    await eventually(async () => receiver.handled.find((d) => d.outcome.workflowId === run.workflowId));
    expect(final.transitions.some((t) => t.event === 'webhook_undeliverable')).toBe(false);
  });

  it("refuses another agent's genuine outcome sent to this agent's receiver under one of its proposal ids", async () => {
    const before = receiver.handled.length;
    const proposal = h.proposal('test.auto', {
      agent: { id: 'metrics-agent', name: 'metrics agent' },
      notify: { webhook: receiver.url },
    });
    const run = await h.gatehouse.propose(proposal);
    expect((await run.result()).status).toBe('succeeded');
    const attempt = await eventually(async () => receiver.attempts.find((a) => a.deliveryId === `outcome:${run.workflowId}`));
    expect(attempt.status).toBe(401);
    expect(receiver.handled.slice(before).some((d) => d.outcome.proposalId === proposal.id)).toBe(false);
  });

  it('verifies a signature, and refuses a replay, a changed body and an unknown key', () => {
    const body = JSON.stringify({
      deliveryId: 'outcome:a:b',
      event: 'run.finished',
      workflowId: 'a:b',
      proposalId: 'b',
      agentId: 'a',
      actionType: 'test.auto',
      status: 'succeeded',
      verdict: 'done',
      finishedAt: new Date().toISOString(),
    });
    const now = Date.now();
    const headers = { 'Gatehouse-Signature': signWebhook(keyring, body, now), 'Gatehouse-Delivery': 'outcome:a:b' };
    expect(verifyWebhook({ body, headers, keys: keyring, agentId: 'a', nowMs: now }).outcome.status).toBe('succeeded');
    expect(() => verifyWebhook({ body, headers, keys: keyring, agentId: 'a', nowMs: now + 10 * 60_000 })).toThrow(/replay/);
    expect(() => verifyWebhook({ body: body.replace('succeeded', 'failed'), headers, keys: keyring, agentId: 'a', nowMs: now })).toThrow(
      WebhookVerificationError,
    );
    const other = parseLinkKeyring(`wh2:${generateLinkSecret()}`);
    expect(() => verifyWebhook({ body, headers, keys: other, agentId: 'a', nowMs: now })).toThrow(/unknown signing key/);
    expect(() => verifyWebhook({ body, headers, keys: keyring, agentId: ['b', 'c'], nowMs: now })).toThrow(/not of this receiver/);
    expect(() => verifyWebhook({ body, headers: {}, keys: keyring, agentId: 'a', nowMs: now })).toThrow(/no gatehouse-signature/);
  });
});

describe('waitForOutcomes', () => {
  it('yields each of many runs as it ends, from one waiter', async () => {
    const auto = await Promise.all([1, 2, 3].map(() => h.gatehouse.propose(h.proposal('test.auto'))));
    const held = await h.gatehouse.propose(h.proposal('test.single'));
    const ids = [...auto.map((r) => r.workflowId), held.workflowId];
    const seen: FinishedRun[] = [];
    const controller = new AbortController();
    const waiting = (async () => {
      for await (const run of h.gatehouse.waitForOutcomes(ids, { signal: controller.signal, pollIntervalMs: 200 })) seen.push(run);
    })();
    await eventually(async () => (seen.length === 3 ? true : undefined));
    expect(seen.map((r) => r.workflowId).sort()).toEqual(auto.map((r) => r.workflowId).sort());
    await awaitingApproval(held.workflowId);
    await h.client.workflow.getHandle(held.workflowId).executeUpdate(decideUpdate, {
      args: [await h.decision(held.workflowId, { id: 'bob', role: 'approver' }, 'reject', { comment: 'no' })],
    });
    await waiting;
    expect(seen).toHaveLength(4);
    expect(seen[3]).toMatchObject({ workflowId: held.workflowId, outcome: { status: 'rejected', reason: 'rejected by bob: no' } });
  });

  it('ends when its signal aborts', async () => {
    const held = await h.gatehouse.propose(h.proposal('test.single'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const seen: FinishedRun[] = [];
    for await (const run of h.gatehouse.waitForOutcomes([held.workflowId], { signal: controller.signal, pollIntervalMs: 100 }))
      seen.push(run);
    expect(seen).toEqual([]);
    await held.cancel();
  });

  it('refuses ids that cannot be workflow ids before waiting', async () => {
    const iterate = async () => {
      for await (const _run of h.gatehouse.waitForOutcomes(['ok:1', 'bad" OR WorkflowId != "x'])) break;
    };
    await expect(iterate()).rejects.toThrow(OutcomeWaitError);
  });
});
