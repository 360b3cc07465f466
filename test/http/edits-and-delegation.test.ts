/**
 * Approving with edits and delegating through the real service: the page's forms and the JSON
 * API against a real worker, the mail in a real SMTP inbox, the commit against a real HTTP target.
 * `test.edits` asks a manager too when params.body.amount > 1000 and redacts params.body.card.
 */
import { createHarness, eventually, type Harness } from '../support/harness';
import { linkTokens, readInbox } from '../support/inbox';
import { awaitingRun, getPage, postForm, postJson, signLink, startService, stateOf, type LoadedPage, type RunningService } from './service';

const CARD = '4111111111111111';

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

/** A `test.edits` run awaiting approval, its body holding a card number the policy redacts. */
async function editsRun(): Promise<{ workflowId: string; params: Record<string, unknown> }> {
  const proposal = h.proposal('test.edits');
  const params = { ...proposal.params, body: { amount: 42, card: CARD, note: 'refund for order 9912' } };
  const workflowId = await awaitingRun(h, 'test.edits', { id: proposal.id, params });
  return { workflowId, params };
}

/** The text of a textarea as the browser would submit it (the page escapes it as HTML). */
function textareaValue(html: string, id: string): string {
  const match = new RegExp(`<textarea id="${id}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
  if (!match) throw new Error(`no textarea #${id} on the page`);
  return match[1]!
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function editForm(page: LoadedPage, editedParams: string, comment = ''): Record<string, string> {
  return { kind: 'approve_with_edits', editedParams, comment, paramsHash: page.paramsHash!, csrf: page.csrf! };
}

/** The page's editor JSON with `change` applied to its body. */
function editedBody(page: LoadedPage, change: Record<string, unknown>): string {
  const shown = JSON.parse(textareaValue(page.html, 'edit-params')) as { body: Record<string, unknown> };
  return JSON.stringify({ ...shown, body: { ...shown.body, ...change } }, null, 2);
}

async function expectUntouched(workflowId: string): Promise<void> {
  const state = await stateOf(h, workflowId);
  expect([state.status, state.round, state.decisions.length, state.originalParams]).toEqual(['awaiting_approval', 1, 0, undefined]);
}

describe('approve with edits on the page', () => {
  it('asks the manager for the raised amount, shows them the diff, and executes the edited body with the card kept', async () => {
    const { workflowId, params } = await editsRun();
    const url = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'alice' })}`;
    const page = await getPage(url);
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<button class="edits"[^>]*>Approve with edits<\/button>/);
    expect(page.html).toContain('they keep their current value: <code>params.body.card</code>');
    expect(page.html).not.toContain(CARD);
    const shown = JSON.parse(textareaValue(page.html, 'edit-params')) as Record<string, unknown>;
    expect(shown).toEqual({ ...params, body: { amount: 42, note: 'refund for order 9912' } });

    const posted = await postForm(
      url,
      editForm(page, editedBody(page, { amount: 5_000 }), 'customer asked for the full amount'),
      page.cookie,
    );
    expect(posted.status).toBe(200);
    expect(posted.body).toContain('your approval of the edited version is recorded');
    expect(posted.body).toContain('The edited version needs further approval: 1 × manager');

    const during = await stateOf(h, workflowId);
    expect(during.round).toBe(2);
    expect(during.originalParams).toEqual(params);
    expect(during.proposal.params['body']).toEqual({ amount: 5_000, card: CARD, note: 'refund for order 9912' });

    // The manager's link for round 2, as the worker would mail it.
    const daveUrl = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'dave', role: 'manager', round: 2 })}`;
    const davePage = await getPage(daveUrl);
    expect(davePage.status).toBe(200);
    expect(davePage.html).toContain('Changes to the agent’s original version');
    expect(davePage.html).toContain('Edited by <strong>alice</strong> (approver) in round 1');
    expect(davePage.html).toMatch(
      /<th scope="row"><code>body.amount<\/code><\/th><td class="old"><pre>42<\/pre><\/td><td class="new"><pre>5000<\/pre><\/td>/,
    );
    expect(davePage.html).not.toContain('<code>body.card</code>');
    expect(davePage.html).not.toContain(CARD);

    const approved = await postForm(daveUrl, { kind: 'approve', paramsHash: davePage.paramsHash!, csrf: davePage.csrf! }, davePage.cookie);
    expect(approved.status).toBe(200);
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 5_000, card: CARD, note: 'refund for order 9912' });
  });

  it('refuses an edit the action schema rejects with a clear 400, changes nothing, and takes the corrected edit', async () => {
    const { workflowId } = await editsRun();
    const url = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'bob' })}`;
    const page = await getPage(url);
    const shown = JSON.parse(textareaValue(page.html, 'edit-params')) as Record<string, unknown>;
    const refused = await postForm(url, editForm(page, JSON.stringify({ ...shown, url: 'not a url' })), page.cookie);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('The edited parameters cannot be used');
    expect(refused.body).toContain('the edited version is refused: params invalid: params.url');
    expect(refused.body).toContain('invalid_edit');
    await expectUntouched(workflowId);

    // Corrected and sent again from the same page: the earlier refusal does not stick to the link.
    const corrected = await postForm(
      url,
      editForm(page, JSON.stringify({ ...shown, body: { amount: 40, note: 'partial refund' } })),
      page.cookie,
    );
    expect(corrected.status).toBe(200);
    expect(corrected.body).toContain('The edited version is approved');
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 40, card: CARD, note: 'partial refund' });
  });

  it('cannot change a redacted field: the card keeps its value through the edit that is approved', async () => {
    const { workflowId } = await editsRun();
    const url = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'carol' })}`;
    const page = await getPage(url);

    const setCard = await postForm(url, editForm(page, editedBody(page, { card: '5500000000000004' })), page.cookie);
    expect(setCard.status).toBe(400);
    expect(setCard.body).toContain('params.body.card is redacted: it cannot be set or changed from this page');
    const marker = await postForm(url, editForm(page, editedBody(page, { note: 'card [redacted]' })), page.cookie);
    expect(marker.status).toBe(400);
    expect(marker.body).toContain('params.body.note contains &quot;[redacted]&quot;');
    const unchanged = await postForm(url, editForm(page, textareaValue(page.html, 'edit-params')), page.cookie);
    expect(unchanged.status).toBe(400);
    expect(unchanged.body).toContain('the same as the current one');
    const notJson = await postForm(url, editForm(page, '{"amount": 10'), page.cookie);
    expect(notJson.status).toBe(400);
    expect(notJson.body).toContain('editedParams: not valid JSON');
    const list = await postForm(url, editForm(page, '[]'), page.cookie);
    expect(list.status).toBe(400);
    expect(list.body).toContain('must be a JSON object');
    const tooLarge = await postForm(url, editForm(page, editedBody(page, { note: 'x'.repeat(70_000) })), page.cookie);
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body).toContain('at most 64 kB');
    await expectUntouched(workflowId);

    const lowered = await postForm(url, editForm(page, editedBody(page, { amount: 10 })), page.cookie);
    expect(lowered.status).toBe(200);
    expect(lowered.body).toContain('The edited version is approved');
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 10, card: CARD, note: 'refund for order 9912' });
  });
});

