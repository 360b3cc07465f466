/**
 * Reviewers decide in Slack: the worker posts a card per eligible reviewer with a Slack id (to a
 * local Slack-compatible fake), and a click signed as Slack signs decides on the run through the
 * real decision service, recorded with channel `slack`. Anything not signed by Slack, stale,
 * replayed or from a Slack user who is not the card's reviewer is refused and decides nothing.
 */
import { createSlackApi } from '../../src/slack/client';
import { SlackAction } from '../../src/slack/card';
import { createReplayCache } from '../../src/slack/replay-cache';
import { slackSignature } from '../../src/slack/signature';
import { createHarness, eventually, type Harness } from '../support/harness';
import { startSlackFake, type SlackCall, type SlackFake } from '../support/slack-fake';
import { awaitingRun, signLink, startService, stateOf, type RunningService } from './service';
import { loadReviewerDirectory } from '../../src/policy/load';
import { FIXTURE_POLICIES } from '../support/harness';
import { join } from 'node:path';
import { issueLinkToken } from '../../src/links/link-issuer';
import { newNonce } from '../../src/links/token';
import { actionValue } from '../../src/slack/interaction';

const SECRET = 'test-signing-secret-0123456789';

let h: Harness;
let fake: SlackFake;
let service: RunningService;

beforeAll(async () => {
  fake = await startSlackFake();
  h = await createHarness({ slackApiUrl: fake.apiUrl });
  await h.startWorker();
  service = await startService(h, {
    decisionTimeoutMs: 5_000,
    slack: {
      signingSecret: SECRET,
      api: createSlackApi({ botToken: 'xoxb-test', apiUrl: fake.apiUrl }),
      people: loadReviewerDirectory(join(FIXTURE_POLICIES, 'reviewers.yaml')).people,
      replayCache: createReplayCache(),
    },
  });
});
afterAll(async () => {
  await service?.close();
  await h?.close();
  await fake?.close();
});

interface Block {
  type: string;
  elements?: { action_id?: string; value?: string; url?: string }[];
}

/** The card posted to `slackUser` for this run (found by the run's summary in its text blocks). */
async function cardFor(slackUser: string, summary: string): Promise<SlackCall> {
  return eventually(
    async () =>
      fake.of('chat.postMessage').find((c) => c.args['channel'] === slackUser && JSON.stringify(c.args['blocks']).includes(summary)),
    20_000,
    `a card to ${slackUser}`,
  );
}

function buttons(card: SlackCall): { action_id?: string; value?: string; url?: string }[] {
  return (card.args['blocks'] as Block[]).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
}

function valueOf(card: SlackCall, action: string): string {
  const value = buttons(card).find((b) => b.action_id === action)?.value;
  if (!value) throw new Error(`no ${action} button`);
  return value;
}

async function send(payload: unknown, sign: { timestamp?: number; signature?: string; secret?: string } = {}): Promise<Response> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(sign.timestamp ?? Math.floor(Date.now() / 1000));
  return sendRaw(body, timestamp, sign.signature ?? slackSignature(sign.secret ?? SECRET, timestamp, body));
}

