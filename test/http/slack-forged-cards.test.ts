/**
 * Someone with Temporal access completes the notify activity by its id, before the worker does,
 * with a card record of their own: reviewer alice's card "lives" in the attacker's Slack
 * conversation. The worker must not then write alice's fresh decision links into that message.
 */
import { join } from 'node:path';
import { loadReviewerDirectory } from '../../src/policy/load';
import { createSlackApi } from '../../src/slack/client';
import { createReplayCache } from '../../src/slack/replay-cache';
import { createHarness, eventually, FIXTURE_POLICIES, type Harness } from '../support/harness';
import { startSlackFake, type SlackFake } from '../support/slack-fake';
import { signLink, startService, stateOf, type RunningService } from './service';

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

describe('Slack card records from a forged activity result', () => {
  it("writes no reviewer's links into a conversation that is not that reviewer's", async () => {
    fake.postDelayMs = 4_000;
    const run = await h.gatehouse.propose(h.proposal('test.slack'));
    const handle = h.client.workflow.getHandle(run.workflowId);
    const activityId = await eventually(async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.find((a) => a.activityType?.name === 'notify')?.activityId ?? undefined;
    });
    const forged = { round: 1, reviewerId: 'alice', role: 'approver', channel: 'D0MALLORY', ts: '1699999999.000100' };
    await h.client.activity.complete({ workflowId: run.workflowId, activityId }, { sent: 0, alreadySent: 0, cards: [forged] });
    fake.postDelayMs = 0;
    await eventually(async () =>
      (await stateOf(h, run.workflowId)).slackCards?.some((c) => c.channel === 'D0MALLORY') ? true : undefined,
    );

    // Any change of the run rewrites its open cards: bob delegates to carol, alice may still decide.
    const state = await stateOf(h, run.workflowId);
    const response = await fetch(`${service.url}/api/decisions/${signLink(h, { wf: run.workflowId, sub: 'bob' })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'delegate', paramsHash: state.paramsHash, delegateTo: 'carol' }),
    });
    expect(response.status).toBe(200);
    await eventually(async () => ((await stateOf(h, run.workflowId)).decisions.some((d) => d.kind === 'delegate') ? true : undefined));
    await new Promise((r) => setTimeout(r, 2_000));

    const toMallory = fake.of('chat.update').filter((c) => c.args['channel'] === 'D0MALLORY');
    const link = JSON.stringify(toMallory).match(/\/d\/(v1\.[A-Za-z0-9_.-]+)/)?.[1];
    if (link) {
      // What the attacker could do with it: decide as alice.
      await fetch(`${service.url}/api/decisions/${link}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'approve', paramsHash: state.paramsHash }),
      });
    }
    expect((await stateOf(h, run.workflowId)).decisions.filter((d) => d.reviewerId === 'alice')).toEqual([]);
    expect(toMallory).toEqual([]);
  });
});
