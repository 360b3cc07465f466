/**
 * Key rotation while runs wait: a run records its worker's keys when it starts, and adopts the
 * worker's current keys only when told to (`gatehouse keys refresh`, refreshTrustSignal). Real
 * Temporal, real SMTP inbox, real decision service, the built CLI.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { decodeBase64urlStrict } from '../../src/links/base64url';
import { createBytesSigner, generateDecisionKeyPair, type BytesSigner } from '../../src/links/decision-signer';
import { decisionThroughLink } from '../../src/links/link-issuer';
import { WithdrawRefusedError } from '../../src/client';
import { decideUpdate, getStateQuery, refreshTrustSignal, requestFreshLinkSignal } from '../../workflows/messages';
import { runCli } from '../support/cli';
import { createHarness, eventually, type Harness } from '../support/harness';
import { readInbox, linkTokens } from '../support/inbox';
import { refreshed, refreshMarkers } from '../support/trust-refresh';
import { awaitingRun, getPage, postForm, startService, stateOf, tokenFromInbox, type RunningService } from '../http/service';

let h: Harness;
let service: RunningService;

beforeAll(async () => {
  h = await createHarness();
  service = await startService(h);
});
afterAll(async () => {
  await service?.close();
  await h?.close();
});
afterEach(() => h.stopWorker());

const newGrantKey = (keyId: string): BytesSigner => createBytesSigner({ keyId, privateKeyHex: generateDecisionKeyPair().privateKeyHex });

/** The grant key id a link token carries (`<kid>.<signature>` in its claims). */
const grantKeyIdOf = (token: string): string =>
  (JSON.parse(decodeBase64urlStrict(token.split('.')[2]!)!.toString('utf8')) as { grant: string }).grant.split('.')[0]!;

/** `gatehouse keys refresh` as an operator runs it; every run it lists is waiting in this file's queue. */
async function keysRefresh(expectedRuns: number): Promise<void> {
  // Visibility trails the start of a run by a moment: retried until every waiting run is listed.
  await eventually(
    async () => {
      const result = await runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue }, 'keys', 'refresh');
      expect(result.code).toBe(0);
      return result.stdout.includes(`signalled ${expectedRuns} open run`) ? true : undefined;
    },
    20_000,
    `keys refresh to reach ${expectedRuns} run(s)`,
  );
}

async function decideThroughPage(token: string): Promise<{ status: number; body: string }> {
  const url = `${service.url}/d/${token}`;
  const page = await getPage(url);
  expect(page.status).toBe(200);
  return postForm(url, { kind: 'approve', paramsHash: page.paramsHash!, csrf: page.csrf! }, page.cookie);
}

/** A decision carrying a grant of `grantSigner`, as a link that key granted would make it. */
async function grantedDecision(workflowId: string, reviewer: { id: string; role: string }, grantSigner: BytesSigner) {
  const state = await stateOf(h, workflowId);
  const payload = {
    nonce: randomUUID(),
    workflowId,
    round: state.round,
    reviewer,
    kind: 'approve' as const,
    paramsHash: state.paramsHash,
    decidedAt: new Date().toISOString(),
  };
  return decisionThroughLink(payload, h.signer, grantSigner);
}