function sendRaw(body: string, timestamp: string, signature: string): Promise<Response> {
  return fetch(`${service.url}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
    body,
  });
}

/** Sends a click expected to be refused; returns the ephemeral text its response_url received. */
async function refusalTo(payload: ReturnType<typeof click>): Promise<string> {
  const response = await send(payload);
  expect(response.status).toBe(200);
  const answer = await eventually(async () => fake.of('response_url').find((c) => payload.response_url.endsWith(String(c.args['url']))));
  expect(answer.args).toEqual(expect.objectContaining({ response_type: 'ephemeral', replace_original: false }));
  return String(answer.args['text']);
}

/** A card button's value as the worker mints it, for any reviewer and role (a Slack-bound grant). */
function mintedValue(workflowId: string, paramsHash: string, sub: string, role: string): string {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const token = issueLinkToken(
    { wf: workflowId, round: 1, sub, role, exp, nonce: newNonce() },
    { keyring: h.linkKeyring, grantSigner: h.grantSigner },
    'slack',
  );
  return actionValue(paramsHash, token);
}

const click = (user: string, action: string, value: string, card?: SlackCall) => ({
  type: 'block_actions',
  user: { id: user },
  trigger_id: `trigger-${Math.random()}`,
  response_url: fake.responseUrl(`${user}-${Math.random()}`),
  ...(card ? { container: { channel_id: String(card.args['channel']).replace(/^U/, 'D'), message_ts: '1.0' } } : {}),
  actions: [{ action_id: action, value }],
});

describe('Slack cards and decisions', () => {
  it('posts one card per eligible reviewer with a Slack id, params masked, and a signed click approves the run', async () => {
    const proposal = h.proposal('test.slack');
    const body = { amount: 42, card: '4111111111111111' };
    const workflowId = await awaitingRun(h, 'test.slack', {
      id: proposal.id,
      params: { ...proposal.params, body },
      summary: proposal.summary,
    });
    const alice = await cardFor('U0ALICE', proposal.summary);
    await cardFor('U0BOB', proposal.summary);
    // Peter asked for the action: he is not eligible, so no card even though he has a Slack id.
    const forRun = fake.of('chat.postMessage').filter((c) => JSON.stringify(c.args['blocks']).includes(proposal.summary));
    expect(forRun.map((c) => c.args['channel']).sort()).toEqual(['U0ALICE', 'U0BOB']);
    expect(JSON.stringify(alice.args['blocks'])).not.toContain('4111111111111111');
    expect(alice.token).toBe('xoxb-test');
    expect(buttons(alice).map((b) => b.action_id)).toEqual([
      SlackAction.approve,
      SlackAction.reject,
      SlackAction.requestChanges,
      SlackAction.openEvidence,
    ]);
    expect(buttons(alice).find((b) => b.action_id === SlackAction.openEvidence)?.url).toMatch(/\/d\/v1\./);

    const started = Date.now();
    const response = await send(click('U0ALICE', SlackAction.approve, valueOf(alice, SlackAction.approve), alice));
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000);
    const final = await eventually(async () => {
      const s = await stateOf(h, workflowId);
      return s.decisions.length > 0 ? s : undefined;
    });
    expect(final.decisions).toEqual([expect.objectContaining({ reviewerId: 'alice', kind: 'approve', channel: 'slack' })]);
    // The clicked card says who decided what through which channel, with no buttons left.
    const update = await eventually(async () =>
      fake
        .of('chat.update')
        .find((c) => c.args['channel'] === 'D0ALICE' && /approve by alice.*through slack/i.test(String(c.args['text']))),
    );
    expect(JSON.stringify(update.args['blocks'])).not.toContain('"actions"');
  });

  it('refuses a bad signature, an old timestamp and a replay with 401, and a stranger with an ephemeral message, deciding nothing', async () => {
    const proposal = h.proposal('test.slack');
    const workflowId = await awaitingRun(h, 'test.slack', proposal);
    const alice = await cardFor('U0ALICE', proposal.summary);
    const bob = await cardFor('U0BOB', proposal.summary);
    const approve = valueOf(alice, SlackAction.approve);

    expect((await send(click('U0ALICE', SlackAction.approve, approve), { secret: 'another-secret-0123456789' })).status).toBe(401);
    expect((await send(click('U0ALICE', SlackAction.approve, approve), { timestamp: Math.floor(Date.now() / 1000) - 301 })).status).toBe(
      401,
    );
    expect((await sendRaw('ssl_check=1&token=x', String(Math.floor(Date.now() / 1000)), '')).status).toBe(401);
    // Someone whose Slack id is in no directory entry; Bob, a reviewer, on Alice's card (its grant
    // is hers); Dave, in the directory with a Slack id, whose grant it is not either. Each is told
    // only in an ephemeral message, and Slack gets its 200.
    for (const user of ['U0NOBODY', 'U0BOB', 'U0DAVE']) {
      expect(await refusalTo(click(user, SlackAction.approve, approve))).toMatch(/not linked to the reviewer this card was sent to/);
    }
    // Without a response_url nobody could be told: the refusal's own status answers.
    const { response_url: _unused, ...bare } = click('U0NOBODY', SlackAction.approve, approve);
    expect((await send(bare)).status).toBe(403);
    // A genuine request, replayed byte for byte: the second is refused before any decision.
    const body = new URLSearchParams({
      payload: JSON.stringify(click('U0BOB', SlackAction.requestChanges, valueOf(bob, SlackAction.requestChanges))),
    }).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = slackSignature(SECRET, ts, body);
    expect((await sendRaw(body, ts, signature)).status).toBe(200);
    expect((await sendRaw(body, ts, signature)).status).toBe(401);

    const state = await stateOf(h, workflowId);
    expect(state.status).toBe('awaiting_approval');
    expect(state.decisions).toEqual([]);
  });

  it('asks for the reason in a modal and rejects on its submission', async () => {
    const proposal = h.proposal('test.slack');
    const workflowId = await awaitingRun(h, 'test.slack', proposal);
    const bob = await cardFor('U0BOB', proposal.summary);
    const before = fake.of('views.open').length;
    expect((await send(click('U0BOB', SlackAction.reject, valueOf(bob, SlackAction.reject), bob))).status).toBe(200);
    const modal = fake.of('views.open')[before];
    const view = modal?.args['view'] as { private_metadata: string; callback_id: string } | undefined;
    expect(view?.callback_id).toBe('gatehouse.reason');
    // The clicked button alone decides nothing.
    expect((await stateOf(h, workflowId)).decisions).toEqual([]);

    const submission = (reason: string) => ({
      type: 'view_submission',
      user: { id: 'U0BOB' },
      view: {
        callback_id: view!.callback_id,
        private_metadata: view!.private_metadata,
        state: { values: { reason: { reason: { value: reason } } } },
      },
    });
    const empty = await send(submission('  '));
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual(expect.objectContaining({ response_action: 'errors' }));
    expect((await send(submission('amount looks wrong'))).status).toBe(200);
    const final = await eventually(async () => {
      const s = await stateOf(h, workflowId);
      return s.decisions.length > 0 ? s : undefined;
    });
    expect(final.decisions).toEqual([
      expect.objectContaining({ reviewerId: 'bob', kind: 'reject', channel: 'slack', comment: 'amount looks wrong' }),
    ]);
  });

  it('answers within 3 s with no worker running, and the click is applied once a worker is back', async () => {
    const proposal = h.proposal('test.slack');
    const workflowId = await awaitingRun(h, 'test.slack', proposal);
    const alice = await cardFor('U0ALICE', proposal.summary);
    await h.stopWorker();
    try {
      const started = Date.now();
      const withMessage = {
        ...click('U0ALICE', SlackAction.approve, valueOf(alice, SlackAction.approve), alice),
        message: { blocks: alice.args['blocks'] },
      };
      expect((await send(withMessage)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(3_000);
      // The clicked card says the click is recorded, keeps its facts and loses its buttons.
      const marked = await eventually(async () =>
        fake.of('chat.update').find((c) => String(c.args['text']).includes('applied when Gatehouse catches up')),
      );
      expect(JSON.stringify(marked.args['blocks'])).toContain(proposal.summary);
      expect(JSON.stringify(marked.args['blocks'])).not.toContain('"actions"');
    } finally {
      await h.startWorker();
    }
    const final = await eventually(async () => {
      const s = await stateOf(h, workflowId);
      return s.decisions.length > 0 ? s : undefined;
    });
    expect(final.decisions).toEqual([expect.objectContaining({ reviewerId: 'alice', kind: 'approve', channel: 'slack' })]);
  });

  it('updates every card of the run after a decision made through a mailed link', async () => {
    const proposal = h.proposal('test.slack');
    const workflowId = await awaitingRun(h, 'test.slack', proposal);
    const alice = await cardFor('U0ALICE', proposal.summary);
    const bob = await cardFor('U0BOB', proposal.summary);
    // The notify activity's result records where the cards are, through the run's reducer.
    const state = await eventually(async () => {
      const s = await stateOf(h, workflowId);
      return (s.slackCards?.length ?? 0) >= 2 ? s : undefined;
    });
    expect(state.slackCards?.map((c) => c.reviewerId).sort()).toEqual(['alice', 'bob']);
    const aliceTs = state.slackCards?.find((c) => c.reviewerId === 'alice')?.ts;
    expect(aliceTs).toBeDefined();

    const response = await fetch(`${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'carol' })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'approve', paramsHash: state.paramsHash }),
    });
    expect(response.status).toBe(200);
    for (const card of [alice, bob]) {
      const channel = String(card.args['channel']).replace(/^U/, 'D');
      const update = await eventually(
        async () =>
          fake
            .of('chat.update')
            .find(
              (c) => c.args['channel'] === channel && /approve by carol \(approver\) through link/.test(JSON.stringify(c.args['blocks'])),
            ),
        20_000,
        `an update of ${channel}`,
      );
      // The run is decided: the card keeps the facts and the outcome, and no buttons.
      expect(JSON.stringify(update.args['blocks'])).not.toContain('"actions"');
    }
    expect(fake.of('chat.update').some((c) => c.args['ts'] === aliceTs)).toBe(true);
  });

  it('leaves only the evidence link on a card whose policy turns the buttons off', async () => {
    const proposal = h.proposal('test.slack_critical');
    await awaitingRun(h, 'test.slack_critical', proposal);
    const alice = await cardFor('U0ALICE', proposal.summary);
    expect(buttons(alice).map((b) => b.action_id)).toEqual([SlackAction.openEvidence]);
  });
  it('answers a click the workflow refuses with an ephemeral message and 200, the run unchanged', async () => {
    const proposal = h.proposal('test.slack_pair');
    const workflowId = await awaitingRun(h, 'test.slack_pair', proposal);
    const alice = await cardFor('U0ALICE', proposal.summary);
    const before = await stateOf(h, workflowId);
    // Peter asked for the action: a card grant minted for him still cannot approve it.
    const selfApproval = mintedValue(workflowId, before.paramsHash, 'peter', 'approver');
    expect(await refusalTo(click('U0PETER', SlackAction.approve, selfApproval))).toMatch(/may never approve their own action/);
    // Dave is a manager, not an approver: a grant naming him as one does not make him eligible.
    const ineligible = mintedValue(workflowId, before.paramsHash, 'dave', 'approver');
    expect(await refusalTo(click('U0DAVE', SlackAction.approve, ineligible))).toMatch(/not one of the reviewers/);
    expect((await stateOf(h, workflowId)).decisions).toEqual([]);

    // Carol fills the approver slot through her link; Alice's approval in Slack is then refused.
    const viaLink = await fetch(`${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'carol' })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'approve', paramsHash: before.paramsHash }),
    });
    expect(viaLink.status).toBe(200);
    expect(await refusalTo(click('U0ALICE', SlackAction.approve, valueOf(alice, SlackAction.approve), alice))).toMatch(
      /approvals needed from your role are already complete/,
    );
    const afterSlot = await stateOf(h, workflowId);
    expect(afterSlot.status).toBe('awaiting_approval');
    expect(afterSlot.decisions.map((d) => d.reviewerId)).toEqual(['carol']);
  });

  it('answers a click on a closed run with an ephemeral message and 200, the outcome unchanged', async () => {
    const proposal = h.proposal('test.slack');
    const workflowId = await awaitingRun(h, 'test.slack', proposal);
    const bob = await cardFor('U0BOB', proposal.summary);
    const state = await stateOf(h, workflowId);
    const viaLink = await fetch(`${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'alice' })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'reject', paramsHash: state.paramsHash, comment: 'no' }),
    });
    expect(viaLink.status).toBe(200);
    const closed = await stateOf(h, workflowId);
    expect(await refusalTo(click('U0BOB', SlackAction.approve, valueOf(bob, SlackAction.approve), bob))).toMatch(
      /outcome of this proposal is already fixed/,
    );
    const after = await stateOf(h, workflowId);
    expect(after.status).toBe(closed.status);
    expect(after.decisions).toEqual(closed.decisions);
  });
  it('decides once when a signed request is replayed to a second decision-service replica with its own replay cache', async () => {
    const other = await startService(h, {
      decisionTimeoutMs: 5_000,
      slack: {
        signingSecret: SECRET,
        api: createSlackApi({ botToken: 'xoxb-test', apiUrl: fake.apiUrl }),
        people: loadReviewerDirectory(join(FIXTURE_POLICIES, 'reviewers.yaml')).people,
        replayCache: createReplayCache(),
      },
    });
    try {
      const proposal = h.proposal('test.slack');
      const workflowId = await awaitingRun(h, 'test.slack', proposal);
      const alice = await cardFor('U0ALICE', proposal.summary);
      const body = new URLSearchParams({
        payload: JSON.stringify(click('U0ALICE', SlackAction.approve, valueOf(alice, SlackAction.approve))),
      }).toString();
      const ts = String(Math.floor(Date.now() / 1000));
      const signature = slackSignature(SECRET, ts, body);
      const replica = (url: string) =>
        fetch(`${url}/slack/interactions`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature },
          body,
        });
      expect((await replica(service.url)).status).toBe(200);
      // The same bytes to the other replica pass its own cache; the workflow answers the card's
      // nonce once (the same Update id), so nothing is decided a second time.
      expect((await replica(other.url)).status).toBe(200);
      // And each replica refuses the bytes it has already seen.
      expect((await replica(service.url)).status).toBe(401);
      expect((await replica(other.url)).status).toBe(401);
      const state = await eventually(async () => {
        const s = await stateOf(h, workflowId);
        return s.decisions.length > 0 ? s : undefined;
      });
      const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
      const accepted = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
      expect(accepted).toBe(1);
      expect(state.decisions).toEqual([expect.objectContaining({ reviewerId: 'alice', kind: 'approve', channel: 'slack' })]);
    } finally {
      await other.close();
    }
  });

  it('shows the cards on the fake’s page, as chat.update last left them', async () => {
    const proposal = h.proposal('test.slack');
    const workflowId = await awaitingRun(h, 'test.slack', proposal);
    const bob = await cardFor('U0BOB', proposal.summary);
    const cardHtml = async () => {
      const response = await fetch(fake.pageUrl);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await response.text();
      const start = html.indexOf(`data-channel="D0BOB"`);
      const sections = html.split('<section').filter((c) => c.includes('data-channel="D0BOB"') && c.includes(proposal.summary));
      expect(start).toBeGreaterThan(-1);
      return sections;
    };
    const [open] = await cardHtml();
    expect(open).toContain('>Approve<');
    expect(open).toContain('as posted');
    expect(bob.args['text']).toContain('test.slack');

    const state = await stateOf(h, workflowId);
    const viaLink = await fetch(`${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'carol' })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'approve', paramsHash: state.paramsHash }),
    });
    expect(viaLink.status).toBe(200);
    const updated = await eventually(async () => {
      const [card] = await cardHtml();
      return card?.includes('approve by carol (approver) through link') ? card : undefined;
    });
    expect(updated).not.toContain('>Approve<');
    expect(updated).toMatch(/updated \d+×/);
  });
});