describe('approve with edits on the API', () => {
  it('takes the editor’s params with a change and merges the redacted card back', async () => {
    const { workflowId } = await editsRun();
    const url = `${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'alice' })}`;
    const evidence = (await (await fetch(url)).json()) as {
      paramsHash: string;
      standing: { approveWithEdits: boolean };
      editor: { offered: true; params: { body: Record<string, unknown> }; redactedFields: string[] };
    };
    expect(evidence.standing.approveWithEdits).toBe(true);
    expect(evidence.editor.redactedFields).toEqual(['params.body.card']);
    expect(JSON.stringify(evidence)).not.toContain(CARD);

    const invalid = await postJson(url, {
      kind: 'approve_with_edits',
      editedParams: { ...evidence.editor.params, method: 'GET' },
      paramsHash: evidence.paramsHash,
    });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body)).toEqual({
      error: expect.objectContaining({ status: 400, code: 'invalid_edit', detail: expect.stringContaining('params.method') }),
    });
    await expectUntouched(workflowId);

    const editedParams = { ...evidence.editor.params, body: { ...evidence.editor.params.body, amount: 12 } };
    const response = await postJson(url, { kind: 'approve_with_edits', editedParams, paramsHash: evidence.paramsHash, comment: 'smaller' });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ applied: true, kind: 'approve_with_edits', status: 'approved', round: 2, remaining: [] });
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 12, card: CARD, note: 'refund for order 9912' });
  });
});

