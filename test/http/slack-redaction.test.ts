/**
 * A redacted value never reaches Slack: the cards a run's state change rewrites carry the run's
 * outcome reason, which quotes people (a reviewer's comment, the agent's withdrawal reason), and
 * that text is masked the way the mail, the page and the audit trail mask it.
 */
import { join } from 'node:path';
import { loadReviewerDirectory } from '../../src/policy/load';
import { createSlackApi } from '../../src/slack/client';
import { createReplayCache } from '../../src/slack/replay-cache';
import { createHarness, eventually, FIXTURE_POLICIES, type Harness } from '../support/harness';
import { startSlackFake, type SlackCall, type SlackFake } from '../support/slack-fake';
import { awaitingRun, signLink, startService, stateOf, type RunningService } from './service';

const CARD = '4111111111111111';

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
      signingSecret: 'test-signing-secret-0123456789',
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

/** A run of `test.slack` (which redacts params.body.card) with its cards posted. */
async function runWithCards(): Promise<{ workflowId: string; summary: string }> {
  const proposal = h.proposal('test.slack');
  const workflowId = await awaitingRun(h, 'test.slack', { ...proposal, params: { ...proposal.params, body: { amount: 42, card: CARD } } });
  await eventually(async () => ((await stateOf(h, workflowId)).slackCards?.length ?? 0) >= 2 || undefined, 20_000, 'cards posted');
  return { workflowId, summary: proposal.summary };
}

/** Every Slack call about this run after it reached `status` (the cards' final rewrite included). */
async function finalUpdates(summary: string, status: RegExp): Promise<SlackCall[]> {
  await eventually(
    async () =>
      fake.of('chat.update').some((c) => JSON.stringify(c.args).includes(summary) && status.test(JSON.stringify(c.args))) || undefined,
    20_000,
    'the cards rewritten',
  );
  return fake.calls.filter((c) => JSON.stringify(c.args).includes(summary));
}

describe('Slack cards and redacted fields', () => {
  it('masks a redacted value a reviewer quotes in a rejection on every card', async () => {
    const { workflowId, summary } = await runWithCards();
    const state = await stateOf(h, workflowId);
    const response = await fetch(`${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'carol' })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'reject', paramsHash: state.paramsHash, comment: `card ${CARD} is reported stolen` }),
    });
    expect(response.status).toBe(200);
    const calls = await finalUpdates(summary, /Status: rejected/);
    expect(JSON.stringify(calls)).toContain('reported stolen');
    expect(JSON.stringify(calls)).not.toContain(CARD);
  });

  it("masks a redacted value in the agent's withdrawal reason on every card", async () => {
    const { workflowId, summary } = await runWithCards();
    await (await h.gatehouse.getProposal(workflowId)).withdraw('agent-7', `wrong card ${CARD}, will resubmit`);
    const calls = await finalUpdates(summary, /Status: withdrawn/);
    expect(JSON.stringify(calls)).toContain('will resubmit');
    expect(JSON.stringify(calls)).not.toContain(CARD);
  });
});
