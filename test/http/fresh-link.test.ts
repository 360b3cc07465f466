/**
 * "Send me a fresh link" through the real pieces: an expired link's page offers it, the POST
 * signals the run, and the worker mails a fresh link to the reviewer's address on file, at most
 * once per interval; a person not asked in this round gets nothing. A policy may set the lifetime
 * of the links it mails.
 */
import { decodeBase64urlStrict } from '../../src/links/base64url';
import { createHarness, eventually, type Harness } from '../support/harness';
import { linkTokens, readInbox, type ReceivedMail } from '../support/inbox';
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

const claimsOf = (token: string) =>
  JSON.parse(decodeBase64urlStrict(token.split('.')[2]!)!.toString('utf8')) as { exp: number; sub: string; round: number };

async function freshLinkMails(to: string, marker: string): Promise<ReceivedMail[]> {
  return (await readInbox(h.inbox.apiBaseUrl)).filter(
    (m) => m.to.includes(to) && m.text.includes(marker) && m.subject.startsWith('[Gatehouse] Your new link'),
  );
}

describe('fresh links', () => {
  it('offers a fresh link on an expired link, mails it to the address on file once per interval, and never to others', async () => {
    const stamp = `fresh-${Date.now()}`;
    const workflowId = await awaitingRun(h, 'test.single', { summary: `Fresh link ${stamp}` });
    const mailed = await tokenFromInbox(h, 'alice@test.example', stamp);

    const expired = signLink(h, { wf: workflowId, sub: 'alice', role: 'approver', exp: Math.floor(Date.now() / 1000) - 60 });
    const page = await getPage(`${service.url}/d/${expired}`);
    expect(page.status).toBe(410);
    // The form posts to the page's own URL: the token is not written into the page.
    expect(page.html).toContain('<form class="card" method="post">\n<input type="hidden" name="intent" value="fresh_link">');
    expect(page.html).toContain('Send me a fresh link');
    expect(page.html).not.toContain(expired.split('.')[3]!);
    const action = `${service.url}/d/${expired}`;
    const ask = { intent: 'fresh_link' };

    const asked = await postForm(action, ask, undefined);
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('a mail with a fresh link is on its way to your address on file');
    const [fresh] = await eventually(
      async () => {
        const mails = await freshLinkMails('alice@test.example', stamp);
        return mails.length > 0 ? mails : undefined;
      },
      20_000,
      'the fresh-link mail',
    );
    const token = linkTokens(fresh!)[0]!;
    expect(token).not.toBe(mailed);
    expect(claimsOf(token)).toMatchObject({ sub: 'alice', round: 1 });
    expect((await getPage(`${service.url}/d/${token}`)).html).toMatch(/<button class="approve"[^>]*>Approve<\/button>/);

    // Again at once: the same answer, no second mail.
    expect((await postForm(action, ask, undefined)).status).toBe(200);
    // An expired link decides nothing, whatever it posts.
    expect((await postForm(action, { kind: 'approve', paramsHash: 'x', csrf: 'x' }, undefined)).status).toBe(410);
    // Someone not asked in this round (dave is a manager) gets nothing either.
    const stranger = signLink(h, { wf: workflowId, sub: 'dave', role: 'approver', exp: Math.floor(Date.now() / 1000) - 60 });
    expect((await postForm(`${service.url}/d/${stranger}`, ask, undefined)).status).toBe(200);
    // A cross-site post is refused before it reaches the run.
    expect((await postForm(action, ask, undefined, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await freshLinkMails('alice@test.example', stamp)).toHaveLength(1);
    expect((await readInbox(h.inbox.apiBaseUrl)).filter((m) => m.to.includes('dave@test.example') && m.text.includes(stamp))).toHaveLength(
      0,
    );
    const state = await stateOf(h, workflowId);
    expect(state.freshLinks?.map((f) => f.reviewerId)).toEqual(['alice']);
    expect(state.transitions.filter((t) => t.event === 'fresh_link_sent')).toHaveLength(1);
  }, 40_000);

  it('offers a fresh link on a superseded link too', async () => {
    const workflowId = await awaitingRun(h, 'test.single');
    const superseded = signLink(h, { wf: workflowId, sub: 'alice', role: 'approver', round: 1 });
    // Round 2 after a request for changes and a revision: the round-1 link is superseded.
    const handle = h.client.workflow.getHandle(workflowId);
    const { decideUpdate } = await import('../../workflows/messages');
    await handle.executeUpdate(decideUpdate, {
      args: [await h.decision(workflowId, { id: 'bob', role: 'approver' }, 'request_changes', { comment: 'smaller' })],
    });
    const params = (await stateOf(h, workflowId)).proposal.params;
    await (await h.gatehouse.getProposal(workflowId)).revise({ by: 'agent-7', params: { ...params, body: { amount: 41 } } });
    const page = await getPage(`${service.url}/d/${superseded}`);
    expect(page.status).toBe(409);
    expect(page.html).toContain('value="fresh_link"');
    expect((await postForm(`${service.url}/d/${superseded}`, { intent: 'fresh_link' }, undefined)).status).toBe(200);
    await eventually(
      async () => ((await stateOf(h, workflowId)).freshLinks?.[0]?.round === 2 ? true : undefined),
      10_000,
      'a fresh link for round 2',
    );
  }, 30_000);

  it('mails links that live as long as the policy says, beyond the worker default', async () => {
    const stamp = `ttl-${Date.now()}`;
    await awaitingRun(h, 'test.longwait', { summary: `Long wait ${stamp}` });
    const token = await tokenFromInbox(h, 'alice@test.example', stamp);
    const days = (claimsOf(token).exp * 1000 - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(19.9);
    expect(days).toBeLessThanOrEqual(20);
  });
});