describe('delegation', () => {
  it('mails the chosen reviewer from the page, who then decides, and refuses the delegator’s second decision', async () => {
    const { workflowId } = await editsRun();
    const id = workflowId.split(':')[1]!;
    const url = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'alice' })}`;
    const page = await getPage(url);
    const options = [...page.html.matchAll(/<option value="([^"]*)">([^<]*)<\/option>/g)].map((m) => [m[1], m[2]]);
    // Not alice herself, not peter (he asked for the action), not dave (another role).
    expect(options).toEqual([
      ['', 'Choose a reviewer…'],
      ['bob', 'Bob Approver (bob)'],
      ['carol', 'Carol Finance (carol)'],
    ]);

    const delegated = await postForm(
      url,
      { kind: 'delegate', delegateTo: 'bob', comment: 'you know this customer', paramsHash: page.paramsHash!, csrf: page.csrf! },
      page.cookie,
    );
    expect(delegated.status).toBe(200);
    expect(delegated.body).toContain('your delegation is recorded');
    expect(delegated.body).toContain('Bob Approver (bob) has been asked to decide in your place');

    const mail = await eventually(
      async () => {
        const mails = await readInbox(h.inbox.apiBaseUrl);
        return mails.find(
          (m) => m.to.includes('bob@test.example') && m.text.includes(id) && m.text.includes('delegated this decision to you'),
        );
      },
      20_000,
      'the delegation mail to bob',
    );
    expect(mail.text).toContain('delegated by alice');

    // Alice again, from the same page and from a fresh link (a reminder's): refused, nothing recorded.
    const again = await getPage(url);
    expect(again.html).toContain('You already decided on this round (delegate)');
    expect(again.html).not.toContain('<form');
    const fresh = await postJson(`${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'alice' })}`, {
      kind: 'approve',
      paramsHash: page.paramsHash,
    });
    expect(fresh.status).toBe(409);
    expect(JSON.parse(fresh.body)).toEqual({ error: expect.objectContaining({ code: 'already_decided' }) });

    const bobToken = linkTokens(mail)[0]!;
    const bobPage = await getPage(`${service.url}/d/${bobToken}`);
    const approved = await postForm(
      `${service.url}/d/${bobToken}`,
      { kind: 'approve', paramsHash: bobPage.paramsHash!, csrf: bobPage.csrf! },
      bobPage.cookie,
    );
    expect(approved.status).toBe(200);
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    expect(
      final.decisions.map((d: { reviewerId: string; kind: string; delegateTo?: string }) => [d.reviewerId, d.kind, d.delegateTo]),
    ).toEqual([
      ['alice', 'delegate', 'bob'],
      ['bob', 'approve', undefined],
    ]);
  });

  it('delegates on the API to a listed reviewer only', async () => {
    const { workflowId } = await editsRun();
    const url = `${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'bob' })}`;
    const evidence = (await (await fetch(url)).json()) as { paramsHash: string; delegateCandidates: { id: string; name: string }[] };
    expect(evidence.delegateCandidates).toEqual([
      { id: 'alice', name: 'Alice Approver' },
      { id: 'carol', name: 'Carol Finance' },
    ]);
    for (const delegateTo of ['bob', 'dave', 'peter', 'nobody']) {
      const refused = await postJson(url, { kind: 'delegate', delegateTo, paramsHash: evidence.paramsHash });
      expect({ delegateTo, status: refused.status }).toEqual({ delegateTo, status: 400 });
      expect(JSON.parse(refused.body)).toEqual({
        error: expect.objectContaining({
          code: 'bad_form',
          detail: 'delegateTo: not one of the reviewers you can delegate to in this round',
        }),
      });
    }
    await expectUntouched(workflowId);

    const response = await postJson(url, { kind: 'delegate', delegateTo: 'carol', paramsHash: evidence.paramsHash });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      applied: true,
      kind: 'delegate',
      delegatedTo: { id: 'carol', name: 'Carol Finance' },
      status: 'awaiting_approval',
      round: 1,
      remaining: [{ role: 'approver', needed: 1 }],
    });
    const state = await stateOf(h, workflowId);
    expect(state.delegates).toEqual([
      expect.objectContaining({ reviewer: expect.objectContaining({ id: 'carol' }), role: 'approver', by: 'bob' }),
    ]);
    const second = await postJson(url, { kind: 'delegate', delegateTo: 'alice', paramsHash: evidence.paramsHash });
    expect(second.status).toBe(409);
    expect(JSON.parse(second.body)).toEqual({ error: expect.objectContaining({ code: 'already_decided' }) });
  });
});

describe('what changed, on the page', () => {
  it('shows the precondition drift that sent the run back for re-approval', async () => {
    const proposal = h.proposal('test.single');
    h.target.state.set(proposal.id, { version: 7 });
    const workflowId = await awaitingRun(h, 'test.single', {
      id: proposal.id,
      params: { ...proposal.params, preconditionUrl: `${h.target.url}/state/${proposal.id}` },
      evidence: { rationale: 'the record is at version 7', preconditions: { version: 7 } },
    });
    h.target.state.set(proposal.id, { version: 8 });
    const hash = (await stateOf(h, workflowId)).paramsHash;
    const alice = `${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'alice' })}`;
    expect((await postJson(alice, { kind: 'approve', paramsHash: hash })).status).toBe(200);
    await eventually(async () => ((await stateOf(h, workflowId)).round === 2 ? true : undefined), 20_000, 're-approval round');

    const page = await getPage(`${service.url}/d/${signLink(h, { wf: workflowId, sub: 'bob', round: 2 })}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h2 id="drift">Changed since the last approval</h2>');
    expect(page.html).toContain('<li><code>version</code>: 7 → 8</li>');
  });

  it('escapes every value of the diff', async () => {
    const { workflowId } = await editsRun();
    const url = `${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'carol' })}`;
    const evidence = (await (await fetch(url)).json()) as { paramsHash: string; editor: { params: { body: Record<string, unknown> } } };
    const editedParams = {
      ...evidence.editor.params,
      body: { ...evidence.editor.params.body, note: '<img src=x onerror=alert(1)>', '<b>key</b>': 1 },
    };
    expect((await postJson(url, { kind: 'approve_with_edits', editedParams, paramsHash: evidence.paramsHash })).status).toBe(200);

    const page = await getPage(`${service.url}/d/${signLink(h, { wf: workflowId, sub: 'bob', round: 2 })}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<pre>&lt;img src=x onerror=alert(1)&gt;</pre>');
    expect(page.html).toContain('<code>body.&lt;b&gt;key&lt;/b&gt;</code>');
    expect(page.html).not.toContain('<img');
    expect(page.html).not.toContain('<b>key');
  });
});
