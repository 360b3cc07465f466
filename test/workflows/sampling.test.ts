/**
 * Sampled mode on the real server with a worker key the test knows: proposal ids an agent would
 * choose because the old, unkeyed draw never sampled them are picked for review under the key.
 */
import { createHash } from 'node:crypto';
import type { ApprovalState } from '../../src/domain/state';
import { workflowIdFor } from '../../src/domain/ids';
import { parseSamplingKey, samplingDraw } from '../../src/policy/sampling';
import { getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';

const KEY_SPEC = `w1:${createHash('sha256').update('sampling test key').digest('base64url')}`;
const KEY = parseSamplingKey(KEY_SPEC);
const RATE = 0.5; // test/fixtures/policies/test.sampled.yaml

const unkeyedDraw = (workflowId: string): number =>
  parseInt(createHash('sha256').update(`gatehouse-sample:${workflowId}`).digest('hex').slice(0, 8), 16) / 0x1_0000_0000;

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ samplingKey: KEY_SPEC });
  await h.startWorker();
});
afterAll(() => h?.close());

/** Proposal ids that the unkeyed draw leaves out: an agent's choice once the draw was known. */
function agentChosenIds(count: number, run: string): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) {
    const id = `chosen-${run}-${i}`;
    if (unkeyedDraw(workflowIdFor({ id, agent: { id: 'agent-7' } })) >= RATE) ids.push(id);
  }
  return ids;
}

describe('keyed sampling', () => {
  it('reviews agent-chosen ids the unkeyed draw never sampled, as the worker key decides, and records the draw', async () => {
    const ids = agentChosenIds(16, String(Date.now()));
    const runs = await Promise.all(ids.map((id) => h.gatehouse.propose(h.proposal('test.sampled', { id }))));
    const states = await Promise.all(
      runs.map((r) =>
        eventually(
          async () => {
            const s: ApprovalState = await h.client.workflow.getHandle(r.workflowId).query(getStateQuery);
            return s.status === 'awaiting_approval' || s.status === 'succeeded' ? s : undefined;
          },
          20_000,
          'sampled or not',
        ),
      ),
    );
    const expected = states.map((s) => samplingDraw(s.workflowId, KEY) < RATE);
    // Some of these ids are picked (all 16 left out has odds 1 in 65536): choosing ids no longer avoids review.
    expect(expected.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    for (const [i, s] of states.entries()) {
      const draw = samplingDraw(s.workflowId, KEY);
      expect(s.evaluation?.sampling).toEqual({ rate: RATE, draw, picked: expected[i], keyId: 'w1' });
      expect(s.status).toBe(expected[i] ? 'awaiting_approval' : 'succeeded');
    }
    for (const r of runs) await r.withdraw('agent-7').catch(() => undefined);
  });
});
