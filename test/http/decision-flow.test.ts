/**
 * The reviewer's whole loop through the real pieces: a proposal, the worker's mail in a real SMTP
 * inbox, the link taken from that mail, the decision page over real HTTP, the POST, the commit
 * against a real HTTP target.
 */
import { createHarness, type Harness } from '../support/harness';
import { Client, Connection } from '@temporalio/client';
import { awaitingRun, getPage, postForm, signLink, startService, stateOf, tokenFromInbox, type RunningService } from './service';

let h: Harness;
let service: RunningService;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  service = await startService(h);
});
afterAll(async () => {
  await service?.close();
  await h?.close();
});

describe('decision flow', () => {
  it('shows the mailed link, decides nothing on GET, and commits once after the approve POST', async () => {
    const stamp = String(Date.now());
    const workflowId = await awaitingRun(h, 'test.single', { summary: `Refund <b>42</b> to customer & co ${stamp}` });
    const token = await tokenFromInbox(h, 'alice@test.example', stamp);
    const url = `${service.url}/d/${token}`;

    const page = await getPage(url);
    expect(page.status).toBe(200);
    const state = await stateOf(h, workflowId);
    expect(page.html).toContain('Refund &lt;b&gt;42&lt;/b&gt; to customer &amp; co');
    expect(page.html).not.toContain('<b>42</b>');
    expect(page.html).toContain(state.paramsHash);
    expect(page.paramsHash).toBe(state.paramsHash);
    expect(page.html).toContain('Alice Approver');
    expect(page.html).toMatch(/<button class="approve"[^>]*>Approve<\/button>/);
    expect(page.html).toMatch(/<button class="reject"[^>]*>Reject<\/button>/);
    expect(page.html).toMatch(/<button class="escalate"[^>]*>Escalate<\/button>/);
    expect(page.html).toMatch(/<button class="changes"[^>]*>Request changes<\/button>/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.cookie).toBeDefined();
    expect(page.csrf).toBeDefined();

    // The scanner case: five more fetches, as Safe Links and friends do.
    for (let i = 0; i < 5; i++) expect((await getPage(url)).status).toBe(200);
    const afterGets = await stateOf(h, workflowId);
    expect(afterGets.status).toBe('awaiting_approval');
    expect(afterGets.decisions).toEqual([]);

    const posted = await postForm(
      url,
      { kind: 'approve', comment: 'looks right', paramsHash: page.paramsHash!, csrf: page.csrf! },
      page.cookie,
    );
    expect(posted.status).toBe(200);
    expect(posted.body).toContain('your approval is recorded');

    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions).toEqual([
      expect.objectContaining({ reviewerId: 'alice', role: 'approver', kind: 'approve', comment: 'looks right' }),
    ]);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    expect(h.target.posts.filter((k) => k === final.execution!.idempotencyKey)).toHaveLength(1);
  });

  it('answers HEAD on a link without deciding or querying anything', async () => {
    const workflowId = await awaitingRun(h, 'test.single');
    const token = await tokenFromInbox(h, 'bob@test.example', workflowId.split(':')[1]!);
    const response = await fetch(`${service.url}/d/${token}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect((await stateOf(h, workflowId)).decisions).toEqual([]);
  });

  it('records a rejection with its reason and executes nothing', async () => {
    const workflowId = await awaitingRun(h, 'test.single');
    const url = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'bob' })}`;
    const page = await getPage(url);
    const withoutReason = await postForm(
      url,
      { kind: 'reject', comment: '  ', paramsHash: page.paramsHash!, csrf: page.csrf! },
      page.cookie,
    );
    expect(withoutReason.status).toBe(400);
    expect(withoutReason.body).toContain('rejection needs a reason');
    expect((await stateOf(h, workflowId)).decisions).toEqual([]);

    const rejected = await postForm(
      url,
      { kind: 'reject', comment: 'wrong customer', paramsHash: page.paramsHash!, csrf: page.csrf! },
      page.cookie,
    );
    expect(rejected.status).toBe(200);
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('rejected');
    expect(final.outcomeReason).toContain('wrong customer');
    expect(final.execution).toBeUndefined();
  });

  it('sends the proposal back to the agent on a request for changes, which needs a reason', async () => {
    const workflowId = await awaitingRun(h, 'test.single');
    const url = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'carol' })}`;
    const page = await getPage(url);
    const fields = { kind: 'request_changes', paramsHash: page.paramsHash!, csrf: page.csrf! };
    const withoutReason = await postForm(url, fields, page.cookie);
    expect(withoutReason.status).toBe(400);
    expect(withoutReason.body).toContain('must say what to change');
    const asked = await postForm(url, { ...fields, comment: 'refund 40, not 42' }, page.cookie);
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('asked for changes');
    const state = await stateOf(h, workflowId);
    expect(state.status).toBe('changes_requested');
    expect(state.decisions).toEqual([
      expect.objectContaining({ reviewerId: 'carol', kind: 'request_changes', comment: 'refund 40, not 42' }),
    ]);
  });

  it('serves the evidence and takes the decision as JSON on the API', async () => {
    const workflowId = await awaitingRun(h, 'test.quorum');
    const url = `${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'carol' })}`;
    const evidence = (await (await fetch(url)).json()) as { paramsHash: string; standing: { open: boolean }; reviewer: { id: string } };
    expect(evidence.reviewer.id).toBe('carol');
    expect(evidence.standing.open).toBe(true);

    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'approve', paramsHash: evidence.paramsHash }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      applied: true,
      kind: 'approve',
      status: 'awaiting_approval',
      round: 1,
      remaining: [{ role: 'approver', needed: 1 }],
    });
    expect((await stateOf(h, workflowId)).decisions).toEqual([expect.objectContaining({ reviewerId: 'carol', kind: 'approve' })]);
  });

  it('reports liveness and Temporal readiness', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', temporal: 'reachable' });
  });

  it('reports not ready while Temporal is unreachable', async () => {
    // Port 1 on loopback: nothing listens, so every call fails fast.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const down = await startService(h, { client: new Client({ connection }) });
    try {
      expect((await fetch(`${down.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${down.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', temporal: 'unreachable' });
    } finally {
      await down.close();
      await connection.close();
    }
  });
});