describe('rotating the link grant key while runs wait', () => {
  it('keeps mailed links deciding and accepts links of the new key once the run is refreshed; the commit checks out', async () => {
    await h.startWorker();
    const stamp = `rotate-${randomUUID()}`;
    const workflowId = await awaitingRun(h, 'test.dual', { summary: `Grant rotation ${stamp}` });
    const carolsLink = await tokenFromInbox(h, 'carol@test.example', stamp);
    expect(grantKeyIdOf(carolsLink)).toBe(h.grantSigner.keyId);

    // The switch: the worker signs with g2 and keeps trusting the old key by its public half.
    await h.stopWorker();
    const g2 = newGrantKey('g2');
    await h.startWorker({ grantSigner: g2, grantPublicKeys: { [h.grantSigner.keyId]: h.grantSigner.publicKeyHex } });
    await keysRefresh(1);
    await refreshed(h.client, workflowId);

    // A link mailed before the switch still decides.
    const carol = await decideThroughPage(carolsLink);
    expect(carol.status).toBe(200);
    // A link the new key grants (a fresh link mailed now) decides too.
    await h.client.workflow.getHandle(workflowId).signal(requestFreshLinkSignal, { reviewerId: 'dave', role: 'manager' });
    const davesLink = await eventually(async () => {
      const mails = await readInbox(h.inbox.apiBaseUrl);
      const fresh = mails.find((m) => m.to.includes('dave@test.example') && m.text.includes(stamp) && m.subject.includes('new link'));
      return fresh ? linkTokens(fresh)[0] : undefined;
    });
    expect(grantKeyIdOf(davesLink)).toBe('g2');
    const dave = await decideThroughPage(davesLink);
    expect(dave.status).toBe(200);

    // The commit re-checks both signed approvals with the worker's keys (g2 and the old one).
    const final = await (await h.gatehouse.getProposal(workflowId)).result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions.map((d) => d.reviewerId).sort()).toEqual(['carol', 'dave']);
    expect(h.target.posts.filter((key) => key.includes(workflowId))).toHaveLength(1);
  });

  it('without a refresh, a run started before the switch refuses a link only the new key granted', async () => {
    await h.startWorker();
    const workflowId = await awaitingRun(h, 'test.single');
    await h.stopWorker();
    const g2 = newGrantKey('g2');
    await h.startWorker({ grantSigner: g2, grantPublicKeys: { [h.grantSigner.keyId]: h.grantSigner.publicKeyHex } });
    const handle = h.client.workflow.getHandle(workflowId);
    const decision = await grantedDecision(workflowId, { id: 'alice', role: 'approver' }, g2);
    const refused = await handle.executeUpdate(decideUpdate, { args: [decision] }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/link grant signed with unknown key id "g2"/);
    const state = await handle.query(getStateQuery);
    expect(state.status).toBe('awaiting_approval');
    expect(state.decisions).toEqual([]);
    await handle.terminate('test done');
  });
});

describe('revoking an agent key', () => {
  it('refuses a withdrawal signed with the removed key once the run is refreshed, and only then', async () => {
    await h.startWorker();
    const refreshedRun = await h.gatehouse.getProposal(await awaitingRun(h, 'test.single'));
    const unrefreshedRun = await h.gatehouse.getProposal(await awaitingRun(h, 'test.single'));
    // The worker restarts without the agent's key: agent-7 now holds only a new one.
    await h.stopWorker();
    const agents = new Map(h.agents);
    agents.set('agent-7', { ...h.agents.get('agent-7')!, keys: { 'agent-new': generateDecisionKeyPair().publicKeyHex } });
    await h.startWorker({ agents });
    await h.client.workflow.getHandle(refreshedRun.workflowId).signal(refreshTrustSignal);
    await refreshed(h.client, refreshedRun.workflowId);

    await expect(refreshedRun.withdraw('agent-7', 'signed with a revoked key')).rejects.toThrow(WithdrawRefusedError);
    expect((await refreshedRun.status()).status).toBe('awaiting_approval');
    // The gap the refresh closes: a run not refreshed still trusts the key it recorded.
    expect(await unrefreshedRun.withdraw('agent-7', 'still trusted here')).toBe('withdrawn');
    await h.client.workflow.getHandle(refreshedRun.workflowId).terminate('test done');
  });
});

describe('refresh signals', () => {
  it('defers a refresh that comes within a minute of the last one, and queues only one', async () => {
    await h.startWorker();
    const workflowId = await awaitingRun(h, 'test.single');
    const handle = h.client.workflow.getHandle(workflowId);
    const before = (await handle.fetchHistory()).events?.length ?? 0;
    await handle.signal(refreshTrustSignal);
    await refreshed(h.client, workflowId);
    // The second waits out the minute (a revocation refreshed right after someone else's refresh
    // must still land); the third finds it queued and adds nothing.
    await handle.signal(refreshTrustSignal);
    await handle.signal(refreshTrustSignal);
    const events = await eventually(async () => {
      const all = (await handle.fetchHistory()).events ?? [];
      const last = all.at(-1);
      return all.filter((e) => e.workflowExecutionSignaledEventAttributes).length === 3 && last?.workflowTaskCompletedEventAttributes
        ? all.slice(before)
        : undefined;
    });
    expect(await refreshMarkers(h.client, workflowId)).toBe(1);
    // One patch marker (the run's first refresh) and one local-activity marker, then one timer.
    const markers = events.filter((e) => e.markerRecordedEventAttributes);
    expect(markers.map((e) => e.markerRecordedEventAttributes?.markerName).sort()).toEqual(['core_local_activity', 'core_patch']);
    const timers = events.flatMap((e) => (e.timerStartedEventAttributes ? [e.timerStartedEventAttributes] : []));
    expect(timers).toHaveLength(1);
    const seconds = Number(timers[0]!.startToFireTimeout?.seconds ?? 0);
    expect(seconds).toBeGreaterThan(50);
    expect(seconds).toBeLessThanOrEqual(60);
    await handle.terminate('test done');
  });
});
