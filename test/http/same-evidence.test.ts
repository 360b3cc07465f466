/**
 * One evidence pack, three renderers: the same hostile proposal goes through the review mail
 * (rendered and as it arrives over real SMTP), the decision page and the JSON API of the real
 * service against a real worker, and all three show the same masked, inert text and never the
 * redacted value, however the agent or a reviewer disguised it. `test.edits` redacts
 * params.body.card and asks a manager too when params.body.amount > 1000.
 */
import { skeleton } from '../../src/evidence/confusables';
import { escapeHtml } from '../../src/evidence/text';
import type { DecisionEvidence } from '../../src/http/evidence';
import { renderNotification } from '../../src/mail/render';
import { createHarness, eventually, type Harness } from '../support/harness';
import { readInbox, type ReceivedMail } from '../support/inbox';
import { awaitingRun, getPage, postJson, signLink, startService, stateOf, type RunningService } from './service';

const SECRET = 'PHOTOCASE-4111-7342';
/** The secret with Cyrillic look-alikes (Р Н О Т С А Ѕ Е) and a zero-width space inside. */
const DISGUISED = 'РНОТО\u200BСАЅЕ-4111-7342';
const MB = 1_000_000;

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

/** Invisible, bidi and control characters none of the three may show. */
const HIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

/** Not the secret, nor any disguise of it: the look-alike skeleton of the whole output lacks it. */
function expectNoSecret(label: string, output: string): void {
  expect({ label, clear: output.includes(SECRET) }).toEqual({ label, clear: false });
  expect({ label, disguised: skeleton(output).includes(skeleton(SECRET)) }).toEqual({ label, disguised: false });
}

describe('the same hostile evidence through mail, page and API', () => {
  it('shows the same masked, inert text in the three, and never the redacted value', async () => {
    const proposal = h.proposal('test.edits');
    const params = {
      ...proposal.params,
      // A 1 MB note that repeats the secret at its very end, past every cap.
      body: { amount: 5_000, card: SECRET, note: `${'A'.repeat(MB)} ${DISGUISED}` },
    };
    const summary = `Refund to ${DISGUISED} <b>now</b>`;
    const workflowId = await awaitingRun(h, 'test.edits', {
      id: proposal.id,
      params,
      summary,
      evidence: {
        rationale: `<script>alert(1)</script> card PHOTO\u202ECASE\u202C-4111\u2066-7342 [click](javascript:alert(document.cookie))\u200B`,
        sources: [{ title: `photocase\u200D 4111 7342 <a href="javascript:alert(1)">x</a>`, url: `https://example.com/?c=${SECRET}` }],
        preview: `${'p'.repeat(49_000)}\nＰＨＯＴＯＣＡＳＥ－４１１１－７３４２`,
        rollbackPlan: `Refund back to P\u0338HOTOCASE-\n4111-7342 "><img src=x onerror=alert(2)>`,
        confidence: 0.7,
      },
    });

    // Alice approves with a comment repeating the secret among escape sequences; the manager is
    // still needed, so the run keeps waiting and the comment is shown.
    const aliceApi = `${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'alice', role: 'approver' })}`;
    const paramsHash = (await stateOf(h, workflowId)).paramsHash;
    const decided = await postJson(aliceApi, {
      kind: 'approve',
      paramsHash,
      comment: `fine, ${DISGUISED}\u001b[2J\u001b]0;owned\u0007 done`,
    });
    expect(decided.status).toBe(200);
    const state = await stateOf(h, workflowId);
    expect(state.status).toBe('awaiting_approval');

    // The three renderers.
    const dave = signLink(h, { wf: workflowId, sub: 'dave', role: 'manager' });
    const apiResponse = await fetch(`${service.url}/api/decisions/${dave}`);
    expect(apiResponse.status).toBe(200);
    const apiBody = await apiResponse.text();
    const api = JSON.parse(apiBody) as DecisionEvidence;
    const page = await getPage(`${service.url}/d/${dave}`);
    expect(page.status).toBe(200);
    const mail = renderNotification({
      purpose: 'review_requested',
      recipientName: 'Dave Manager',
      proposal: state.proposal,
      ...(state.evaluation ? { evaluation: state.evaluation } : {}),
      paramsHash: state.paramsHash,
      round: state.round,
      ...(state.deadline ? { deadline: state.deadline } : {}),
      decisionUrl: `${service.url}/d/${dave}`,
    });
    // And the mail the worker really sent the manager.
    const delivered = await eventually<ReceivedMail>(
      async () => {
        const mails = await readInbox(h.inbox.apiBaseUrl);
        return mails.find((m) => m.to.includes('dave@test.example') && m.text.includes(state.paramsHash));
      },
      20_000,
      'the review mail to dave',
    );

    // The same masked text, exactly, in each.
    const rationale = api.agentWritten.find((f) => f.label === 'Rationale')?.value;
    const sources = api.agentWritten.find((f) => f.label === 'Sources')?.value;
    const rollback = api.agentWritten.find((f) => f.label === 'Rollback plan')?.value;
    expect(api.summary).toBe('Refund to [redacted] <b>now</b>');
    expect(rationale).toBe('<script>alert(1)</script> card [redacted] [click](javascript:alert(document.cookie))');
    expect(sources).toBe('- [redacted] <a href="javascript:alert(1)">x</a> — https://example.com/?c=[redacted]');
    expect(rollback).toBe('Refund back to [redacted] "><img src=x onerror=alert(2)>');
    expect(api.decisions.map((d) => d.comment)).toEqual(['fine, [redacted][2J]0;owned done']);
    const body = api.params.find((f) => f.label === 'body')!.value;
    expect(body.startsWith('{\n  "amount": 5000,\n  "card": "[redacted]",\n  "note": "AAAA')).toBe(true);

    for (const shown of [api.summary, rationale!, sources!, rollback!]) {
      expect(page.html).toContain(escapeHtml(shown));
      expect(mail.html).toContain(escapeHtml(shown));
      expect(delivered.html).toContain(escapeHtml(shown));
      expect(mail.text).toContain(shown);
      expect(delivered.text).toContain(shown);
    }
    expect(mail.subject).toBe(`[Gatehouse] Approval needed: ${api.summary}`);
    expect(delivered.subject).toBe(mail.subject);
    expect(page.html).toContain(escapeHtml(api.decisions[0]!.comment!));
    // The params row: the page and the mail cap it at different lengths, but say the same up to there.
    const bodyStart = body.slice(0, 900);
    expect(page.html).toContain(escapeHtml(bodyStart));
    expect(mail.text).toContain(
      bodyStart
        .split('\n')
        .map((line) => `    ${line}`)
        .join('\n'),
    );

    // Never the secret, disguised or not; nothing invisible; nothing live; nothing unbounded.
    for (const [label, output] of [
      ['api', apiBody],
      ['page', page.html],
      ['mail text', mail.text],
      ['mail html', mail.html],
      ['delivered text', delivered.text],
      ['delivered html', delivered.html],
      ['subject', delivered.subject],
    ] as const) {
      expectNoSecret(label, output);
      expect({ label, hidden: HIDDEN.test(output) }).toEqual({ label, hidden: false });
    }
    for (const html of [page.html, mail.html, delivered.html]) {
      expect(html).not.toMatch(/<script|<img|<b>|<a href="javascript/i);
    }
    expect(apiBody.length).toBeLessThan(200_000);
    expect(page.html.length).toBeLessThan(300_000);
    expect(mail.html.length).toBeLessThan(50_000);
    expect(delivered.text.length).toBeLessThan(50_000);
  });
});
